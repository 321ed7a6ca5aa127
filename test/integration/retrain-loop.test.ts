import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InlineQueue } from '../../src/queue/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createRng } from '../helpers/random.js';
import { until } from '../helpers/wait.js';

/**
 * The whole loop through the API, as users drive it, with nobody touching the service between
 * phases: three concept-drift phases in a row (x ~ N(μ, 1), label x > μ, μ moving each phase).
 * Serving code posts the production model's class predictions (x > the μ it was trained on) with
 * each sample, and labels. Each phase drifts the version then in production, is retrained from
 * THAT version (its window is the training data) and promoted on mlcycle's own holdout scoring;
 * every retrained version is monitored from its first window (its reference is its train.csv).
 */
const LOGREG = resolve('examples/trainers/logreg.py');
const features = [{ name: 'x', type: 'numeric' }] as const;
const WINDOW = 400;
const MUS = [0, 3, 6, 9];

function phase(seed: number, n: number, mu: number, servedMu: number, prefix: string) {
  const rng = createRng(seed);
  const x = Array.from({ length: n }, () => rng.normal(mu, 1));
  return {
    rows: x.map((v) => ({ x: v })),
    ids: x.map((_, i) => `${prefix}-${i}`),
    labels: x.map((v) => (v > mu ? 1 : 0)),
    predictions: x.map((v) => (v > servedMu ? 1 : 0)),
  };
}

/** Waits (draining the inline queue before each look) until `done` holds. */
async function settle(t: TestApp, queue: string, done: () => Promise<boolean>, what: string) {
  await until(
    what,
    async () => {
      if (queue === 'inline') await (t.container.queue as InlineQueue).idle();
      return done();
    },
    { timeoutMs: 60_000 },
  );
}

const monitorFor = (command: string[], extra: Record<string, unknown> = {}) => ({
  window: { size: WINDOW },
  retrain: {
    on: ['datasetDrift'],
    cooldown: 'PT0.001S',
    executor: { type: 'command', command, timeoutSeconds: 120 },
    promote: { alias: 'production', metric: 'accuracy' },
    ...extra,
  },
});

async function seedModel(t: TestApp, name: string, monitor: Record<string, unknown>) {
  expect((await t.call({ method: 'POST', url: '/api/v1/models', payload: { name } })).statusCode).toBe(201);
  // v1 claims a great accuracy: claims are recorded, never compared.
  await t.call({
    method: 'POST',
    url: `/api/v1/models/${name}/versions`,
    payload: { features, metrics: { accuracy: 0.99 }, task: { type: 'classification' } },
  });
  await t.call({ method: 'PUT', url: `/api/v1/models/${name}/aliases/production`, payload: { version: 1 } });
  const reference = phase(1, 2000, MUS[0]!, MUS[0]!, 'ref');
  expect((await t.call({ method: 'POST', url: `/api/v1/models/${name}/versions/1/reference`, payload: { rows: reference.rows } })).statusCode).toBe(200);
  const put = await t.call({ method: 'PUT', url: `/api/v1/models/${name}/monitor`, payload: monitor });
  expect(put.statusCode, put.body).toBe(200);
}

const finished = (status: string) => ['succeeded', 'failed', 'cancelled'].includes(status);

describe.each(['inline', 'bullmq'] as const)('three drift → retrain → promotion cycles, unattended (%s queue)', (queue) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ queue });
    await seedModel(t, 'loop', monitorFor(['python3', LOGREG]));
  });
  afterAll(async () => t?.close());

  it('each phase is detected on the version in production, retrained from it, and promoted on the holdout', async () => {
    for (let k = 1; k <= 3; k++) {
      const data = phase(10 + k, WINDOW, MUS[k]!, MUS[k - 1]!, `p${k}`);
      const posted = await t.call({ method: 'POST', url: '/api/v1/models/loop/samples', payload: data });
      expect(posted.json(), posted.body).toMatchObject({ accepted: WINDOW, version: k, windowsCompleted: 1 });
      let job: Record<string, any> | undefined;
      await settle(
        t,
        queue,
        async () => {
          const items = (await t.call({ method: 'GET', url: '/api/v1/retrain-jobs?model=loop' })).json().items;
          job = items.length === k ? items[0] : undefined;
          return job !== undefined && finished(job.status);
        },
        `the retrain job of phase ${k}`,
      );
      const [report] = (await t.call({ method: 'GET', url: '/api/v1/models/loop/drift-reports?limit=1' })).json().items;
      expect(report, JSON.stringify(report)).toMatchObject({ status: 'done', version: k, datasetDrift: true });
      expect(job, JSON.stringify(job)).toMatchObject({ status: 'succeeded', baseVersion: k, triggerReportId: report.id, resultVersion: k + 1 });
      expect(job!.evaluation).toMatchObject({ metric: 'accuracy', test: 'mcnemar', decision: 'promoted', alias: 'production', championVersion: k });
      expect(job!.evaluation.rows).toBeGreaterThan(40);
      expect(job!.evaluation.champion).toBeLessThan(0.7); // the old threshold on the new concept
      expect(job!.evaluation.challenger).toBeGreaterThan(0.9);
      expect(job!.evaluation.pValue).toBeLessThan(1e-6);
      expect((await t.call({ method: 'GET', url: '/api/v1/models/loop/aliases/production' })).json().version).toBe(k + 1);
      const version = (await t.call({ method: 'GET', url: `/api/v1/models/loop/versions/${k + 1}` })).json();
      expect(version).toMatchObject({ parentVersion: k, reference: { source: 'training-data', sha256: expect.any(String) } });
      expect(version.reference.rows).toBeGreaterThan(WINDOW / 2);
    }
    const promotions = (await t.call({ method: 'GET', url: '/api/v1/models/loop/events?type=retrain.promotion' })).json().items;
    expect(promotions.map((e: { data: { version: number; promoted: boolean } }) => [e.data.version, e.data.promoted])).toEqual([
      [4, true],
      [3, true],
      [2, true],
    ]);
    expect(promotions[0].data.evaluation).toMatchObject({ decision: 'promoted', rows: expect.any(Number) });
    expect((await t.call({ method: 'GET', url: '/api/v1/models/loop/versions/1' })).json().reference).toMatchObject({ rows: 2000, source: 'uploaded' });
  });

  it('an in-distribution window on the last version is reported and not drifted; no report ever failed', async () => {
    const data = phase(99, WINDOW, MUS[3]!, MUS[3]!, 'calm');
    expect((await t.call({ method: 'POST', url: '/api/v1/models/loop/samples', payload: data })).json()).toMatchObject({ version: 4, windowsCompleted: 1 });
    await settle(
      t,
      queue,
      async () =>
        (await t.call({ method: 'GET', url: '/api/v1/models/loop/drift-reports?version=4' })).json().items.some((r: { status: string }) => r.status === 'done'),
      'the report of the calm window',
    );
    const [calm] = (await t.call({ method: 'GET', url: '/api/v1/models/loop/drift-reports?version=4' })).json().items;
    expect(calm).toMatchObject({ status: 'done', datasetDrift: false });
    const reports = (await t.call({ method: 'GET', url: '/api/v1/models/loop/drift-reports' })).json().items;
    expect(reports).toHaveLength(4);
    expect(reports.every((r: { status: string }) => r.status === 'done')).toBe(true);
    expect((await t.call({ method: 'GET', url: '/api/v1/retrain-jobs?model=loop' })).json().items).toHaveLength(3);
  });
});

describe('a trainer cannot promote itself by its own claims', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  async function runOnce(name: string, trainer: string, extra: Record<string, unknown> = {}) {
    await seedModel(t, name, monitorFor(['python3', '-c', trainer], extra));
    const data = phase(21, WINDOW, MUS[1]!, MUS[0]!, name);
    await t.call({ method: 'POST', url: `/api/v1/models/${name}/samples`, payload: data });
    let job: Record<string, any> | undefined;
    await settle(
      t,
      'inline',
      async () => {
        job = (await t.call({ method: 'GET', url: `/api/v1/retrain-jobs?model=${name}` })).json().items[0];
        return job !== undefined && finished(job.status);
      },
      `the job of ${name}`,
    );
    return job!;
  }

  // Claims 0.999 in metrics.json; its holdout predictions are coin flips.
  const BRAGGART = `
import csv, json, os, random
d, o = os.environ["MLCYCLE_DATASET_DIR"], os.environ["MLCYCLE_OUTPUT_DIR"]
rng = random.Random(5)
ids = [r["sample_id"] for r in csv.DictReader(open(os.path.join(d, "holdout.csv")))]
with open(os.path.join(o, "holdout-predictions.csv"), "w") as f:
    f.write("sample_id,prediction\\n" + "".join(f"{i},{rng.randint(0, 1)}\\n" for i in ids))
json.dump({"accuracy": 0.999}, open(os.path.join(o, "metrics.json"), "w"))
`;
  it('metrics.json claims 0.999 and the holdout predictions are worthless: never promoted', async () => {
    const job = await runOnce('braggart', BRAGGART);
    expect(job).toMatchObject({ status: 'succeeded', resultVersion: 2 });
    expect(job.evaluation).toMatchObject({ decision: 'challenger', alias: 'challenger', metric: 'accuracy' });
    expect(job.evaluation.challenger).toBeLessThan(0.7);
    const model = (await t.call({ method: 'GET', url: '/api/v1/models/braggart' })).json();
    expect(model.aliases).toEqual({ production: 1, challenger: 2 });
    const v2 = (await t.call({ method: 'GET', url: '/api/v1/models/braggart/versions/2' })).json();
    expect(v2.metrics).toEqual({ accuracy: 0.999 }); // recorded as claimed
    expect(v2.task).toEqual({ type: 'classification' }); // no task.json: the parent's
  });

  it('a trainer that omits holdout-predictions.csv gets `challenger`, and the reason says so', async () => {
    const job = await runOnce(
      'silent',
      `import json, os; o = os.environ["MLCYCLE_OUTPUT_DIR"]; json.dump({"accuracy": 1.0}, open(os.path.join(o, "metrics.json"), "w")); json.dump({"type": "classification", "positive": 1}, open(os.path.join(o, "task.json"), "w"))`,
    );
    // The trainer's task.json declares the new version's task.
    expect((await t.call({ method: 'GET', url: '/api/v1/models/silent/versions/2' })).json().task).toEqual({ type: 'classification', positive: 1 });
    expect(job).toMatchObject({ status: 'succeeded', evaluation: { decision: 'challenger', reason: 'the trainer wrote no holdout-predictions.csv' } });
    expect((await t.call({ method: 'GET', url: '/api/v1/models/silent' })).json().aliases).toEqual({ production: 1, challenger: 2 });
    const promotion = (await t.call({ method: 'GET', url: '/api/v1/models/silent/events?type=retrain.promotion' })).json().items[0];
    expect(promotion.data).toMatchObject({ promoted: false, alias: 'challenger', reason: 'the trainer wrote no holdout-predictions.csv' });
  });

  it('too few labelled rows: no job is started, and retrain.skipped says how many', async () => {
    await seedModel(t, 'unlabelled', monitorFor(['python3', LOGREG]));
    const data = phase(31, WINDOW, MUS[1]!, MUS[0]!, 'u');
    const labels = data.labels.map((l, i) => (i < 37 ? l : null));
    await t.call({ method: 'POST', url: '/api/v1/models/unlabelled/samples', payload: { ...data, labels } });
    await settle(
      t,
      'inline',
      async () => (await t.call({ method: 'GET', url: '/api/v1/models/unlabelled/events?type=retrain.skipped' })).json().items.length > 0,
      'the skip',
    );
    const skipped = (await t.call({ method: 'GET', url: '/api/v1/models/unlabelled/events?type=retrain.skipped' })).json().items[0];
    expect(skipped.data.reason).toBe('37 labelled rows < 100');
    expect((await t.call({ method: 'GET', url: '/api/v1/retrain-jobs?model=unlabelled' })).json().items).toHaveLength(0);
  });
});
