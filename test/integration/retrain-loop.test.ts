import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InlineQueue } from '../../src/queue/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createRng } from '../helpers/random.js';

/**
 * The whole loop through the API, as users drive it: reference data, a monitor with a retrain
 * policy running the example trainer, serving samples that drift (with labels), the drift job,
 * the policy, the retrain job, the new version with its lineage, artifacts and metrics, and the
 * promotion decision — then a second drift inside the cooldown starts nothing.
 */
const LOGREG = resolve('examples/trainers/logreg.py');
const features = [
  { name: 'x1', type: 'numeric' },
  { name: 'x2', type: 'numeric' },
] as const;

/** Labels follow a linear rule on (x1, x2): a model can learn them. */
function rows(seed: number, n: number, shift: number) {
  const rng = createRng(seed);
  const out = Array.from({ length: n }, () => ({ x1: rng.normal(shift, 1), x2: rng.normal(0, 1) }));
  return { rows: out, labels: out.map((r) => (r.x1 - shift + 0.5 * r.x2 > 0 ? 'yes' : 'no')) };
}

async function settle(t: TestApp, until: () => Promise<boolean>, what: string) {
  for (let i = 0; i < 600; i++) {
    await (t.container.queue as InlineQueue).idle();
    if (await until()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('drift → retrain → new version → promotion, through the API', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
    await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'loop' } });
    // v1 claims an accuracy the retrained model will beat.
    await t.call({ method: 'POST', url: '/api/v1/models/loop/versions', payload: { features, metrics: { accuracy: 0.5 } } });
    await t.call({ method: 'PUT', url: '/api/v1/models/loop/aliases/production', payload: { version: 1 } });
    const reference = rows(1, 2000, 0);
    expect((await t.call({ method: 'POST', url: '/api/v1/models/loop/versions/1/reference', payload: { rows: reference.rows } })).statusCode).toBe(200);
  });
  afterAll(async () => t.close());

  it('a drifted window retrains once, registers v2 with lineage, artifacts and metrics, and promotes it', async () => {
    const monitor = {
      window: { size: 400 },
      retrain: {
        on: ['datasetDrift'],
        cooldown: 'PT6H',
        executor: { type: 'command', command: ['python3', LOGREG], timeoutSeconds: 120 },
        promote: { alias: 'production', metric: 'accuracy', mode: 'max' },
      },
    };
    const put = await t.call({ method: 'PUT', url: '/api/v1/models/loop/monitor', payload: monitor });
    expect(put.statusCode, put.body).toBe(200);
    // A models:write key may not choose what the workers execute.
    const writer = await t.keyWith('models:write');
    expect((await t.call({ method: 'PUT', url: '/api/v1/models/loop/monitor', payload: monitor, token: writer })).statusCode).toBe(403);

    const drifted = rows(2, 400, 2.5);
    const posted = await t.call({ method: 'POST', url: '/api/v1/models/loop/samples', payload: { rows: drifted.rows, labels: drifted.labels } });
    expect(posted.json()).toMatchObject({ accepted: 400, windowsCompleted: 1 });

    let job: { id: number; status: string; resultVersion?: number | null; triggerReportId: number | null } | undefined;
    await settle(
      t,
      async () => {
        const list = (await t.call({ method: 'GET', url: '/api/v1/retrain-jobs?model=loop' })).json();
        job = list.items[0];
        return job !== undefined && ['succeeded', 'failed', 'cancelled'].includes(job.status);
      },
      'the retrain job',
    );
    const whole = (await t.call({ method: 'GET', url: `/api/v1/retrain-jobs/${job!.id}` })).json();
    expect(whole.status, JSON.stringify(whole)).toBe('succeeded');
    const [report] = (await t.call({ method: 'GET', url: '/api/v1/models/loop/drift-reports' })).json().items;
    expect(report).toMatchObject({ status: 'done', datasetDrift: true });
    expect(whole.triggerReportId).toBe(report.id);

    const v2 = (await t.call({ method: 'GET', url: '/api/v1/models/loop/versions/2' })).json();
    expect(v2).toMatchObject({ parentVersion: 1 });
    expect(v2.metrics.accuracy).toBeGreaterThan(0.8);
    const artifacts = (await t.call({ method: 'GET', url: '/api/v1/models/loop/versions/2/artifacts' })).json().items.map((a: { path: string }) => a.path);
    expect(artifacts).toEqual(expect.arrayContaining(['model.json', 'metrics.json']));
    const lineage = (await t.call({ method: 'GET', url: '/api/v1/models/loop/versions/2/lineage' })).json();
    expect(JSON.stringify(lineage)).toContain(`"driftReportId":${report.id}`);
    expect((await t.call({ method: 'GET', url: '/api/v1/models/loop/aliases/production' })).json().version).toBe(2);

    const events = (await t.call({ method: 'GET', url: '/api/v1/models/loop/events?limit=100' })).json().items.map((e: { type: string }) => e.type);
    expect(events).toEqual(expect.arrayContaining(['drift.detected', 'retrain.queued', 'retrain.started', 'retrain.succeeded', 'alias.moved']));
  });

  it('a second drift inside the cooldown starts nothing, and says why in the audit log', async () => {
    const drifted = rows(3, 400, -2.5);
    await t.call({ method: 'POST', url: '/api/v1/models/loop/samples', payload: { version: 1, rows: drifted.rows, labels: drifted.labels } });
    await settle(
      t,
      async () =>
        (await t.call({ method: 'GET', url: '/api/v1/models/loop/drift-reports' })).json().items.filter((r: { status: string }) => r.status === 'done')
          .length === 2,
      'the second report',
    );
    expect((await t.call({ method: 'GET', url: '/api/v1/retrain-jobs?model=loop' })).json().items).toHaveLength(1);
    const skipped = (await t.call({ method: 'GET', url: '/api/v1/models/loop/events?type=retrain.skipped' })).json().items;
    expect(skipped[0].data.reason).toMatch(/cooldown until/);
  });
});
