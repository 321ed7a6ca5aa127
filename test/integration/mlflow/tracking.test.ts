import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { expectMlflowError, expectShape, type FieldType } from './shape.js';

/**
 * Protocol suite, tracking part, in the order `mlflow.start_run` + `log_*` + `pyfunc.log_model` +
 * `register_model` + `load_model("models:/name@alias")` make the calls (fixtures/mlflow/tracking.json).
 */
const fixture = JSON.parse(readFileSync(new URL('../../fixtures/mlflow/tracking.json', import.meta.url), 'utf8')) as {
  shapes: Record<'experiment' | 'run_info' | 'run_data' | 'logged_model', Record<string, FieldType>>;
  requests: Record<string, Record<string, unknown>>;
};
const at = (prefix: string, spec: Record<string, FieldType>) => Object.fromEntries(Object.entries(spec).map(([k, v]) => [`${prefix}.${k}`, v]));
const ids: Record<string, string> = {};
const req = (name: string): Record<string, unknown> =>
  JSON.parse(JSON.stringify(fixture.requests[name]).replace(/\{(exp|run|model_id)\}/g, (_, k: string) => ids[k]!));
const qs = (body: Record<string, unknown>) => new URLSearchParams(Object.entries(body).map(([k, v]): [string, string] => [k, String(v)])).toString();

let t: TestApp;
const api = '/api/2.0/mlflow';
const post = (path: string, payload: unknown) => t.call({ method: 'POST', url: `${api}/${path}`, payload: payload as object });
const patch = (path: string, payload: unknown) => t.call({ method: 'PATCH', url: `${api}/${path}`, payload: payload as object });
const get = (path: string, query: Record<string, unknown> = {}) => t.call({ method: 'GET', url: `${api}/${path}?${qs(query)}` });
const artifacts = '/api/2.0/mlflow-artifacts/artifacts';

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const MLMODEL = `artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.pyfunc.model
    python_version: 3.11.9
mlflow_version: 3.11.0
model_id: MODEL_ID
signature:
  inputs: '[{"type": "double", "name": "tenure", "required": true}, {"type": "string", "name": "plan", "required": true}, {"type": "long", "name": "calls", "required": true}]'
  outputs: '[{"type": "long", "required": true}]'
`;

describe('experiments', () => {
  it('create, get-by-name, get; a duplicate name is RESOURCE_ALREADY_EXISTS; the Default experiment exists', async () => {
    const created = await post('experiments/create', req('experiments/create'));
    expect(created.statusCode, created.body).toBe(200);
    expectShape(created.json(), { experiment_id: 'string' });
    ids.exp = created.json().experiment_id;
    const byName = await get('experiments/get-by-name', { experiment_name: 'churn-training' });
    expectShape(byName.json(), at('experiment', fixture.shapes.experiment));
    expect(byName.json().experiment).toMatchObject({
      experiment_id: ids.exp,
      artifact_location: `mlflow-artifacts:/${ids.exp}`,
      lifecycle_stage: 'active',
      tags: [{ key: 'team', value: 'growth' }],
    });
    expect((await get('experiments/get', { experiment_id: ids.exp })).json()).toEqual(byName.json());
    expectMlflowError(await post('experiments/create', { name: 'churn-training' }), 400, 'RESOURCE_ALREADY_EXISTS');
    expectMlflowError(await get('experiments/get-by-name', { experiment_name: 'nope' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expect((await get('experiments/get', { experiment_id: '0' })).json().experiment.name).toBe('Default');
    const search = await post('experiments/search', { max_results: 10, filter: "name LIKE 'churn%'" });
    expect(search.json().experiments.map((e: { name: string }) => e.name)).toEqual(['churn-training']);
  });
});

describe('a run, as mlflow.start_run and log_* make it', () => {
  it('runs/create answers the run with info, tags and an mlflow-artifacts: artifact_uri', async () => {
    const res = await post('runs/create', req('runs/create'));
    expect(res.statusCode, res.body).toBe(200);
    expectShape(res.json(), {
      run: 'object',
      ...at('run.info', fixture.shapes.run_info),
      'run.data': 'object',
      'run.data.tags': 'array',
      'run.inputs': 'object',
    });
    const info = res.json().run.info;
    ids.run = info.run_id;
    expect(info.run_id).toMatch(/^[0-9a-f]{32}$/);
    expect(info).toMatchObject({ run_uuid: info.run_id, run_name: 'baseline', status: 'RUNNING', user_id: 'ana', start_time: 1764856800000 });
    expect(info.artifact_uri).toBe(`mlflow-artifacts:/${ids.exp}/${ids.run}/artifacts`);
    expect(res.json().run.data.tags).toContainEqual({ key: 'mlflow.runName', value: 'baseline' });
  });

  it('log-parameter, log-metric, log-batch, set-tag answer {}; runs/get shows the latest metrics', async () => {
    for (const name of ['runs/log-parameter', 'runs/log-metric', 'runs/log-batch', 'runs/set-tag']) {
      const res = await post(name, req(name));
      expect(res.statusCode, `${name}: ${res.body}`).toBe(200);
      expect(res.json()).toEqual({});
    }
    // The same param again is fine (a client retry); a different value is refused, naming it.
    expect((await post('runs/log-parameter', req('runs/log-parameter'))).statusCode).toBe(200);
    const changed = expectMlflowError(await post('runs/log-parameter', { ...req('runs/log-parameter'), value: '0.2' }), 400, 'INVALID_PARAMETER_VALUE');
    expect(changed.message).toContain('lr');
    const run = await get('runs/get', { run_id: ids.run, run_uuid: ids.run });
    expectShape(run.json(), { ...at('run.info', fixture.shapes.run_info), ...at('run.data', fixture.shapes.run_data), 'run.outputs': 'object' });
    const data = run.json().run.data;
    expect(data.metrics).toEqual(
      expect.arrayContaining([
        { key: 'loss', value: 0.25, timestamp: 1764856802000, step: 1 },
        { key: 'acc', value: 0.9, timestamp: 1764856802000, step: 0 },
      ]),
    );
    expect(data.params).toEqual(
      expect.arrayContaining([
        { key: 'lr', value: '0.1' },
        { key: 'depth', value: '3' },
      ]),
    );
    expect(data.tags).toEqual(
      expect.arrayContaining([
        { key: 'note', value: 'first try' },
        { key: 'phase', value: 'fit' },
      ]),
    );
  });

  it('metrics/get-history returns the whole series with steps and timestamps', async () => {
    const res = await get('metrics/get-history', req('metrics/get-history'));
    expectShape(res.json(), {
      metrics: 'array',
      'metrics[].key': 'string',
      'metrics[].value': 'number',
      'metrics[].timestamp': 'int',
      'metrics[].step': 'int',
    });
    expect(res.json().metrics.map((m: { value: number; step: number }) => [m.step, m.value])).toEqual([
      [0, 0.5],
      [1, 0.25],
    ]);
    const page = await get('metrics/get-history', { ...req('metrics/get-history'), max_results: 1 });
    expect(page.json().metrics).toHaveLength(1);
    const rest = await get('metrics/get-history', { ...req('metrics/get-history'), max_results: 1, page_token: page.json().next_page_token });
    expect(rest.json().metrics[0].value).toBe(0.25);
  });

  it('runs/search filters on params, metrics, tags and attributes', async () => {
    const res = await post('runs/search', req('runs/search'));
    expect(res.statusCode, res.body).toBe(200);
    expectShape(res.json(), { runs: 'array', ...at('runs[].info', fixture.shapes.run_info), ...at('runs[].data', fixture.shapes.run_data) });
    expect(res.json().runs.map((r: { info: { run_id: string } }) => r.info.run_id)).toEqual([ids.run]);
    expect((await post('runs/search', { experiment_ids: [ids.exp], filter: 'metrics.loss > 0.3' })).json().runs).toEqual([]);
    expect(
      (await post('runs/search', { experiment_ids: [ids.exp], filter: "attributes.run_name = 'baseline' AND tags.phase = 'fit'" })).json().runs,
    ).toHaveLength(1);
    expectMlflowError(await post('runs/search', { experiment_ids: [ids.exp], filter: 'metrics.loss ~ 1' }), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('bad input names the field; a missing run is RESOURCE_DOES_NOT_EXIST; a failed batch writes nothing', async () => {
    const metric = expectMlflowError(
      await post('runs/log-metric', { run_id: ids.run, key: 'loss', value: 'abc', timestamp: 1, step: 0 }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
    expect(metric.message).toContain('value');
    expectMlflowError(await get('runs/get', { run_id: 'f'.repeat(32) }), 404, 'RESOURCE_DOES_NOT_EXIST');
    const batch = await post('runs/log-batch', {
      run_id: ids.run,
      metrics: [{ key: 'late', value: 1, timestamp: 1, step: 0 }],
      params: [{ key: 'lr', value: '9' }],
    });
    expectMlflowError(batch, 400, 'INVALID_PARAMETER_VALUE');
    const keys = (await get('runs/get', { run_id: ids.run })).json().run.data.metrics.map((m: { key: string }) => m.key);
    expect(keys).not.toContain('late');
  });
});

describe('pyfunc.log_model, register_model, load_model by alias', () => {
  it('creates a pending logged model, records it as a run output, uploads its files, finalizes it', async () => {
    const created = await post('logged-models', req('logged-models'));
    expect(created.statusCode, created.body).toBe(200);
    expectShape(created.json(), at('model', fixture.shapes.logged_model));
    const info = created.json().model.info;
    ids.model_id = info.model_id;
    expect(info.model_id).toMatch(/^m-[0-9a-f]{32}$/);
    expect(info).toMatchObject({
      status: 'LOGGED_MODEL_PENDING',
      source_run_id: ids.run,
      artifact_uri: `mlflow-artifacts:/${ids.exp}/models/${info.model_id}/artifacts`,
    });
    expect((await post('runs/outputs', req('runs/outputs'))).json()).toEqual({});
    expect((await get('runs/get', { run_id: ids.run })).json().run.outputs).toEqual({ model_outputs: [{ model_id: ids.model_id, step: 0 }] });
    // log-batch re-logs the run's metrics with model_id: the logged model shows them.
    await post('runs/log-batch', { run_id: ids.run, metrics: [{ key: 'acc', value: 0.9, timestamp: 1764856802000, step: 0, model_id: ids.model_id }] });
    const base = `${artifacts}/${ids.exp}/models/${ids.model_id}/artifacts`;
    const files: Record<string, string> = {
      MLmodel: MLMODEL.replace('MODEL_ID', ids.model_id!),
      'requirements.txt': 'mlflow==3.11.0\n',
      'python_model.pkl': '\u0080\u0004pickle-bytes',
    };
    for (const [name, content] of Object.entries(files)) {
      const type = name.endsWith('.txt') ? 'text/plain' : 'application/octet-stream';
      const put = await t.call({ method: 'PUT', url: `${base}/${name}`, payload: Buffer.from(content), headers: { 'content-type': type } });
      expect(put.statusCode, put.body).toBe(200);
      expect(put.json()).toEqual({});
    }
    const finalized = await patch(`logged-models/${ids.model_id}`, req('logged-models:finalize'));
    expectShape(finalized.json(), at('model', fixture.shapes.logged_model));
    expect(finalized.json().model.info.status).toBe('LOGGED_MODEL_READY');
    expectMlflowError(await patch(`logged-models/${ids.model_id}`, { status: 'DONE' }), 400, 'INVALID_PARAMETER_VALUE');
    expectMlflowError(await get(`logged-models/m-${'0'.repeat(32)}`), 404, 'RESOURCE_DOES_NOT_EXIST');
    // The re-logged point links to the model; the run's history is not doubled.
    const history = await get('metrics/get-history', { run_id: ids.run, metric_key: 'acc' });
    expect(history.json().metrics, JSON.stringify(history.json())).toEqual([
      { key: 'acc', value: 0.9, timestamp: 1764856802000, step: 0, model_id: ids.model_id },
    ]);
    const fetched = await get(`logged-models/${ids.model_id}`);
    expectShape(fetched.json(), at('model', fixture.shapes.logged_model));
    expect(fetched.json().model.data.metrics).toEqual([{ key: 'acc', value: 0.9, timestamp: 1764856802000, step: 0, model_id: ids.model_id, run_id: ids.run }]);
    const found = await post('logged-models/search', req('logged-models/search'));
    expect(found.json().models.map((m: { info: { model_id: string } }) => m.info.model_id)).toEqual([ids.model_id]);
    expect((await post('logged-models/search', { experiment_ids: [ids.exp], filter: "name = 'raw_model'" })).json()).toEqual({ models: [] });
    const updated = await post('runs/update', req('runs/update'));
    expectShape(updated.json(), { ...at('run_info', fixture.shapes.run_info), 'run_info.end_time': 'int' });
    expect(updated.json().run_info).toMatchObject({ status: 'FINISHED', end_time: 1764856900000 });
  });

  it('lists and downloads the artifacts (paths relative to the directory, no size for directories), sha256 recorded', async () => {
    const top = await t.call({ method: 'GET', url: `${artifacts}?path=${ids.exp}/models` });
    expect(top.json()).toEqual({ files: [{ path: ids.model_id, is_dir: true }] });
    const listing = await t.call({ method: 'GET', url: `${artifacts}?path=${encodeURIComponent(`${ids.exp}/models/${ids.model_id}/artifacts`)}` });
    expectShape(listing.json(), { files: 'array', 'files[].path': 'string', 'files[].is_dir': 'bool' });
    expect(listing.json().files).toEqual([
      { path: 'MLmodel', is_dir: false, file_size: Buffer.byteLength(MLMODEL.replace('MODEL_ID', ids.model_id!)) },
      { path: 'python_model.pkl', is_dir: false, file_size: Buffer.byteLength('\u0080\u0004pickle-bytes') },
      { path: 'requirements.txt', is_dir: false, file_size: 15 },
    ]);
    const file = await t.call({ method: 'GET', url: `${artifacts}/${ids.exp}/models/${ids.model_id}/artifacts/requirements.txt` });
    expect(file.statusCode).toBe(200);
    expect(file.body).toBe('mlflow==3.11.0\n');
    const { createHash } = await import('node:crypto');
    expect(file.headers['x-artifact-sha256']).toBe(createHash('sha256').update('mlflow==3.11.0\n').digest('hex'));
    // Overwriting replaces the bytes (a second upload of the same path).
    await t.call({
      method: 'PUT',
      url: `${artifacts}/${ids.exp}/models/${ids.model_id}/artifacts/requirements.txt`,
      payload: Buffer.from('mlflow\n'),
      headers: { 'content-type': 'text/plain' },
    });
    expect((await t.call({ method: 'GET', url: `${artifacts}/${ids.exp}/models/${ids.model_id}/artifacts/requirements.txt` })).body).toBe('mlflow\n');
    expectMlflowError(await t.call({ method: 'GET', url: `${artifacts}/${ids.exp}/nothing-here` }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectMlflowError(await t.call({ method: 'GET', url: `${artifacts}/a%5Cb` }), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('register_model("models:/m-…"): the version links to the run, carries its params and metrics and the signature\'s features', async () => {
    expect((await post('registered-models/create', { name: 'churn-flow' })).statusCode).toBe(200);
    expectMlflowError(await post('registered-models/create', { name: 'churn-flow' }), 400, 'RESOURCE_ALREADY_EXISTS');
    const created = await post('model-versions/create', { name: 'churn-flow', source: `models:/${ids.model_id}`, model_id: ids.model_id });
    expect(created.statusCode, created.body).toBe(200);
    expect(created.json().model_version).toMatchObject({
      version: '1',
      status: 'READY',
      run_id: ids.run,
      source: `models:/${ids.model_id}`,
      model_id: ids.model_id,
    });
    expect((await patch(`logged-models/${ids.model_id}/tags`, req('logged-models:tags'))).json()).toEqual({});
    const tagged = (await get(`logged-models/${ids.model_id}`)).json().model;
    expect(tagged.info.tags).toContainEqual({ key: 'mlflow.modelVersions', value: '[{"name": "churn-flow", "version": "1"}]' });
    expect((await post(`logged-models/${ids.model_id}/params`, { params: [{ key: 'batch', value: '32' }] })).json()).toEqual({});
    expect((await get(`logged-models/${ids.model_id}`)).json().model.data.params).toEqual([
      { key: 'lr', value: '0.1' },
      { key: 'batch', value: '32' },
    ]);
    // Racing tag calls (each a read-modify-write of the model's tags) keep every key.
    await Promise.all(Array.from({ length: 8 }, (_, i) => patch(`logged-models/${ids.model_id}/tags`, { tags: [{ key: `t${i}`, value: String(i) }] })));
    const keys = (await get(`logged-models/${ids.model_id}`)).json().model.info.tags.map((x: { key: string }) => x.key);
    expect(keys).toEqual(expect.arrayContaining(['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7']));
    const untag = await t.call({ method: 'DELETE', url: `${api}/logged-models/${ids.model_id}/tags/mlflow.modelVersions` });
    expect(untag.json()).toEqual({});
    expect((await get(`logged-models/${ids.model_id}`)).json().model.info.tags).not.toContainEqual(expect.objectContaining({ key: 'mlflow.modelVersions' }));
    const native = (await t.call({ method: 'GET', url: '/api/v1/models/churn-flow/versions/1' })).json();
    expect(native).toMatchObject({
      runId: ids.run,
      params: { lr: '0.1', depth: '3' },
      metrics: { loss: 0.25, acc: 0.9 },
      features: [
        { name: 'tenure', type: 'numeric' },
        { name: 'plan', type: 'categorical' },
        { name: 'calls', type: 'numeric' },
      ],
    });
  });

  it('load_model("models:/churn-flow@production"): alias → get → get-download-uri → the logged model\'s files', async () => {
    await post('registered-models/alias', { name: 'churn-flow', alias: 'production', version: '1' });
    const byAlias = (await get('registered-models/alias', { name: 'churn-flow', alias: 'production' })).json().model_version;
    expect(byAlias.version).toBe('1');
    const uri = (await get('model-versions/get-download-uri', { name: 'churn-flow', version: byAlias.version })).json().artifact_uri;
    expect(uri).toBe(`mlflow-artifacts:/${ids.exp}/models/${ids.model_id}/artifacts`);
    const path = uri.replace('mlflow-artifacts:/', '');
    const mlmodel = await t.call({ method: 'GET', url: `${artifacts}/${path}/MLmodel` });
    expect(mlmodel.body).toContain(ids.model_id);
  });

  it('delete a run and an experiment (soft: lifecycle_stage deleted, hidden from ACTIVE_ONLY)', async () => {
    expect((await post('runs/delete', { run_id: ids.run })).json()).toEqual({});
    expect((await get('runs/get', { run_id: ids.run })).json().run.info.lifecycle_stage).toBe('deleted');
    expect((await post('runs/search', { experiment_ids: [ids.exp], run_view_type: 'ACTIVE_ONLY' })).json().runs).toEqual([]);
    expect((await post('runs/search', { experiment_ids: [ids.exp], run_view_type: 'DELETED_ONLY' })).json().runs).toHaveLength(1);
    expect((await post('experiments/delete', { experiment_id: ids.exp })).json()).toEqual({});
    expect((await get('experiments/get', { experiment_id: ids.exp })).json().experiment.lifecycle_stage).toBe('deleted');
    expectMlflowError(await post('runs/create', { experiment_id: ids.exp }), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('a read key cannot log; a models:write key can', async () => {
    const reader = await t.keyWith('read');
    const writer = await t.keyWith('models:write');
    expectMlflowError(await t.call({ method: 'POST', url: `${api}/runs/create`, payload: { experiment_id: '0' }, token: reader }), 403, 'PERMISSION_DENIED');
    const run = await t.call({ method: 'POST', url: `${api}/runs/create`, payload: { experiment_id: '0' }, token: writer });
    expect(run.statusCode, run.body).toBe(200);
    expectMlflowError(
      await t.call({ method: 'PUT', url: `${artifacts}/0/x.txt`, payload: Buffer.from('x'), headers: { 'content-type': 'text/plain' }, token: reader }),
      403,
      'PERMISSION_DENIED',
    );
  });
});
