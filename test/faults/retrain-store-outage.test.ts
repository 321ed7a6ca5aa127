import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactStoreUnavailableError, createFsArtifactStore, type ArtifactStore } from '../../src/artifacts/index.js';
import { count } from '../helpers/db.js';
import { createRetrainTestApp, LOGREG, seedDriftedModel, type RetrainTestApp } from '../helpers/retraining.js';

/** An fs store whose uploads of trainer outputs fail while `down` is set: the store going away mid-job. */
function flakyStore(): ArtifactStore & { down: boolean } {
  const inner = createFsArtifactStore({ root: join(process.cwd(), '.tmp', 'flaky', randomUUID()) });
  const store = Object.create(inner) as ArtifactStore & { down: boolean };
  store.down = false;
  store.put = async (key, body, opts) => {
    if (store.down && key.startsWith('artifacts/retrain-')) {
      (body as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      throw new ArtifactStoreUnavailableError('store down (test)');
    }
    return inner.put(key, body, opts);
  };
  return store;
}

describe('retrain: the artifact store unavailable while uploading outputs', () => {
  let t: RetrainTestApp;
  const store = flakyStore();
  beforeAll(async () => {
    t = await createRetrainTestApp({ store });
  });
  afterAll(async () => t?.close());

  it('the attempt fails and is retried; no version exists in between; the retry registers exactly one, with all its artifacts', async () => {
    const { modelId } = await seedDriftedModel(t, 'outage', {
      monitor: { retrain: { enabled: true, executor: { type: 'command', command: ['python3', LOGREG] } } },
    });
    const jobId = (await t.call({ method: 'POST', url: '/api/v1/models/outage/retrain', payload: {} })).json().id;
    store.down = true;
    await expect(t.retraining.runner.runRetrainJob(jobId, { attempt: 1, maxAttempts: 2 })).rejects.toThrow(/store down/);
    // Not the last attempt: the job waits queued (not "running" with nobody running it) for the
    // queue's retry, its lease released, and no version was registered.
    expect(await t.retraining.repo.find(jobId)).toMatchObject({ status: 'queued', attempts: 1, leaseOwner: null, leaseExpiresAt: null });
    expect(await count(t.container.database, `select count(*) as n from versions where model_id = ${modelId}`)).toBe(1);

    store.down = false;
    await t.retraining.runner.runRetrainJob(jobId, { attempt: 2, maxAttempts: 2 });
    expect((await t.call({ method: 'GET', url: `/api/v1/retrain-jobs/${jobId}` })).json()).toMatchObject({
      status: 'succeeded',
      attempts: 2,
      resultVersion: 2,
    });
    const artifacts = (await t.call({ method: 'GET', url: '/api/v1/models/outage/versions/2/artifacts' })).json().items;
    expect(artifacts.map((a: { path: string }) => a.path)).toEqual(['holdout-predictions.csv', 'metrics.json', 'model.json', 'train.log']);
    for (const a of artifacts) expect((await t.call({ method: 'GET', url: `/api/v1/models/outage/versions/2/artifacts/${a.path}` })).statusCode).toBe(200);
  });

  it('on the last attempt the job is failed with the reason', async () => {
    await seedDriftedModel(t, 'outage2', { monitor: { retrain: { enabled: true, executor: { type: 'command', command: ['python3', LOGREG] } } } });
    const jobId = (await t.call({ method: 'POST', url: '/api/v1/models/outage2/retrain', payload: {} })).json().id;
    store.down = true;
    await expect(t.retraining.runner.runRetrainJob(jobId, { attempt: 2, maxAttempts: 2 })).rejects.toThrow();
    store.down = false;
    expect((await t.call({ method: 'GET', url: `/api/v1/retrain-jobs/${jobId}` })).json()).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^giving up after 2 attempt\(s\): .*store down/),
    });
    expect((await t.call({ method: 'POST', url: '/api/v1/models/outage2/retrain', payload: {} })).statusCode).toBe(202);
  });
});
