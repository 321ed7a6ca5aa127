import { readFileSync } from 'node:fs';
import { Float64, Int32, Table, tableToIPC, vectorFromArray } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InlineQueue } from '../../src/queue/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { count } from '../helpers/db.js';
import { createRng } from '../helpers/random.js';

/**
 * Performance through the API: the version declares its task, samples carry predictions, labels
 * and scores (JSON, CSV), and the report's metrics equal scikit-learn's on the same rows
 * (test/unit/monitoring/fixtures/gen_performance.py). Without a task performance is off; values
 * that do not fit the task are a 400 naming the field, and nothing is stored.
 */
type Case = {
  name: string;
  task: Record<string, unknown>;
  predictions: (number | string)[];
  labels: (number | string)[];
  scores?: (number | number[])[];
  classes?: (number | string)[];
  expected: Record<string, number>;
};
const fixtures = JSON.parse(readFileSync(new URL('../unit/monitoring/fixtures/performance.json', import.meta.url), 'utf8')) as { cases: Case[] };
const fixture = (name: string) => fixtures.cases.find((c) => c.name.startsWith(name))!;
const features = [{ name: 'x', type: 'numeric' }] as const;
const xs = (seed: number, n: number) => {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => rng.normal(0, 1));
};

function expectSklearn(metrics: Record<string, number>, expected: Record<string, number>) {
  expect(Object.keys(metrics).sort()).toEqual(Object.keys(expected).sort());
  for (const [name, value] of Object.entries(expected)) {
    expect(Math.abs(metrics[name]! - value) / Math.max(1, Math.abs(value)), `${name}: ${metrics[name]} vs sklearn ${value}`).toBeLessThanOrEqual(1e-12);
  }
}

describe('performance on a declared task', () => {
  let t: TestApp;
  const batches = () => count(t.container.database, 'select count(*) as n from sample_batches');

  async function model(name: string, size: number, task?: Record<string, unknown>) {
    await t.call({ method: 'POST', url: '/api/v1/models', payload: { name } });
    const created = await t.call({ method: 'POST', url: `/api/v1/models/${name}/versions`, payload: { features, ...(task ? { task } : {}) } });
    expect(created.statusCode, created.body).toBe(201);
    await t.call({ method: 'POST', url: `/api/v1/models/${name}/versions/1/reference`, payload: { columns: { x: xs(1, 500) } } });
    await t.call({ method: 'PUT', url: `/api/v1/models/${name}/monitor`, payload: { window: { size } } });
  }

  async function reports(name: string, n: number) {
    await (t.container.queue as InlineQueue).idle();
    const page = (await t.call({ method: 'GET', url: `/api/v1/models/${name}/drift-reports` })).json<{ items: { id: number; status: string }[] }>();
    expect(page.items.length).toBe(n);
    expect(page.items.every((r) => r.status === 'done')).toBe(true);
    return Promise.all(page.items.map(async (r) => (await t.call({ method: 'GET', url: `/api/v1/drift-reports/${r.id}` })).json()));
  }

  beforeAll(async () => {
    t = await createTestApp({ queue: 'inline' });
  });
  afterAll(async () => t?.close());

  it('binary with a positive class and scores (JSON): metrics equal sklearn, and the task is on the version', async () => {
    const c = fixture("binary strings, positive 'yes'");
    await model('binary', c.labels.length, c.task);
    expect((await t.call({ method: 'GET', url: '/api/v1/models/binary/versions/1' })).json().task).toEqual({ type: 'classification', positive: 'yes' });
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/models/binary/samples',
      payload: { version: 1, columns: { x: xs(2, c.labels.length) }, predictions: c.predictions, labels: c.labels, scores: c.scores },
    });
    expect(res.statusCode, res.body).toBe(202);
    const [report] = await reports('binary', 1);
    expect(report.performance).toMatchObject({ status: 'ok', task: 'classification', labeled: 100, scored: 100, excluded: 0 });
    expectSklearn(report.performance.metrics, c.expected);
  });

  it('multiclass scores as CSV __score_<class> columns, labels posted later by id', async () => {
    const c = fixture('multiclass integer classes with scores');
    await model('multi', c.labels.length, c.task);
    const header = 'x,__id,__prediction,__score_0,__score_1,__score_2';
    const x = xs(3, c.labels.length);
    const lines = c.predictions.map((p, i) => [x[i], `r${i}`, p, ...(c.scores![i] as number[]).map((v) => v.toPrecision(17))].join(','));
    // Ground truth first, by id (the delayed-label path): unmatched until the samples come.
    const labels = await t.call({
      method: 'POST',
      url: '/api/v1/models/multi/labels',
      payload: { items: c.labels.map((label, i) => ({ id: `r${i}`, label })) },
    });
    expect(labels.json().unmatched).toHaveLength(c.labels.length);
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/models/multi/samples?version=1',
      headers: { 'content-type': 'text/csv' },
      payload: `${header}\n${lines.join('\n')}\n`,
    });
    expect(res.statusCode, res.body).toBe(202);
    const [report] = await reports('multi', 1);
    expect(report.performance).toMatchObject({ status: 'ok', labeled: 90, scored: 90 });
    expectSklearn(report.performance.metrics, c.expected);
  });

  it('binary scores as an Arrow __score column, positive the smaller class: equal to sklearn', async () => {
    const c = fixture('binary, positive is the smaller label 0');
    await model('arrow', c.labels.length, c.task);
    const table = new Table({
      x: vectorFromArray(xs(7, c.labels.length), new Float64()),
      __prediction: vectorFromArray(c.predictions as number[], new Int32()),
      __label: vectorFromArray(c.labels as number[], new Int32()),
      __score: vectorFromArray(c.scores as number[], new Float64()),
    });
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/models/arrow/samples?version=1',
      headers: { 'content-type': 'application/vnd.apache.arrow.stream' },
      payload: Buffer.from(tableToIPC(table, 'stream')),
    });
    expect(res.statusCode, res.body).toBe(202);
    const [report] = await reports('arrow', 1);
    expect(report.performance).toMatchObject({ status: 'ok', labeled: 80, scored: 80 });
    expectSklearn(report.performance.metrics, c.expected);
  });

  it('predicted class absent from the labels: macro precision/recall/F1 over the union, as sklearn', async () => {
    const c = fixture('predicted class absent from labels');
    await model('absent', c.labels.length, c.task);
    await t.call({
      method: 'POST',
      url: '/api/v1/models/absent/samples',
      payload: { version: 1, columns: { x: xs(4, 10) }, predictions: c.predictions, labels: c.labels },
    });
    const [report] = await reports('absent', 1);
    expectSklearn(report.performance.metrics, c.expected);
    expect(report.performance.metrics.precision_macro).toBeCloseTo(0.5556, 4);
  });

  it('integer counts and 50.0 as regression targets are a regression: MAE, RMSE, R², no accuracy', async () => {
    for (const [name, prefix] of [
      ['counts', 'regression with integer counts'],
      ['fifty', 'regression with 50.0'],
    ] as const) {
      const c = fixture(prefix);
      await model(name, c.labels.length, c.task);
      await t.call({
        method: 'POST',
        url: `/api/v1/models/${name}/samples`,
        payload: { version: 1, columns: { x: xs(5, c.labels.length) }, predictions: c.predictions, labels: c.labels },
      });
      const [report] = await reports(name, 1);
      expect(report.performance).toMatchObject({ status: 'ok', task: 'regression' });
      expectSklearn(report.performance.metrics, c.expected);
    }
  });

  it('without a task performance is off and says why; PATCHing the task turns it on for the next window', async () => {
    await model('untasked', 6);
    const body = { version: 1, columns: { x: xs(6, 6) }, predictions: [48, 50, 51.5, 49, 50, 52], labels: [50, 50, 50, 47, 53, 50] };
    await t.call({ method: 'POST', url: '/api/v1/models/untasked/samples', payload: body });
    const [off] = await reports('untasked', 1);
    expect(off.performance).toEqual({ status: 'off', reason: expect.stringContaining('declares no task'), degraded: false });
    const patched = await t.call({ method: 'PATCH', url: '/api/v1/models/untasked/versions/1', payload: { task: { type: 'regression' } } });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json().task).toEqual({ type: 'regression' });
    await t.call({ method: 'POST', url: '/api/v1/models/untasked/samples', payload: body });
    const [on] = await reports('untasked', 2);
    expect(on.performance).toMatchObject({ status: 'ok', task: 'regression' });
    expectSklearn(on.performance.metrics, fixture('regression with 50.0').expected);
  });

  it('refuses a positive class on a regression task (400 naming task.positive)', async () => {
    await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'badtask' } });
    const res = await t.call({ method: 'POST', url: '/api/v1/models/badtask/versions', payload: { features, task: { type: 'regression', positive: 1 } } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: 'task.positive', message: expect.any(String) }]);
    expect((await t.call({ method: 'GET', url: '/api/v1/models/badtask/versions' })).json().items).toEqual([]);
  });

  it('a batch that does not fit the task is a 400 naming the field, nothing stored; the corrected retry is stored once', async () => {
    await model('strict', 1000, { type: 'classification' });
    await model('strictreg', 1000, { type: 'regression' });
    const before = await batches();
    const cases = [
      // integer predictions, string labels "0"…"2": was accuracy 0, silently
      ['strict', { predictions: [0, 1, 2], labels: ['0', '1', '2'] }, 'labels'],
      ['strict', { predictions: [0.2, 0.9, 0.5], labels: [0, 1, 0] }, 'predictions[0]'],
      ['strict', { predictions: [0, 1, 1], labels: [0, 1, 0], scores: [0.1, 1.4, 0.6] }, 'scores[1]'],
      [
        'strict',
        {
          predictions: [0, 1, 1],
          labels: [0, 1, 0],
          scores: [
            [0.5, 0.5],
            [0.2, 0.8],
            [0.6, 0.6],
          ],
          classes: [0, 1],
        },
        'scores[2]',
      ],
      ['strictreg', { predictions: [1.5, 'high', 2], labels: [1, 2, 3] }, 'predictions[1]'],
      ['strictreg', { predictions: [1, 2, 3], labels: [1, 2, 3], scores: [0.1, 0.2, 0.3] }, 'scores'],
    ] as const;
    for (const [name, outcomes, path] of cases) {
      const res = await t.call({
        method: 'POST',
        url: `/api/v1/models/${name}/samples`,
        payload: { version: 1, batchId: `b-${name}`, columns: { x: [0.1, 0.2, 0.3] }, ...outcomes },
      });
      expect(res.statusCode, `${path}: ${res.body}`).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    // CSV: integer predictions, string labels in the reserved columns
    const csv = await t.call({
      method: 'POST',
      url: '/api/v1/models/strict/samples?version=1',
      headers: { 'content-type': 'text/csv' },
      payload: 'x,__prediction,__label\n0.1,0,a\n0.2,1,b\n',
    });
    expect(csv.statusCode, csv.body).toBe(400);
    expect(csv.json().errors[0].path).toBe('__label');
    expect(await batches()).toBe(before);
    // The same batch id, fixed: stored once, and its retry answers the same without a second row.
    const fixed = { version: 1, batchId: 'b-strict', columns: { x: [0.1, 0.2, 0.3] }, predictions: ['0', '1', '2'], labels: ['0', '1', '2'] };
    const first = await t.call({ method: 'POST', url: '/api/v1/models/strict/samples', payload: fixed });
    expect(first.statusCode, first.body).toBe(202);
    const retry = await t.call({ method: 'POST', url: '/api/v1/models/strict/samples', payload: fixed });
    expect(retry.json()).toEqual(first.json());
    expect(await batches()).toBe(before + 1);
  });

  it('a late label of the wrong type is a 400 naming the item, and no label of the request is stored', async () => {
    await model('late', 1000, { type: 'classification' });
    await t.call({
      method: 'POST',
      url: '/api/v1/models/late/samples',
      payload: { version: 1, columns: { x: [0.1, 0.2] }, ids: ['a', 'b'], predictions: [0, 1] },
    });
    const labelsBefore = await count(t.container.database, 'select count(*) as n from sample_labels');
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/models/late/labels',
      payload: {
        items: [
          { id: 'a', label: 0 },
          { id: 'b', label: '1' },
        ],
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: 'items[1].label', message: expect.stringContaining('prediction is a number') }]);
    expect(await count(t.container.database, 'select count(*) as n from sample_labels')).toBe(labelsBefore);
    const ok = await t.call({
      method: 'POST',
      url: '/api/v1/models/late/labels',
      payload: {
        items: [
          { id: 'a', label: 0 },
          { id: 'b', label: 1 },
        ],
      },
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(await count(t.container.database, 'select count(*) as n from sample_labels')).toBe(labelsBefore + 2);
  });
});
