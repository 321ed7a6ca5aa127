import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { expectMlflowError, expectShape, type FieldType } from './shape.js';

/** Protocol suite, registry part: each request shape the MLflow client sends (fixtures), each response field it reads. */
const fixture = JSON.parse(readFileSync(new URL('../../fixtures/mlflow/registry.json', import.meta.url), 'utf8')) as {
  shapes: Record<'registered_model' | 'model_version', Record<string, FieldType>>;
  requests: Record<string, Record<string, unknown>>;
};
const prefixed = (prefix: string, spec: Record<string, FieldType>) => Object.fromEntries(Object.entries(spec).map(([k, v]) => [`${prefix}.${k}`, v]));
const RM = prefixed('registered_model', fixture.shapes.registered_model);
const MV = prefixed('model_version', fixture.shapes.model_version);

const M = 'churn';
/** A fixture request with {model} filled in. */
function req(name: string, model = M): Record<string, unknown> {
  return JSON.parse(JSON.stringify(fixture.requests[name]).replaceAll('{model}', model));
}
const qs = (body: Record<string, unknown>) =>
  new URLSearchParams(
    Object.entries(body).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x): [string, string] => [k, String(x)]) : [[k, String(v)] as [string, string]])),
  ).toString();

let t: TestApp;
const api = '/api/2.0/mlflow';
const post = (path: string, payload: unknown, token?: string) =>
  t.call({ method: 'POST', url: `${api}/${path}`, payload: payload as object, ...(token ? { token } : {}) });
const patch = (path: string, payload: unknown) => t.call({ method: 'PATCH', url: `${api}/${path}`, payload: payload as object });
const del = (path: string, payload: unknown) => t.call({ method: 'DELETE', url: `${api}/${path}`, payload: payload as object });
const get = (path: string, query: Record<string, unknown>, token?: string) =>
  t.call({ method: 'GET', url: `${api}/${path}?${qs(query)}`, ...(token ? { token } : {}) });

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

describe('registered models', () => {
  it('create answers 200 with the registered model; a second create is 400 RESOURCE_ALREADY_EXISTS', async () => {
    const res = await post('registered-models/create', req('registered-models/create'));
    expect(res.statusCode, res.body).toBe(200);
    expectShape(res.json(), { registered_model: 'object', ...RM });
    expect(res.json().registered_model).toMatchObject({ name: M, description: 'churn classifier', tags: [{ key: 'team', value: 'growth' }] });
    expectMlflowError(await post('registered-models/create', req('registered-models/create')), 400, 'RESOURCE_ALREADY_EXISTS');
    // The same row the native API shows.
    const native = await t.call({ method: 'GET', url: `/api/v1/models/${M}` });
    expect(native.json()).toMatchObject({ name: M, description: 'churn classifier', tags: { team: 'growth' } });
  });

  it('get returns every field the client reads; a missing model is 404 RESOURCE_DOES_NOT_EXIST', async () => {
    const res = await get('registered-models/get', req('registered-models/get'));
    expect(res.statusCode).toBe(200);
    expectShape(res.json(), RM);
    expect(res.json().registered_model.creation_timestamp).toBeGreaterThan(1_600_000_000_000);
    const missing = expectMlflowError(await get('registered-models/get', { name: 'nope' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expect(missing.message).toContain('nope');
  });

  it('update (PATCH) sets the description; set-tag and delete-tag edit one tag', async () => {
    const res = await patch('registered-models/update', req('registered-models/update'));
    expect(res.statusCode).toBe(200);
    expectShape(res.json(), RM);
    expect(res.json().registered_model.description).toBe('churn classifier, v2 features');
    expect((await post('registered-models/set-tag', req('registered-models/set-tag'))).json()).toEqual({});
    let tags = (await get('registered-models/get', { name: M })).json().registered_model.tags;
    expect(tags).toEqual(
      expect.arrayContaining([
        { key: 'owner', value: 'ana' },
        { key: 'team', value: 'growth' },
      ]),
    );
    // Setting it again replaces the value (a second call, not a second tag).
    await post('registered-models/set-tag', { name: M, key: 'owner', value: 'bo' });
    tags = (await get('registered-models/get', { name: M })).json().registered_model.tags;
    expect(tags.filter((x: { key: string }) => x.key === 'owner')).toEqual([{ key: 'owner', value: 'bo' }]);
    expect((await del('registered-models/delete-tag', req('registered-models/delete-tag'))).json()).toEqual({});
    expect((await get('registered-models/get', { name: M })).json().registered_model.tags).toEqual([{ key: 'team', value: 'growth' }]);
  });
});

describe('model versions', () => {
  it('create answers 200 with a string version, READY; the native API shows the same row', async () => {
    const res = await post('model-versions/create', req('model-versions/create'));
    expect(res.statusCode, res.body).toBe(200);
    expectShape(res.json(), { model_version: 'object', ...MV });
    expect(res.json().model_version).toMatchObject({
      name: M,
      version: '1',
      status: 'READY',
      current_stage: 'None',
      run_id: '0123456789abcdef0123456789abcdef',
      source: 'mlflow-artifacts:/1/0123456789abcdef0123456789abcdef/artifacts/model',
      tags: [{ key: 'stage', value: 'candidate' }],
    });
    const native = (await t.call({ method: 'GET', url: `/api/v1/models/${M}/versions/1` })).json();
    expect(native).toMatchObject({ version: 1, runId: '0123456789abcdef0123456789abcdef', artifactUri: res.json().model_version.source, features: [] });
    expect(Date.parse(native.createdAt)).toBe(res.json().model_version.creation_timestamp);
    // A second registration is version 2 (numbered by the server, as natively).
    expect((await post('model-versions/create', { name: M, source: 's3://b/m' })).json().model_version.version).toBe('2');
  });

  it('get, update, set-tag, delete-tag', async () => {
    const res = await get('model-versions/get', req('model-versions/get'));
    expect(res.statusCode).toBe(200);
    expectShape(res.json(), MV);
    const updated = await patch('model-versions/update', req('model-versions/update'));
    expect(updated.json().model_version.description).toBe('first, reviewed');
    expect((await post('model-versions/set-tag', req('model-versions/set-tag'))).json()).toEqual({});
    expect((await get('model-versions/get', { name: M, version: '1' })).json().model_version.tags).toContainEqual({ key: 'validated', value: 'true' });
    expect((await del('model-versions/delete-tag', req('model-versions/delete-tag'))).json()).toEqual({});
    expect((await get('model-versions/get', { name: M, version: '1' })).json().model_version.tags).toEqual([{ key: 'stage', value: 'candidate' }]);
    expectMlflowError(await get('model-versions/get', { name: M, version: '99' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    const bad = expectMlflowError(await get('model-versions/get', { name: M, version: 'one' }), 400, 'INVALID_PARAMETER_VALUE');
    expect(bad.message).toContain('version');
  });

  it('aliases: set through MLflow, read natively; set natively, read through MLflow', async () => {
    expect((await post('registered-models/alias', req('registered-models/alias'))).json()).toEqual({});
    expect((await t.call({ method: 'GET', url: `/api/v1/models/${M}/aliases/champion` })).json()).toMatchObject({ version: 1 });
    const byAlias = await get('registered-models/alias', req('registered-models/alias:get'));
    expectShape(byAlias.json(), MV);
    expect(byAlias.json().model_version).toMatchObject({ version: '1', aliases: ['champion'] });
    expect((await t.call({ method: 'PUT', url: `/api/v1/models/${M}/aliases/challenger`, payload: { version: 2 } })).statusCode).toBe(200);
    expect((await get('registered-models/alias', { name: M, alias: 'challenger' })).json().model_version.version).toBe('2');
    const model = (await get('registered-models/get', { name: M })).json().registered_model;
    expect(model.aliases).toEqual(
      expect.arrayContaining([
        { alias: 'champion', version: '1' },
        { alias: 'challenger', version: '2' },
      ]),
    );
    // Moving it (a second set) is seen by the other API at once (the alias cache is the native one).
    await post('registered-models/alias', { name: M, alias: 'champion', version: '2' });
    expect((await t.call({ method: 'GET', url: `/api/v1/models/${M}/aliases/champion` })).json()).toMatchObject({ version: 2 });
    expect((await del('registered-models/alias', req('registered-models/alias:delete'))).json()).toEqual({});
    expectMlflowError(await get('registered-models/alias', { name: M, alias: 'champion' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('transition-stage is an alias named after the stage; get-latest-versions reads it back', async () => {
    const res = await post('model-versions/transition-stage', req('model-versions/transition-stage'));
    expect(res.statusCode, res.body).toBe(200);
    expectShape(res.json(), MV);
    expect(res.json().model_version).toMatchObject({ current_stage: 'Production', aliases: expect.arrayContaining(['production']) });
    expect((await t.call({ method: 'GET', url: `/api/v1/models/${M}/aliases/production` })).json()).toMatchObject({ version: 1 });
    // Version 2 into Production, archiving the previous holder.
    const second = await post('model-versions/transition-stage', { name: M, version: '2', stage: 'production', archive_existing_versions: true });
    expect(second.json().model_version.current_stage).toBe('Production');
    expect((await get('model-versions/get', { name: M, version: '1' })).json().model_version.current_stage).toBe('Archived');
    const latest = await post('registered-models/get-latest-versions', req('registered-models/get-latest-versions'));
    expectShape(latest.json(), { model_versions: 'array', ...prefixed('model_versions[]', fixture.shapes.model_version) });
    expect(latest.json().model_versions.map((v: { version: string }) => v.version)).toEqual(['2']);
    expectMlflowError(await post('model-versions/transition-stage', { name: M, version: '1', stage: 'Prod' }), 400, 'INVALID_PARAMETER_VALUE');
  });

  it("search: the client's filters (lowercase and, LIKE, back-quoted tag with !=), max_results, page_token", async () => {
    const versions = await get('model-versions/search', req('model-versions/search'));
    expect(versions.statusCode, versions.body).toBe(200);
    expectShape(versions.json(), { model_versions: 'array', ...prefixed('model_versions[]', fixture.shapes.model_version) });
    expect(versions.json().model_versions.map((v: { version: string }) => v.version)).toEqual(['1']);
    await post('registered-models/create', { name: 'churn-b' });
    await post('registered-models/create', { name: 'other' });
    await post('registered-models/set-tag', { name: 'other', key: 'mlflow.prompt.is_prompt', value: 'true' });
    const models = await get('registered-models/search', req('registered-models/search', 'churn'));
    expect(models.statusCode, models.body).toBe(200);
    expectShape(models.json(), { registered_models: 'array', ...prefixed('registered_models[]', fixture.shapes.registered_model) });
    expect(models.json().registered_models.map((m: { name: string }) => m.name)).toEqual(['churn', 'churn-b']);
    const prompts = await get('registered-models/search', { filter: "tag.`mlflow.prompt.is_prompt` != 'true'" });
    expect(prompts.json().registered_models.map((m: { name: string }) => m.name)).not.toContain('other');
    const page1 = (await get('registered-models/search', { max_results: 2 })).json();
    expect(page1.registered_models).toHaveLength(2);
    const page2 = (await get('registered-models/search', { max_results: 2, page_token: page1.next_page_token })).json();
    expect(page2.registered_models.map((m: { name: string }) => m.name)).toEqual(['other']);
    expect(page2.next_page_token).toBeUndefined();
    const desc = (await get('registered-models/search', { order_by: 'name DESC' })).json();
    expect(desc.registered_models[0].name).toBe('other');
    const bad = expectMlflowError(await get('registered-models/search', { filter: "name = 'a' OR name = 'b'" }), 400, 'INVALID_PARAMETER_VALUE');
    expect(bad.message).toContain('filter');
    expectMlflowError(await get('registered-models/search', { max_results: 0 }), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('get-download-uri returns the source', async () => {
    const res = await get('model-versions/get-download-uri', req('model-versions/get-download-uri'));
    expect(res.json()).toEqual({ artifact_uri: 'mlflow-artifacts:/1/0123456789abcdef0123456789abcdef/artifacts/model' });
  });

  it('delete a version, rename, delete the model; versions follow the new name', async () => {
    // The native alias lookup caches its answer; deleting the version through MLflow must not leave it stale.
    expect((await t.call({ method: 'GET', url: `/api/v1/models/${M}/aliases/production` })).json()).toMatchObject({ version: 2 });
    expect((await del('model-versions/delete', req('model-versions/delete'))).json()).toEqual({});
    expect((await t.call({ method: 'GET', url: `/api/v1/models/${M}/aliases/production` })).statusCode).toBe(404);
    // latest_versions after the newest version is gone: the remaining one (archived), once.
    const after = (await get('registered-models/get', { name: M })).json().registered_model.latest_versions;
    expect(after.map((v: { version: string; current_stage: string }) => [v.version, v.current_stage])).toEqual([['1', 'Archived']]);
    expect((await t.call({ method: 'GET', url: `/api/v1/models/${M}/versions/2` })).statusCode).toBe(404);
    expectMlflowError(await del('model-versions/delete', req('model-versions/delete')), 404, 'RESOURCE_DOES_NOT_EXIST');
    // The next registration is 3: numbers are never reused.
    expect((await post('model-versions/create', { name: M, source: 's3://b/m3' })).json().model_version.version).toBe('3');
    const renamed = await post('registered-models/rename', req('registered-models/rename'));
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json().registered_model.name).toBe(`${M}-renamed`);
    expect((await get('model-versions/get', { name: `${M}-renamed`, version: '1' })).json().model_version.name).toBe(`${M}-renamed`);
    expect((await t.call({ method: 'GET', url: `/api/v1/models/${M}-renamed/aliases/archived` })).json()).toMatchObject({ version: 1 });
    expectMlflowError(await get('registered-models/get', { name: M }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectMlflowError(await post('registered-models/rename', { name: 'churn-b', new_name: 'other' }), 400, 'RESOURCE_ALREADY_EXISTS');
    expect((await del('registered-models/delete', req('registered-models/delete'))).json()).toEqual({});
    expect((await t.call({ method: 'GET', url: `/api/v1/models/${M}-renamed` })).statusCode).toBe(404);
  });
});

describe('races', () => {
  it('two racing creates of one name: one 200, one 400 RESOURCE_ALREADY_EXISTS (what register_model carries on after)', async () => {
    const [a, b] = await Promise.all([post('registered-models/create', { name: 'race' }), post('registered-models/create', { name: 'race' })]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 400]);
    expect([a, b].find((r) => r.statusCode === 400)!.json().error_code).toBe('RESOURCE_ALREADY_EXISTS');
    // Concurrent registrations get 1…N, no gap and no duplicate (the native counter).
    const created = await Promise.all(Array.from({ length: 6 }, (_, i) => post('model-versions/create', { name: 'race', source: `s3://b/${i}` })));
    expect(created.map((r) => Number(r.json().model_version.version)).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6]);
    // Ten racing set-tag calls (MLflow edits one tag, the native service replaces the set): none lost.
    const tagged = await Promise.all(Array.from({ length: 10 }, (_, i) => post('registered-models/set-tag', { name: 'race', key: `k${i}`, value: String(i) })));
    expect(tagged.map((r) => r.statusCode)).toEqual(Array(10).fill(200));
    expect((await get('registered-models/get', { name: 'race' })).json().registered_model.tags).toHaveLength(10);
    await Promise.all(Array.from({ length: 10 }, (_, i) => post('model-versions/set-tag', { name: 'race', version: '1', key: `k${i}`, value: String(i) })));
    expect((await get('model-versions/get', { name: 'race', version: '1' })).json().model_version.tags).toHaveLength(10);
  });
});

describe('errors and auth', () => {
  it('a wrong type names the field; a missing name names it too', async () => {
    const typed = expectMlflowError(await post('registered-models/create', { name: 'x', tags: 'nope' }), 400, 'INVALID_PARAMETER_VALUE');
    expect(typed.message).toContain('tags');
    const missing = expectMlflowError(await post('registered-models/create', {}), 400, 'INVALID_PARAMETER_VALUE');
    expect(missing.message).toContain('name');
    const malformed = await t.call({
      method: 'POST',
      url: `${api}/registered-models/create`,
      payload: '{"name":',
      headers: { 'content-type': 'application/json' },
    });
    expectMlflowError(malformed, 400, 'MALFORMED_REQUEST');
    expectMlflowError(await get('no-such/endpoint', {}), 404, 'ENDPOINT_NOT_FOUND');
  });

  it('reads need read, writes models:write; no key is 401 UNAUTHENTICATED', async () => {
    const reader = await t.keyWith('read');
    const writer = await t.keyWith('models:write');
    expect((await get('registered-models/search', {}, reader)).statusCode).toBe(200);
    expectMlflowError(await post('registered-models/create', { name: 'by-reader' }, reader), 403, 'PERMISSION_DENIED');
    expect((await post('registered-models/create', { name: 'by-writer' }, writer)).statusCode).toBe(200);
    expect((await get('registered-models/get', { name: 'by-writer' }, writer)).statusCode).toBe(200);
    const anonymous = await t.call({ method: 'GET', url: `${api}/registered-models/search`, token: null });
    expectMlflowError(anonymous, 401, 'UNAUTHENTICATED');
  });
});
