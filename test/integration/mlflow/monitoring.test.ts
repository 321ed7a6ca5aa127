import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InlineQueue } from '../../../src/queue/index.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { createRng } from '../../helpers/random.js';

/**
 * Issue 18 item 3: a version registered through MLflow (no features declared) is monitored like
 * any other — its first reference upload declares its features, samples and drift reports follow.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const mlflow = (path: string, payload: object) => t.call({ method: 'POST', url: `/api/2.0/mlflow/${path}`, payload });
const rows = (seed: number, n: number, shift: number) => {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => ({ tenure: rng.uniform() * 10 + shift, plan: rng.uniform() < 0.5 + shift / 20 ? 'basic' : 'pro' }));
};

describe('an MLflow-registered version', () => {
  it('gets its features from its first reference upload (JSON rows), keeps them on the second, and drifts', async () => {
    await mlflow('registered-models/create', { name: 'mf' });
    await mlflow('model-versions/create', { name: 'mf', source: 's3://bucket/mf/1' });
    const before = await t.call({ method: 'POST', url: '/api/v1/models/mf/samples', payload: { version: 1, rows: rows(1, 5, 0) } });
    expect(before.statusCode).toBe(400);
    expect(before.json().errors[0].path).toBe('version');
    const first = await t.call({ method: 'POST', url: '/api/v1/models/mf/versions/1/reference', payload: { rows: rows(2, 1000, 0) } });
    expect(first.statusCode, first.body).toBe(200);
    const version = (await t.call({ method: 'GET', url: '/api/v1/models/mf/versions/1' })).json();
    expect(version.features).toEqual([
      { name: 'tenure', type: 'numeric' },
      { name: 'plan', type: 'categorical' },
    ]);
    // The second chunk is checked against the declared features, as for any version.
    const stray = await t.call({ method: 'POST', url: '/api/v1/models/mf/versions/1/reference', payload: { rows: [{ tenure: 1, plan: 'basic', extra: 2 }] } });
    expect(stray.statusCode).toBe(400);
    const second = await t.call({
      method: 'POST',
      url: '/api/v1/models/mf/versions/1/reference',
      payload: { columns: { tenure: [1, 2], plan: ['pro', 'basic'] } },
    });
    expect(second.json()).toMatchObject({ rows: 1002, chunks: 2 });

    await t.call({ method: 'PUT', url: '/api/v1/models/mf/monitor', payload: { window: { size: 400 }, minSamples: 30 } });
    const samples = await t.call({ method: 'POST', url: '/api/v1/models/mf/samples', payload: { version: 1, rows: rows(3, 400, 6) } });
    expect(samples.statusCode, samples.body).toBe(202);
    expect(samples.json()).toMatchObject({ accepted: 400, windowsCompleted: 1 });
    if (t.container.queue.kind === 'inline') await (t.container.queue as InlineQueue).idle();
    let report: { status: string; datasetDrift: boolean } | undefined;
    for (let i = 0; i < 100 && report?.status !== 'done'; i++) {
      const page = (await t.call({ method: 'GET', url: '/api/v1/models/mf/drift-reports' })).json();
      report = page.items[0];
      if (report?.status !== 'done') await new Promise((r) => setTimeout(r, 50));
    }
    expect(report).toMatchObject({ status: 'done', datasetDrift: true });
  });

  it('a CSV first reference declares numeric and categorical columns', async () => {
    await mlflow('model-versions/create', { name: 'mf', source: 's3://bucket/mf/2' });
    const csv = `tenure,plan,__id\n1.5,basic,a\n2,pro,b\nNA,basic,c\n`;
    const res = await t.call({ method: 'POST', url: '/api/v1/models/mf/versions/2/reference', headers: { 'content-type': 'text/csv' }, payload: csv });
    expect(res.statusCode, res.body).toBe(200);
    expect((await t.call({ method: 'GET', url: '/api/v1/models/mf/versions/2' })).json().features).toEqual([
      { name: 'tenure', type: 'numeric' },
      { name: 'plan', type: 'categorical' },
    ]);
  });

  it('two racing first uploads declare the features once; both chunks are kept', async () => {
    await mlflow('model-versions/create', { name: 'mf', source: 's3://bucket/mf/race' });
    const v = '/api/v1/models/mf/versions/3/reference';
    const [a, b] = await Promise.all([
      t.call({ method: 'POST', url: v, payload: { rows: rows(7, 50, 0) } }),
      t.call({ method: 'POST', url: v, payload: { columns: { tenure: [1, 2, 3], plan: ['a', 'b', 'c'] } } }),
    ]);
    expect([a.statusCode, b.statusCode], `${a.body} ${b.body}`).toEqual([200, 200]);
    const version = (await t.call({ method: 'GET', url: '/api/v1/models/mf/versions/3' })).json();
    expect(version.features).toEqual([
      { name: 'tenure', type: 'numeric' },
      { name: 'plan', type: 'categorical' },
    ]);
    expect(version.reference.rows).toBe(53);
  });

  it('a native registration may leave features out too', async () => {
    const res = await t.call({ method: 'POST', url: '/api/v1/models/mf/versions', payload: { artifactUri: 's3://bucket/mf/4' } });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().features).toEqual([]);
  });
});
