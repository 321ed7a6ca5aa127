import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InlineQueue } from '../../src/queue/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { parseExposition, valueOf } from '../helpers/prometheus.js';
import { createRng } from '../helpers/random.js';

/**
 * GET /metrics after real traffic: registry calls, reference and sample ingestion, a refused
 * batch, a drift job. The exposition must parse, the counters must have moved by exactly what was
 * sent, and the drift gauges must carry the stored report's numbers.
 */
const features = [
  { name: 'age', type: 'numeric' },
  { name: 'plan', type: 'categorical' },
];
function rows(seed: number, n: number, shift: number) {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => ({
    age: Math.round(rng.normal(40 + shift, 10) * 10) / 10,
    plan: shift > 0 ? 'team' : ['free', 'pro', 'team'][rng.int(3)]!,
  }));
}

describe('GET /metrics', () => {
  let t: TestApp;
  let metricsKey: string;
  const scrape = async () => {
    const res = await t.call({ method: 'GET', url: '/metrics', token: metricsKey });
    expect(res.statusCode, res.body).toBe(200);
    return parseExposition(res.body).samples;
  };

  beforeAll(async () => {
    t = await createTestApp();
    metricsKey = await t.keyWith('metrics');
    await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'churn' } });
    await t.call({ method: 'POST', url: '/api/v1/models/churn/versions', payload: { features } });
    await t.call({ method: 'PUT', url: '/api/v1/models/churn/aliases/production', payload: { version: 1 } });
    await t.call({ method: 'PUT', url: '/api/v1/models/churn/monitor', payload: { window: { size: 200 }, minSamples: 30 } });
  });
  afterAll(async () => t?.close());

  it('needs a key with the metrics scope (or admin): 401 without one, 403 with a read key', async () => {
    expect((await t.call({ method: 'GET', url: '/metrics', token: null })).statusCode).toBe(401);
    expect((await t.call({ method: 'GET', url: '/metrics', token: await t.keyWith('read') })).statusCode).toBe(403);
    const res = await t.call({ method: 'GET', url: '/metrics', token: metricsKey });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).not.toMatch(/^"/); // the text itself, not a JSON string
    // A metrics key opens nothing else.
    expect((await t.call({ method: 'GET', url: '/api/v1/models', token: metricsKey })).statusCode).toBe(403);
  });

  it('counts rows and batches ingested and refused, by kind and error code', async () => {
    const before = await scrape();
    const ref = await t.call({ method: 'POST', url: '/api/v1/models/churn/versions/1/reference', payload: { rows: rows(1, 1000, 0) } });
    expect(ref.statusCode, ref.body).toBe(200);
    const ok = await t.call({ method: 'POST', url: '/api/v1/models/churn/samples', payload: { rows: rows(2, 200, 8) } });
    expect(ok.statusCode, ok.body).toBe(202);
    const bad = await t.call({
      method: 'POST',
      url: '/api/v1/models/churn/samples',
      payload: {
        rows: [
          { age: 'old', plan: 'pro' },
          { age: 3, plan: 'pro' },
        ],
      },
    });
    expect(bad.statusCode).toBe(400);
    const garbage = await t.call({
      method: 'POST',
      url: '/api/v1/models/churn/samples',
      headers: { 'content-type': 'application/json' },
      payload: '{not json',
    });
    expect(garbage.statusCode).toBe(400);
    // An unauthenticated post is not a data rejection.
    expect((await t.call({ method: 'POST', url: '/api/v1/models/churn/samples', token: null, payload: { rows: [] } })).statusCode).toBe(401);
    await (t.container.queue as InlineQueue).idle();

    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => (valueOf(after, name, labels) ?? 0) - (valueOf(before, name, labels) ?? 0);
    expect(delta('mlcycle_ingest_rows_total', { kind: 'reference' })).toBe(1000);
    expect(delta('mlcycle_ingest_batches_total', { kind: 'reference' })).toBe(1);
    expect(delta('mlcycle_ingest_rows_total', { kind: 'samples' })).toBe(200);
    expect(delta('mlcycle_ingest_batches_total', { kind: 'samples' })).toBe(1);
    expect(delta('mlcycle_ingest_batches_rejected_total', { kind: 'samples', code: 'VALIDATION_FAILED' })).toBe(1);
    expect(delta('mlcycle_ingest_batches_rejected_total', { kind: 'samples', code: 'MALFORMED_BODY' })).toBe(1);
    expect(after.filter((s) => s.name === 'mlcycle_ingest_batches_rejected_total' && s.labels.code === 'UNAUTHENTICATED')).toHaveLength(0);
    // The drift job ran once, in this process (in-process queue).
    expect(delta('mlcycle_drift_job_duration_seconds_count', { outcome: 'ok' })).toBe(1);
  });

  it('records latency by route pattern, never by concrete URL', async () => {
    const before = await scrape();
    for (let i = 0; i < 3; i++) expect((await t.call({ method: 'GET', url: '/api/v1/models/churn' })).statusCode).toBe(200);
    expect((await t.call({ method: 'GET', url: '/api/v1/models/nope' })).statusCode).toBe(404);
    const after = await scrape();
    const count = (s: typeof after, status: string) =>
      valueOf(s, 'mlcycle_http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/models/:name', status_class: status }) ?? 0;
    expect(count(after, '2xx') - count(before, '2xx')).toBe(3);
    expect(count(after, '4xx') - count(before, '4xx')).toBe(1);
    const routes = new Set(after.filter((s) => s.name.startsWith('mlcycle_http_request_duration_seconds')).map((s) => s.labels.route));
    expect([...routes].some((r) => r?.includes('churn') || r?.includes('nope'))).toBe(false);
    // Buckets are cumulative and end in +Inf equal to the count.
    const inf = valueOf(after, 'mlcycle_http_request_duration_seconds_bucket', {
      method: 'GET',
      route: '/api/v1/models/:name',
      status_class: '2xx',
      le: '+Inf',
    });
    expect(inf).toBe(count(after, '2xx'));
  });

  it("shows queue depths and the latest report's drift scores per model and feature", async () => {
    const samples = await scrape();
    expect(valueOf(samples, 'mlcycle_queue_jobs', { queue: 'drift', state: 'waiting' })).toBe(0);
    const { items } = (await t.call({ method: 'GET', url: '/api/v1/models/churn/drift-reports' })).json<{ items: { id: number; status: string }[] }>();
    expect(items[0]?.status).toBe('done');
    const report = (await t.call({ method: 'GET', url: `/api/v1/drift-reports/${items[0]!.id}` })).json<{
      datasetDrift: boolean;
      driftShare: number;
      features: { name: string; psi: number }[];
    }>();
    expect(report.datasetDrift).toBe(true);
    for (const f of report.features) expect(valueOf(samples, 'mlcycle_drift_psi', { model: 'churn', feature: f.name })).toBeCloseTo(f.psi, 12);
    expect(valueOf(samples, 'mlcycle_drift_detected', { model: 'churn' })).toBe(1);
    expect(valueOf(samples, 'mlcycle_drift_share_ratio', { model: 'churn' })).toBeCloseTo(report.driftShare, 12);
  });

  it('feeds the retrain-jobs gauge from the source the retraining module plugs in', async () => {
    t.container.metrics.setRetrainJobCounts(async () => ({ running: 1, failed: 3 }));
    const samples = await scrape();
    expect(valueOf(samples, 'mlcycle_retrain_jobs_current', { status: 'failed' })).toBe(3);
    expect(valueOf(samples, 'mlcycle_retrain_jobs_current', { status: 'running' })).toBe(1);
  });
});
