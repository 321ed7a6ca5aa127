import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProfile, computeDrift, type FeatureDriftResult } from '../../src/drift/index.js';
import type { InlineQueue } from '../../src/queue/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { count } from '../helpers/db.js';
import { createRng } from '../helpers/random.js';
import { until } from '../helpers/wait.js';

/**
 * The monitoring loop through the API, in both queue modes: reference data in (JSON rows, JSON
 * columns, CSV), drifted samples in, a report out whose statistics equal computeDrift's on the
 * same data.
 */
const features = [
  { name: 'age', type: 'numeric' },
  { name: 'income', type: 'numeric' },
  { name: 'plan', type: 'categorical' },
] as const;
const PLANS = ['free', 'pro', 'team'];

function makeRows(seed: number, n: number, shift: number) {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => ({
    age: Math.round(rng.normal(40 + shift, 10) * 10) / 10,
    income: Math.round(rng.normal(50_000, 8_000)),
    plan: PLANS[Math.min(2, rng.int(shift > 0 ? 2 : 3) + (shift > 0 ? 1 : 0))]!,
  }));
}
type Row = ReturnType<typeof makeRows>[number];
const columnsOf = (rows: Row[]) => ({ age: rows.map((r) => r.age), income: rows.map((r) => r.income), plan: rows.map((r) => r.plan) });
const csvOf = (rows: Row[]) => `age,income,plan\n${rows.map((r) => `${r.age},${r.income},${r.plan}`).join('\n')}\n`;

async function waitForReports(t: TestApp, model: string, n: number) {
  if (t.container.queue.kind === 'inline') await (t.container.queue as InlineQueue).idle();
  return until(
    `${n} finished reports for ${model}`,
    async () => {
      const page = (await t.call({ method: 'GET', url: `/api/v1/models/${model}/drift-reports` })).json<{ items: { status: string; id: number }[] }>();
      return page.items.length >= n && page.items.every((r) => r.status !== 'pending') ? page.items : undefined;
    },
    { timeoutMs: 10_000 },
  );
}

for (const mode of ['inline', 'bullmq'] as const) {
  describe(`drift monitoring (${mode} queue)`, () => {
    let t: TestApp;
    const reference = makeRows(1, 3000, 0);
    const current = makeRows(2, 500, 6);

    beforeAll(async () => {
      t = await createTestApp({ queue: mode });
      await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'churn' } });
      await t.call({ method: 'POST', url: '/api/v1/models/churn/versions', payload: { features, metrics: { accuracy: 0.9 } } });
      await t.call({ method: 'PUT', url: '/api/v1/models/churn/aliases/production', payload: { version: 1 } });
    });
    afterAll(async () => t?.close());

    it('merges reference chunks sent as JSON rows, JSON columns and CSV into one profile', async () => {
      const chunks = [reference.slice(0, 1000), reference.slice(1000, 2000), reference.slice(2000)];
      const a = await t.call({ method: 'POST', url: '/api/v1/models/churn/versions/1/reference', payload: { rows: chunks[0] } });
      expect(a.statusCode, a.body).toBe(200);
      const b = await t.call({ method: 'POST', url: '/api/v1/models/churn/versions/1/reference', payload: { columns: columnsOf(chunks[1]!) } });
      expect(b.statusCode, b.body).toBe(200);
      const c = await t.call({
        method: 'POST',
        url: '/api/v1/models/churn/versions/1/reference',
        headers: { 'content-type': 'text/csv' },
        payload: csvOf(chunks[2]!),
      });
      expect(c.statusCode, c.body).toBe(200);
      const summary = (await t.call({ method: 'GET', url: '/api/v1/models/churn/versions/1/reference' })).json();
      expect(summary).toMatchObject({ rows: 3000, chunks: 3, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
      const age = summary.features.find((f: { name: string }) => f.name === 'age');
      expect(age).toMatchObject({ type: 'numeric', count: 3000, missing: 0 });
      expect(age.binEdges).toHaveLength(9);
      expect(JSON.stringify(summary)).not.toContain(String(reference[17]!.income)); // a summary, never raw values
    });

    it('turns a full window into exactly one report whose KS and PSI equal computeDrift on the same data', async () => {
      await t.call({ method: 'PUT', url: '/api/v1/models/churn/monitor', payload: { window: { size: 500 }, minSamples: 30 } });
      const first = await t.call({ method: 'POST', url: '/api/v1/models/churn/samples', payload: { rows: current.slice(0, 300) } });
      expect(first.statusCode, first.body).toBe(202);
      expect(first.json()).toMatchObject({ accepted: 300, version: 1, windowsCompleted: 0 });
      const second = await t.call({ method: 'POST', url: '/api/v1/models/churn/samples', payload: { columns: columnsOf(current.slice(300)) } });
      expect(second.json()).toMatchObject({ accepted: 200, windowsCompleted: 1 });

      const [summary] = await waitForReports(t, 'churn', 1);
      const report = (await t.call({ method: 'GET', url: `/api/v1/drift-reports/${summary!.id}` })).json();
      expect(report).toMatchObject({ status: 'done', sampleCount: 500, datasetDrift: true, window: { kind: 'count', seqFrom: 0, seqTo: 500 } });

      const types = new Map(features.map((f) => [f.name, f.type]));
      const expected = computeDrift(buildProfile(columnsOf(reference), types), columnsOf(current), { minSamples: 30 });
      for (const want of expected.features) {
        const got = report.features.find((f: FeatureDriftResult) => f.name === want.name) as FeatureDriftResult;
        expect(got.psi).toBe(want.psi);
        expect(got.ks).toEqual(want.ks);
        expect(got.chi2).toEqual(want.chi2);
        expect(got.drifted).toBe(want.drifted);
        expect(got.histogram).toEqual(want.histogram);
      }
      expect(report.driftedFeatures).toContain('age');

      const events = (await t.call({ method: 'GET', url: '/api/v1/models/churn/events?type=drift.detected' })).json();
      expect(events.items).toHaveLength(1);
      expect(events.items[0].data).toMatchObject({ reportId: summary!.id, version: 1 });

      const timeline = (await t.call({ method: 'GET', url: '/api/v1/models/churn/drift/timeline?feature=age' })).json();
      expect(timeline.points).toHaveLength(1);
      expect(timeline.points[0].features).toEqual([expect.objectContaining({ name: 'age', drifted: true, psi: expected.features[0]!.psi })]);
    });

    it('counts a retried batch once and answers it like the first time', async () => {
      const before = await count(t.container.database, 'select count(*) as n from sample_batches');
      const body = { rows: current.slice(0, 10), batchId: 'serving-batch-77' };
      const a = await t.call({ method: 'POST', url: '/api/v1/models/churn/samples', payload: body });
      const b = await t.call({ method: 'POST', url: '/api/v1/models/churn/samples', payload: body });
      expect(a.statusCode).toBe(202);
      expect(b.json()).toEqual({ ...a.json(), windowsCompleted: 0 });
      expect(await count(t.container.database, 'select count(*) as n from sample_batches')).toBe(before + 1);
      const reused = await t.call({
        method: 'POST',
        url: '/api/v1/models/churn/samples',
        payload: { rows: current.slice(10, 20), batchId: 'serving-batch-77' },
      });
      expect(reused.statusCode).toBe(409);
      expect(reused.json().code).toBe('BATCH_ID_REUSED');
    });

    it('rejects bad rows naming row and field, and stores nothing of the batch', async () => {
      const before = await count(t.container.database, 'select count(*) as n from sample_batches');
      const rows: Record<string, unknown>[] = current.slice(0, 20).map((r) => ({ ...r }));
      rows[17]!.age = 'forty';
      rows[3]!.bogus = 1;
      const res = await t.call({ method: 'POST', url: '/api/v1/models/churn/samples', payload: { rows } });
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const paths = res.json().errors.map((e: { path: string }) => e.path);
      expect(paths).toEqual(expect.arrayContaining(['rows[17].age', 'rows[3].bogus']));
      // 1e999 is valid JSON text that parses to Infinity: sent as raw text, it must be refused.
      const text = JSON.stringify({ columns: { ...columnsOf(current.slice(0, 20)), age: [...current.slice(0, 17).map((r) => r.age), 0, 1, 2] } }).replace(
        /"age":\[((?:[^,\]]+,){17})0/,
        '"age":[$11e999',
      );
      const cols = await t.call({ method: 'POST', url: '/api/v1/models/churn/samples', headers: { 'content-type': 'application/json' }, payload: text });
      expect(cols.statusCode).toBe(400);
      expect(cols.json().errors.map((e: { path: string }) => e.path)).toContain('columns.age[17]');
      expect(await count(t.container.database, 'select count(*) as n from sample_batches')).toBe(before);
    });

    it('answers 409 saying how to fix it when no version can be resolved', async () => {
      await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'orphan' } });
      await t.call({ method: 'POST', url: '/api/v1/models/orphan/versions', payload: { features } });
      const res = await t.call({ method: 'POST', url: '/api/v1/models/orphan/samples', payload: { rows: current.slice(0, 2) } });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'NO_TARGET_VERSION', detail: expect.stringContaining('aliases/production') });
      expect(
        (
          await t.call({
            method: 'POST',
            url: '/api/v1/models/orphan/samples?version=1',
            headers: { 'content-type': 'text/csv' },
            payload: csvOf(current.slice(0, 2)),
          })
        ).statusCode,
      ).toBe(202);
    });

    it('joins delayed labels by id and reports performance against the registered metric', async () => {
      await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'perf' } });
      await t.call({
        method: 'POST',
        url: '/api/v1/models/perf/versions',
        payload: { features, metrics: { accuracy: 0.95 }, task: { type: 'classification' } },
      });
      await t.call({ method: 'POST', url: '/api/v1/models/perf/versions/1/reference', payload: { rows: reference } });
      await t.call({ method: 'PUT', url: '/api/v1/models/perf/monitor', payload: { window: { size: 100 }, performance: { tolerance: 0.05 } } });
      const rows = reference.slice(0, 100);
      const ids = rows.map((_, i) => `s-${i}`);
      const predictions = rows.map((_, i) => (i % 2 ? 'yes' : 'no'));
      // Labels arrive later; they contradict 40 % of the predictions → accuracy 0.6.
      const labelsPosted = await t.call({
        method: 'POST',
        url: '/api/v1/models/perf/labels',
        payload: {
          items: [
            ...ids.map((id, i) => ({ id, label: i < 40 ? (predictions[i] === 'yes' ? 'no' : 'yes') : predictions[i]! })),
            { id: 'never-seen', label: 'yes' },
          ],
        },
      });
      expect(labelsPosted.json()).toEqual({ accepted: 101, matched: [], unmatched: ids.concat('never-seen'), reportsUpdated: [] });
      await t.call({ method: 'POST', url: '/api/v1/models/perf/samples', payload: { version: 1, rows, ids, predictions } });
      // The ids are indexed now: labels for them match, an unknown id is listed.
      const later = await t.call({
        method: 'POST',
        url: '/api/v1/models/perf/labels',
        payload: {
          items: [
            { id: 's-0', label: 'yes' },
            { id: 'ghost', label: 'yes' },
          ],
        },
      });
      // s-0's label is the one it had: nothing changed, no report is revised.
      expect(later.json()).toEqual({ accepted: 2, matched: ['s-0'], unmatched: ['ghost'], reportsUpdated: [] });
      const [summary] = await waitForReports(t, 'perf', 1);
      const report = (await t.call({ method: 'GET', url: `/api/v1/drift-reports/${summary!.id}` })).json();
      expect(report.performance).toMatchObject({
        status: 'ok',
        task: 'classification',
        labeled: 100,
        metrics: { accuracy: 0.6 },
        baseline: { accuracy: 0.95 },
        degraded: true,
      });
      // Nothing drifted in the features (the window is reference data), but performance did.
      expect(report.datasetDrift).toBe(false);
    });

    it('closes time windows: the sweep writes one report per ended hour that holds samples', async () => {
      await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'hourly' } });
      await t.call({ method: 'POST', url: '/api/v1/models/hourly/versions', payload: { features } });
      await t.call({ method: 'PUT', url: '/api/v1/models/hourly/aliases/production', payload: { version: 1 } });
      await t.call({ method: 'POST', url: '/api/v1/models/hourly/versions/1/reference', payload: { rows: reference } });
      await t.call({ method: 'PUT', url: '/api/v1/models/hourly/monitor', payload: { window: { every: 'PT1H' } } });
      for (const [at, rows] of [
        ['2026-01-01T10:15:00Z', current.slice(0, 50)],
        ['2026-01-01T10:45:00Z', current.slice(50, 100)],
        ['2026-01-01T12:05:00Z', current.slice(100, 140)],
      ] as const) {
        const res = await t.call({ method: 'POST', url: '/api/v1/models/hourly/samples', payload: { rows, timestamp: at } });
        expect(res.json().windowsCompleted).toBe(0); // time windows close by the clock, not by count
      }
      await t.container.maintenance.sweepOnce();
      await t.container.maintenance.sweepOnce(); // asked twice (two processes): still one report per window
      const reports = await waitForReports(t, 'hourly', 2);
      expect(reports).toHaveLength(2);
      const windows = (reports as unknown as { window: { kind: string; from: string; to: string }; sampleCount: number }[])
        .map((r) => ({ kind: r.window.kind, from: r.window.from, samples: r.sampleCount }))
        .sort((a, b) => a.from.localeCompare(b.from));
      expect(windows).toEqual([
        { kind: 'time', from: '2026-01-01T10:00:00.000Z', samples: 100 },
        { kind: 'time', from: '2026-01-01T12:00:00.000Z', samples: 40 },
      ]);
    });

    it('computes a report over a time range on demand', async () => {
      const res = await t.call({
        method: 'POST',
        url: '/api/v1/models/churn/drift-reports',
        payload: { from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' },
      });
      expect(res.statusCode, res.body).toBe(202);
      const id = res.json().id;
      for (let i = 0; i < 200; i++) {
        if (t.container.queue.kind === 'inline') await (t.container.queue as InlineQueue).idle();
        const r = (await t.call({ method: 'GET', url: `/api/v1/drift-reports/${id}` })).json();
        if (r.status !== 'pending') {
          expect(r).toMatchObject({ status: 'done', window: { kind: 'range' } });
          expect(r.sampleCount).toBeGreaterThanOrEqual(510);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error('range report never finished');
    });

    it('prunes sample batches past retention and keeps the reports', async () => {
      await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'old' } });
      await t.call({ method: 'POST', url: '/api/v1/models/old/versions', payload: { features } });
      await t.call({ method: 'POST', url: '/api/v1/models/old/samples?version=1', payload: { rows: current.slice(0, 5) } });
      const reports = await count(t.container.database, 'select count(*) as n from drift_reports');
      const before = await count(t.container.database, 'select count(*) as n from sample_batches');
      const pruned = await t.container.database.transaction(() => t.container.monitoringRepo.pruneBatches(new Date(Date.now() + 60_000).toISOString()));
      expect(pruned).toBe(before);
      expect(await count(t.container.database, 'select count(*) as n from sample_batches')).toBe(0);
      expect(await count(t.container.database, 'select count(*) as n from sample_ids')).toBe(0);
      expect(await count(t.container.database, 'select count(*) as n from drift_reports')).toBe(reports);
    });
  });
}
