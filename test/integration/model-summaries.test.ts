import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InlineQueue } from '../../src/queue/index.js';
import type { ModelSummary } from '../../src/ui/summary.schemas.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createRng } from '../helpers/random.js';

/**
 * GET /model-summaries and /models/{name}/summary: the dashboard's one request per page. Health
 * from the monitor status (and staleness), the newest window's verdict and times, since when the
 * model drifts (the start of the unbroken run of drifted windows), performance, the newest job.
 */
const features = [
  { name: 'age', type: 'numeric' },
  { name: 'plan', type: 'categorical' },
];
function rows(seed: number, n: number, shift: number) {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => ({ age: rng.normal(40 + shift, 10), plan: shift > 0 ? 'team' : ['free', 'pro', 'team'][rng.int(3)]! }));
}

describe('model summaries', () => {
  let t: TestApp;
  const call = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) => {
    const res = await t.call({ method, url: `/api/v1${url}`, ...(payload ? { payload } : {}) });
    if (method !== 'GET' && res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res;
  };
  const idle = () => (t.container.queue as InlineQueue).idle();
  type Timeline = { points: { reportId: number; from: string; to: string }[] };

  beforeAll(async () => {
    t = await createTestApp();
    await call('POST', '/models', { name: 'churn', description: 'churn classifier' });
    await call('POST', '/models/churn/versions', { features, metrics: { accuracy: 0.9 }, task: { type: 'classification' } });
    await call('PUT', '/models/churn/aliases/production', { version: 1 });
    await call('POST', '/models/churn/versions/1/reference', { rows: rows(1, 1000, 0) });
    await call('PUT', '/models/churn/monitor', { window: { size: 100 }, minSamples: 30 });
    await call('POST', '/models/churn/samples', { rows: rows(2, 100, 0) });
    await call('POST', '/models/churn/samples', { rows: rows(3, 100, 8) });
    const labels = Array.from({ length: 100 }, (_, i) => i % 2);
    await call('POST', '/models/churn/samples', { rows: rows(4, 100, 8), labels, predictions: labels.map((y, i) => (i < 75 ? y : 1 - y)) });
    await call('POST', '/models', { name: 'fraud' });
    await call('POST', '/models', { name: 'orphan' });
    await call('POST', '/models/orphan/versions', { features });
    await call('PUT', '/models/orphan/monitor', { window: { size: 50 }, minSamples: 30 });
    await call('POST', '/models/orphan/samples', { version: 1, rows: rows(5, 50, 0) });
    await idle();
  });
  afterAll(async () => t?.close());

  it('answers every model with its health, newest window, drifting since, performance and newest retrain job in one request', async () => {
    const timeline = (await call('GET', '/models/churn/drift/timeline')).json<Timeline>().points;
    expect(timeline).toHaveLength(3);
    const res = await call('GET', '/model-summaries');
    expect(res.statusCode).toBe(200);
    const { items, nextCursor } = res.json<{ items: ModelSummary[]; nextCursor: string | null }>();
    expect(nextCursor).toBeNull();
    expect(items.map((m) => [m.name, m.health.state])).toEqual([
      ['churn', 'healthy'],
      ['fraud', 'idle'],
      ['orphan', 'no_reference'],
    ]);
    const churn = items[0]!;
    expect(churn).toMatchObject({ description: 'churn classifier', latestVersion: 1, aliases: { production: 1 } });
    expect(churn.health).toMatchObject({ reason: null, reportId: timeline[2]!.reportId, staleAfterSeconds: 6 * 3600 });
    // The two newest windows drifted: since the first of them began.
    expect(churn.drift).toEqual({
      reportId: timeline[2]!.reportId,
      version: 1,
      from: timeline[2]!.from,
      to: timeline[2]!.to,
      datasetDrift: true,
      driftShare: 1,
      driftedFeatures: ['age', 'plan'],
      driftingSince: timeline[1]!.from,
      driftingWindows: 2,
    });
    expect(churn.performance).toMatchObject({ status: 'ok', metrics: { accuracy: 0.75 }, baseline: { accuracy: 0.9 } });
    expect(churn.retrain).toBeNull();
    expect(items[1]).toMatchObject({ drift: null, performance: null, retrain: null, health: { state: 'idle', reportId: null } });
    const orphan = items[2]!;
    expect(orphan.health).toMatchObject({ state: 'no_reference', reason: 'no_reference' });
    expect(orphan.health.message).toMatch(/reference/);
    expect(orphan.drift).toBeNull();
  });

  it('pages like GET /models, and answers one model by name (404 for an unknown one, 400 naming a bad limit)', async () => {
    const first = (await call('GET', '/model-summaries?limit=2')).json<{ items: ModelSummary[]; nextCursor: string }>();
    expect(first.items.map((m) => m.name)).toEqual(['churn', 'fraud']);
    const second = (await call('GET', `/model-summaries?limit=2&cursor=${encodeURIComponent(first.nextCursor)}`)).json<{ items: ModelSummary[] }>();
    expect(second.items.map((m) => m.name)).toEqual(['orphan']);
    expect((await call('GET', '/model-summaries?q=fraud')).json<{ items: ModelSummary[] }>().items.map((m) => m.name)).toEqual(['fraud']);

    const one = await call('GET', '/models/churn/summary');
    expect(one.statusCode).toBe(200);
    expect(one.json<ModelSummary>().drift?.driftingWindows).toBe(2);
    const missing = await call('GET', '/models/nope/summary');
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/application\/problem\+json/);
    const bad = await call('GET', '/model-summaries?limit=0');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toBe('querystring.limit');
    expect((await t.call({ method: 'GET', url: '/api/v1/model-summaries', token: null })).statusCode).toBe(401);
  });

  it('a second time: a stable window ends the drifting run, a failed retrain job shows its error', async () => {
    await call('POST', '/models/churn/samples', { rows: rows(6, 100, 0) });
    await idle();
    const [churn] = await t.container.database.db().select().from(t.container.database.tables.models);
    const at = new Date().toISOString();
    const job = await t.container.database.transaction(() =>
      t.container.retraining.repo.insert({
        modelId: churn!.id,
        activeModelId: null,
        status: 'failed',
        attempts: 1,
        createdAt: at,
        finishedAt: at,
        trigger: 'manual',
        triggerReportId: null,
        requestedBy: 'admin',
        baseVersionId: null,
        executor: { type: 'command', command: ['false'] },
        resultVersion: null,
        evaluation: null,
        error: 'trainer exited with code 1',
      }),
    );
    const summary = (await call('GET', '/models/churn/summary')).json<ModelSummary>();
    expect(summary.drift).toMatchObject({ datasetDrift: false, driftingSince: null, driftingWindows: 0 });
    expect(summary.retrain).toMatchObject({ id: job.id, status: 'failed', error: 'trainer exited with code 1', decision: null, resultVersion: null });
  });
});
