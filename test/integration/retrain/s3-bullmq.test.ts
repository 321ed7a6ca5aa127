import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../../src/events/webhook-signing.js';
import { createBullmqQueue, type JobQueue } from '../../../src/queue/index.js';
import { retrainProcessor, webhooksProcessor } from '../../../src/retraining/processors.js';
import { deletePrefix, testRedisUrl, uniquePrefix } from '../../helpers/redis.js';
import { createRetrainTestApp, drifted, LOGREG, seedDriftedModel, type RetrainTestApp } from '../../helpers/retraining.js';
import { s3StoreFor, startS3rver, type S3rverHandle } from '../../helpers/s3rver.js';
import { until } from '../../helpers/wait.js';

/**
 * The scaled mode end to end: artifacts on S3 (s3rver), jobs on BullMQ (Redis), the processors
 * registered as the worker will register them. Drift → one job on the queue → export and trainer
 * → v2 with its artifacts in the bucket → promotion; webhooks delivered through the queue, signed.
 */
describe('retrain on S3 + BullMQ', () => {
  let s3: S3rverHandle;
  let queue: JobQueue;
  let t: RetrainTestApp;
  let redisUrl: string;
  const prefix = uniquePrefix('retrain');
  let receiver: Server;
  const received: { type: string; verified: boolean }[] = [];
  let secret = '';

  beforeAll(async () => {
    s3 = await startS3rver();
    redisUrl = await testRedisUrl();
    queue = createBullmqQueue({ url: redisUrl, deploymentId: 'd1', prefix, retry: { 'webhook.deliver': { backoff: { type: 'fixed', delayMs: 100 } } } });
    // The receiver listens on 127.0.0.1, which the outbound URL policy refuses unless allowed.
    t = await createRetrainTestApp({ store: s3StoreFor(s3), queue, env: { OUTBOUND_ALLOW_PRIVATE: 'true' } });
    queue.registerProcessor('retrain', retrainProcessor(t.retraining.runner));
    queue.registerProcessor('webhooks', webhooksProcessor(t.webhooks));
    await queue.start();
    receiver = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        received.push({ type: JSON.parse(body).type, verified: verifySignature(secret, req.headers as Record<string, string>, body) });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    receiver?.close();
    await queue?.close();
    await t?.close();
    await s3?.close();
    if (redisUrl) await deletePrefix(redisUrl, prefix);
  });

  it('drift → BullMQ job → trainer → v2 with artifacts in the bucket, promoted; a second drift in the cooldown starts nothing; webhooks signed', async () => {
    const hook = (
      await t.call({
        method: 'POST',
        url: '/api/v1/webhooks',
        payload: {
          url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`,
          events: ['retrain.started', 'retrain.succeeded', 'version.created', 'alias.moved'],
        },
      })
    ).json();
    secret = hook.secret;
    const { modelId, reportIds } = await seedDriftedModel(t, 'scaled', {
      v1Accuracy: 0.5,
      monitor: { retrain: { enabled: true, executor: { type: 'command', command: ['python3', LOGREG] }, promote: { metric: 'accuracy' } } },
    });
    const decision = await t.retraining.jobs.onReportCompleted(modelId, [drifted(reportIds[0]!)]);
    const jobId = (decision as { jobId: number }).jobId;
    await until('the job to succeed', async () => (await t.retraining.repo.find(jobId))?.status === 'succeeded', { timeoutMs: 30_000 });

    const model = (await t.call({ method: 'GET', url: '/api/v1/models/scaled' })).json();
    expect(model).toMatchObject({ latestVersion: 2, aliases: { production: 2 } });
    // The objects are in the bucket: the export under datasets/, and every artifact row's object.
    const keys: string[] = [];
    for await (const o of t.container.store.list('')) keys.push(o.key);
    expect(keys).toEqual(
      expect.arrayContaining([
        `datasets/scaled/${jobId}/train.csv`,
        `datasets/scaled/${jobId}/holdout.csv`,
        `datasets/scaled/${jobId}/manifest.json`,
        `evaluations/scaled/${jobId}/holdout-truth.json`,
        `artifacts/retrain-${jobId}/attempt-1/holdout-predictions.csv`,
        `artifacts/retrain-${jobId}/attempt-1/model.json`,
        `artifacts/retrain-${jobId}/attempt-1/metrics.json`,
        `artifacts/retrain-${jobId}/attempt-1/train.log`,
      ]),
    );
    // v2's reference profile is in the bucket too, registered with the version.
    const v2 = (await t.call({ method: 'GET', url: '/api/v1/models/scaled/versions/2' })).json();
    expect(v2.reference).toMatchObject({ source: 'training-data' });
    expect(keys.some((k) => k.startsWith(`references/${modelId}/job-${jobId}/`))).toBe(true);
    const download = await t.call({ method: 'GET', url: '/api/v1/models/scaled/versions/2/artifacts/metrics.json' });
    expect(download.json().accuracy).toBeGreaterThan(0.7);

    const second = await t.retraining.jobs.onReportCompleted(modelId, [drifted(reportIds[0]!)]);
    expect(second.reason).toMatch(/^cooldown until /);

    await until(
      'the webhook deliveries',
      async () => ['retrain.started', 'retrain.succeeded', 'alias.moved'].every((type) => received.some((r) => r.type === type)),
      { timeoutMs: 30_000 },
    );
    expect(received.every((r) => r.verified)).toBe(true);
  });
});
