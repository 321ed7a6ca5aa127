import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count } from '../../helpers/db.js';
import { createRetrainTestApp, drifted, LOGREG, seedDriftedModel, type RetrainTestApp } from '../../helpers/retraining.js';
import { until } from '../../helpers/wait.js';

const readAll = async (body: NodeJS.ReadableStream) => {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};

describe('retrain: drift → job → export → trainer → v2 with lineage → promotion', () => {
  let t: RetrainTestApp;
  beforeAll(async () => {
    t = await createRetrainTestApp();
  });
  afterAll(async () => t?.close());

  const monitor = (extra: Record<string, unknown> = {}) => ({
    retrain: { enabled: true, on: ['datasetDrift'], executor: { type: 'command', command: ['python3', LOGREG] }, promote: { metric: 'accuracy' }, ...extra },
  });

  it('a drifted report queues exactly one job; the run registers v2 with artifacts, metrics, lineage, and promotes it when better', async () => {
    const { modelId, reportIds } = await seedDriftedModel(t, 'churn', { v1Accuracy: 0.5, monitor: monitor() });
    const decision = await t.retraining.jobs.onReportCompleted(modelId, [drifted(reportIds[0]!)]);
    expect(decision).toMatchObject({ action: 'retrain', triggerReportId: reportIds[0] });
    const jobId = (decision as { jobId: number }).jobId;
    expect(t.enqueued).toContainEqual({ name: 'retrain.run', payload: { retrainJobId: jobId, generation: 0 } });
    // A second drifted report while the job is queued starts nothing, and says why.
    expect(await t.retraining.jobs.onReportCompleted(modelId, [drifted(reportIds[0]!)])).toEqual({ action: 'skip', reason: `job ${jobId} still queued` });

    await t.retraining.runner.runRetrainJob(jobId);
    const job = (await t.call({ method: 'GET', url: `/api/v1/retrain-jobs/${jobId}` })).json();
    expect(job, JSON.stringify(job)).toMatchObject({
      status: 'succeeded',
      model: 'churn',
      baseVersion: 1,
      trigger: 'drift',
      triggerReportId: reportIds[0],
      attempts: 1,
      resultVersion: 2,
      error: null,
    });
    expect(job.logTail).toMatch(/logreg: \d+ train/);
    expect(job.datasetUri).toBe(`datasets/churn/${jobId}/manifest.json`);

    const v2 = (await t.call({ method: 'GET', url: '/api/v1/models/churn/versions/2' })).json();
    expect(v2).toMatchObject({ parentVersion: 1, aliases: ['production'], tags: { 'mlcycle.retrain-job': String(jobId) } });
    expect(v2.metrics.accuracy).toBeGreaterThan(0.7); // recorded as the trainer's claim, not used to promote
    const artifacts = (await t.call({ method: 'GET', url: '/api/v1/models/churn/versions/2/artifacts' })).json().items.map((a: { path: string }) => a.path);
    expect(artifacts).toEqual(['holdout-predictions.csv', 'metrics.json', 'model.json', 'train.log']);
    const model = await t.call({ method: 'GET', url: '/api/v1/models/churn/versions/2/artifacts/model.json' });
    expect(model.json().type).toBe('logistic_regression');

    // The export: train.csv (labelled, given + delayed), holdout.csv without labels, a manifest whose hashes match the bytes.
    const manifest = JSON.parse((await readAll((await t.container.store.get(`datasets/churn/${jobId}/manifest.json`)).body)).toString());
    expect(manifest).toMatchObject({ job: jobId, model: 'churn', baseVersion: 1, windows: [reportIds[0]], split: { holdoutShare: 0.2, trainingWindows: 1 } });
    const train = await readAll((await t.container.store.get(`datasets/churn/${jobId}/train.csv`)).body);
    const holdout = await readAll((await t.container.store.get(`datasets/churn/${jobId}/holdout.csv`)).body);
    const entry = (path: string) => manifest.files.find((f: { path: string }) => f.path === path);
    expect(entry('train.csv')).toMatchObject({ size: train.length, sha256: createHash('sha256').update(train).digest('hex') });
    expect(entry('holdout.csv')).toMatchObject({ size: holdout.length, sha256: createHash('sha256').update(holdout).digest('hex') });
    expect(entry('train.csv').rows + entry('holdout.csv').rows).toBe(300); // every sample labelled (half by delayed labels)
    expect(entry('holdout.csv').rows).toBeGreaterThan(30);
    expect(entry('holdout.csv').rows).toBeLessThan(90);
    const trainLines = train.toString().trim().split('\n');
    expect(trainLines[0]).toBe('sample_id,x1,x2,color,label');
    expect(trainLines.slice(1).every((l) => /,[01]$/.test(l))).toBe(true);
    const holdoutLines = holdout.toString().trim().split('\n');
    expect(holdoutLines[0]).toBe('sample_id,x1,x2,color'); // no label column: the trainer never sees them
    const heldIds = new Set(holdoutLines.slice(1).map((l) => l.split(',')[0]));
    expect(trainLines.slice(1).some((l) => heldIds.has(l.split(',')[0]))).toBe(false);

    // mlcycle scored both models on those rows and recorded how it decided.
    expect(job.evaluation).toMatchObject({ rows: heldIds.size, metric: 'accuracy', test: 'mcnemar', decision: 'promoted', championVersion: 1 });
    expect(job.evaluation.challenger).toBeGreaterThan(job.evaluation.champion);
    expect(job.evaluation.pValue).toBeLessThanOrEqual(0.05);
    // v2 is monitored from its first window: its reference is train.csv's features.
    expect(v2.reference).toMatchObject({ rows: entry('train.csv').rows, source: 'training-data', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect((await t.call({ method: 'GET', url: '/api/v1/models/churn/versions/1' })).json().reference).toBeNull();

    const lineage = (await t.call({ method: 'GET', url: '/api/v1/models/churn/versions/2/lineage' })).json();
    expect(lineage.chain).toEqual([
      {
        version: 2,
        parentVersion: 1,
        driftReportId: reportIds[0],
        retrainJob: { id: jobId, trigger: 'drift', status: 'succeeded', createdAt: job.createdAt },
        createdAt: expect.any(String),
      },
      { version: 1, parentVersion: null, driftReportId: null, retrainJob: null, createdAt: expect.any(String) },
    ]);

    const events = (await t.call({ method: 'GET', url: '/api/v1/models/churn/events?limit=50' }))
      .json()
      .items.map((e: { type: string }) => e.type)
      .reverse();
    expect(events).toEqual(
      expect.arrayContaining([
        'retrain.queued',
        'retrain.skipped',
        'retrain.started',
        'retrain.version_registered',
        'alias.moved',
        'retrain.promotion',
        'retrain.succeeded',
      ]),
    );
    const promotion = (await t.call({ method: 'GET', url: '/api/v1/models/churn/events?type=retrain.promotion' })).json().items[0];
    expect(promotion.data).toMatchObject({ alias: 'production', promoted: true, version: 2, evaluation: job.evaluation });

    // Inside the cooldown a new drift starts nothing; a rerun of the finished job changes nothing.
    const again = await t.retraining.jobs.onReportCompleted(modelId, [drifted(reportIds[0]!)]);
    expect(again.action).toBe('skip');
    expect(again.reason).toMatch(/^cooldown until 20\d\d-/);
    await t.retraining.runner.runRetrainJob(jobId);
    expect(await count(t.container.database, `select count(*) as n from versions where model_id = ${modelId}`)).toBe(2);
  });

  it('a candidate that is not better becomes the challenger; production stays', async () => {
    // The champion's posted predictions are all right: nothing can beat them on the holdout.
    const { reportIds } = await seedDriftedModel(t, 'strong', { v1Accuracy: 0, championRight: 1, monitor: monitor({ cooldown: 'PT1S' }) });
    const res = await t.call({ method: 'POST', url: '/api/v1/models/strong/retrain', payload: {} });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ status: 'queued', trigger: 'manual', baseVersion: 1, requestedBy: expect.any(String) });
    expect((await t.call({ method: 'POST', url: '/api/v1/models/strong/retrain', payload: {} })).json()).toMatchObject({ status: 409, code: 'RETRAIN_ACTIVE' });
    await t.retraining.runner.runRetrainJob(res.json().id);
    const model = (await t.call({ method: 'GET', url: '/api/v1/models/strong' })).json();
    expect(model.aliases).toEqual({ production: 1, challenger: 2 });
    const promotion = (await t.call({ method: 'GET', url: '/api/v1/models/strong/events?type=retrain.promotion' })).json().items[0];
    expect(promotion.data.reason).toMatch(/^not better by minImprovement 0: accuracy [0-9.]+ vs 1 \(v1\) on \d+ holdout rows, mcnemar p = /);
    expect(promotion.data.evaluation).toMatchObject({ champion: 1, decision: 'challenger', alias: 'challenger' });
    expect(reportIds).toHaveLength(1);
  });

  it('retrains from the version that drifted, not the latest; a manual retrain defaults to the production version', async () => {
    const { modelId, reportIds } = await seedDriftedModel(t, 'older', { monitor: monitor() });
    // v2 exists (newer, not in production) when v1's window drifts.
    const features = (await t.call({ method: 'GET', url: '/api/v1/models/older/versions/1' })).json().features;
    expect((await t.call({ method: 'POST', url: '/api/v1/models/older/versions', payload: { features } })).statusCode).toBe(201);
    const decision = await t.retraining.jobs.onReportCompleted(modelId, [drifted(reportIds[0]!)]);
    const jobId = (decision as { jobId: number }).jobId;
    await t.retraining.runner.runRetrainJob(jobId);
    const job = (await t.call({ method: 'GET', url: `/api/v1/retrain-jobs/${jobId}` })).json();
    expect(job).toMatchObject({ status: 'succeeded', baseVersion: 1, resultVersion: 3 });
    const manifest = JSON.parse((await readAll((await t.container.store.get(`datasets/older/${jobId}/manifest.json`)).body)).toString());
    expect(manifest).toMatchObject({ baseVersion: 1, windows: [reportIds[0]] });
    expect(manifest.files[0].rows).toBeGreaterThan(200); // v1's window, not v2's (empty) one
    expect((await t.call({ method: 'GET', url: '/api/v1/models/older/versions/3' })).json()).toMatchObject({ parentVersion: 1 });

    await seedDriftedModel(t, 'manual-base', { monitor: monitor() });
    await t.call({ method: 'POST', url: '/api/v1/models/manual-base/versions', payload: { features } });
    const manual = await t.call({ method: 'POST', url: '/api/v1/models/manual-base/retrain', payload: {} });
    expect(manual.json()).toMatchObject({ baseVersion: 1 }); // production, not the latest (2)
    await t.call({ method: 'POST', url: `/api/v1/retrain-jobs/${manual.json().id}/cancel` });
  });

  it('a failing trainer fails the job with the reason and its log tail; no version appears; the model may retrain again', async () => {
    await seedDriftedModel(t, 'broken', {
      monitor: { retrain: { enabled: true, executor: { type: 'command', command: ['python3', '-c', 'import sys; print("bad data"); sys.exit(2)'] } } },
    });
    const id = (await t.call({ method: 'POST', url: '/api/v1/models/broken/retrain', payload: {} })).json().id;
    await t.retraining.runner.runRetrainJob(id);
    expect((await t.call({ method: 'GET', url: `/api/v1/retrain-jobs/${id}` })).json()).toMatchObject({
      status: 'failed',
      error: 'exited with code 2',
      logTail: 'bad data\n',
      resultVersion: null,
    });
    expect((await t.call({ method: 'GET', url: '/api/v1/models/broken' })).json().latestVersion).toBe(1);
    expect((await t.call({ method: 'POST', url: '/api/v1/models/broken/retrain', payload: {} })).statusCode).toBe(202);
  });

  it('cancel: a queued job at once; a running one has its trainer killed', async () => {
    await seedDriftedModel(t, 'slow', { monitor: { retrain: { enabled: true, executor: { type: 'command', command: ['sleep', '300'] } } } });
    const first = (await t.call({ method: 'POST', url: '/api/v1/models/slow/retrain', payload: {} })).json().id;
    expect((await t.call({ method: 'POST', url: `/api/v1/retrain-jobs/${first}/cancel` })).json()).toMatchObject({ status: 'cancelled' });
    expect((await t.call({ method: 'POST', url: `/api/v1/retrain-jobs/${first}/cancel` })).json()).toMatchObject({ code: 'RETRAIN_JOB_FINISHED' });
    const second = (await t.call({ method: 'POST', url: '/api/v1/models/slow/retrain', payload: {} })).json().id;
    const running = t.retraining.runner.runRetrainJob(second);
    await until('the trainer of the second job', async () => (await t.retraining.repo.find(second))?.runner, { timeoutMs: 5_000 });
    const started = Date.now();
    expect((await t.call({ method: 'POST', url: `/api/v1/retrain-jobs/${second}/cancel` })).statusCode).toBe(202);
    await running;
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await t.call({ method: 'GET', url: `/api/v1/retrain-jobs/${second}` })).json()).toMatchObject({ status: 'cancelled', error: 'cancelled' });
    const list = (await t.call({ method: 'GET', url: '/api/v1/retrain-jobs?model=slow&status=cancelled&limit=1' })).json();
    expect(list.items.map((j: { id: number }) => j.id)).toEqual([second]);
    const next = (await t.call({ method: 'GET', url: `/api/v1/retrain-jobs?model=slow&status=cancelled&limit=1&cursor=${list.nextCursor}` })).json();
    expect(next.items.map((j: { id: number }) => j.id)).toEqual([first]);
  });
});
