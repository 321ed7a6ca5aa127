import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count } from '../../helpers/db.js';
import { createRetrainTestApp, drifted, LOGREG, seedDriftedModel, type RetrainTestApp } from '../../helpers/retraining.js';

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
    expect(v2.metrics.accuracy).toBeGreaterThan(0.7);
    const artifacts = (await t.call({ method: 'GET', url: '/api/v1/models/churn/versions/2/artifacts' })).json().items.map((a: { path: string }) => a.path);
    expect(artifacts).toEqual(['metrics.json', 'model.json', 'train.log']);
    const model = await t.call({ method: 'GET', url: '/api/v1/models/churn/versions/2/artifacts/model.json' });
    expect(model.json().type).toBe('logistic_regression');

    // The export: samples with labels (given + delayed), a manifest whose hashes match the bytes.
    const manifest = JSON.parse((await readAll((await t.container.store.get(`datasets/churn/${jobId}/manifest.json`)).body)).toString());
    expect(manifest).toMatchObject({ job: jobId, model: 'churn', baseVersion: 1, windows: [reportIds[0]] });
    const samples = await readAll((await t.container.store.get(`datasets/churn/${jobId}/samples.csv`)).body);
    const entry = manifest.files.find((f: { path: string }) => f.path === 'samples.csv');
    expect(entry).toMatchObject({ rows: 300, size: samples.length, sha256: createHash('sha256').update(samples).digest('hex') });
    const lines = samples.toString().trim().split('\n');
    expect(lines[0]).toBe('window,sample_id,x1,x2,color,prediction,label');
    expect(lines.slice(1).every((l) => /,[01]$/.test(l))).toBe(true); // every row labelled, half of them by delayed labels

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
    expect(promotion.data).toMatchObject({ alias: 'production', promoted: true, version: 2 });

    // Inside the cooldown a new drift starts nothing; a rerun of the finished job changes nothing.
    const again = await t.retraining.jobs.onReportCompleted(modelId, [drifted(reportIds[0]!)]);
    expect(again.action).toBe('skip');
    expect(again.reason).toMatch(/^cooldown until 20\d\d-/);
    await t.retraining.runner.runRetrainJob(jobId);
    expect(await count(t.container.database, `select count(*) as n from versions where model_id = ${modelId}`)).toBe(2);
  });

  it('a candidate that is not better becomes the challenger; production stays', async () => {
    const { reportIds } = await seedDriftedModel(t, 'strong', { v1Accuracy: 1, monitor: monitor({ cooldown: 'PT1S' }) });
    const res = await t.call({ method: 'POST', url: '/api/v1/models/strong/retrain', payload: {} });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ status: 'queued', trigger: 'manual', baseVersion: 1, requestedBy: expect.any(String) });
    expect((await t.call({ method: 'POST', url: '/api/v1/models/strong/retrain', payload: {} })).json()).toMatchObject({ status: 409, code: 'RETRAIN_ACTIVE' });
    await t.retraining.runner.runRetrainJob(res.json().id);
    const model = (await t.call({ method: 'GET', url: '/api/v1/models/strong' })).json();
    expect(model.aliases).toEqual({ production: 1, challenger: 2 });
    const promotion = (await t.call({ method: 'GET', url: '/api/v1/models/strong/events?type=retrain.promotion' })).json().items[0];
    expect(promotion.data.reason).toMatch(/^not better: accuracy [0-9.]+ vs 1 \(v1, max, minImprovement 0\)$/);
    expect(reportIds).toHaveLength(1);
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
    for (let i = 0; i < 200 && !(await t.retraining.repo.find(second))?.runner; i++) await new Promise((r) => setTimeout(r, 25));
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
