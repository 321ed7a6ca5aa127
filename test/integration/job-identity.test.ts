import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { Container } from '../../src/container.js';
import { openDatabase } from '../../src/db/client.js';
import { ensureDeploymentId } from '../../src/db/deployment.js';
import { AppError } from '../../src/http/errors.js';
import type { InlineQueue, JobQueue, JobRunOf, Processor, QueueName } from '../../src/queue/index.js';
import { retrainProcessor, sweepRetrainOutbox } from '../../src/retraining/processors.js';
import type { RetrainRunner } from '../../src/retraining/retrain-runner.js';
import { registerProcessors } from '../../workers/processors.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createScratchDatabase, query } from '../helpers/db.js';
import { createRng } from '../helpers/random.js';
import { deletePrefix, testRedisUrl, uniquePrefix } from '../helpers/redis.js';
import { sleep, until } from '../helpers/wait.js';

/**
 * Job identity on both dialects: the deployment id is created once per database, and a report
 * whose queue job is over (failed for good, its failure maybe not even recorded) while the report
 * is still pending is computed after the outbox sweep, under a new generation.
 */
const features = [{ name: 'x', type: 'numeric' as const }];
const apps: TestApp[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close().catch(() => undefined);
});

const column = (seed: number, n: number, shift: number) => {
  const rng = createRng(seed);
  return { x: Array.from({ length: n }, () => rng.normal(shift, 1)) };
};

/**
 * The app's own processors, except that `drift.report` jobs fail while `failing.error` is set.
 * (A stand-in for a database outage longer than the job's retries, without cutting the test's own connection.)
 */
async function appWithFlakyDriftJobs() {
  const t = await createTestApp({ consume: false, env: { DRIFT_JOB_ATTEMPTS: '2', DRIFT_JOB_BACKOFF_MS: '10' } });
  apps.push(t);
  const real = new Map<QueueName, Processor<QueueName>>();
  const capture = { ...t.container.queue, registerProcessor: (q: QueueName, p: Processor<QueueName>) => void real.set(q, p) } as JobQueue;
  registerProcessors({ ...t.container, queue: capture } as Container);
  const failing: { error?: Error; jobs: string[] } = { jobs: ['drift.report'] };
  const runs: string[] = [];
  for (const [name, processor] of real) {
    t.container.queue.registerProcessor(name, async (job) => {
      if (job.name === 'drift.report' || job.name === 'drift.window') {
        runs.push(job.jobId);
        if (failing.error && failing.jobs.includes(job.name)) throw failing.error;
      }
      await processor(job as never);
    });
  }
  await t.container.queue.start();
  await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'm' } });
  await t.call({ method: 'POST', url: '/api/v1/models/m/versions', payload: { features } });
  await t.call({ method: 'PUT', url: '/api/v1/models/m/aliases/production', payload: { version: 1 } });
  await t.call({ method: 'POST', url: '/api/v1/models/m/versions/1/reference', payload: { columns: column(1, 500, 0) } });
  await t.call({ method: 'PUT', url: '/api/v1/models/m/monitor', payload: { window: { size: 100 }, minSamples: 30 } });
  const queue = t.container.queue as InlineQueue;
  const reports = () =>
    query<{ id: number; status: string; generation: number; error: string | null }>(
      t.container.database,
      'select id, status, generation, error from drift_reports order by id',
    );
  return { t, queue, failing, runs, reports };
}

const pastGrace = () => sleep(2_100); // the sweep leaves reports younger than 2 s to their request

describe('job identity', () => {
  it('creates one deployment id per database, the same for every process that opens it, and keeps it', async () => {
    const t = await createTestApp();
    apps.push(t);
    const id = t.container.deploymentId;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(t.container.queue.deploymentId).toBe(id);
    // Five more "processes" (own connections) on the same database, at once.
    const handles = await Promise.all(Array.from({ length: 5 }, () => openDatabase(t.container.config.database)));
    try {
      expect(await Promise.all(handles.map((h) => ensureDeploymentId(h)))).toEqual(Array(5).fill(id));
    } finally {
      await Promise.all(handles.map((h) => h.close()));
    }
    // Another database is another deployment.
    const other = await createScratchDatabase();
    const config = loadConfig({ DATA_DIR: `${t.dir}/other`, ...other.env });
    const fresh = await openDatabase(config.database);
    try {
      const [a, b] = await Promise.all([ensureDeploymentId(fresh), ensureDeploymentId(fresh)]);
      expect(a).toBe(b);
      expect(a).not.toBe(id);
    } finally {
      await fresh.close();
      await other.drop();
    }
  });

  it('a report whose job failed for good in an outage stays pending, and the sweep gets it computed under generation 1', async () => {
    const { t, queue, failing, runs, reports } = await appWithFlakyDriftJobs();
    failing.error = new AppError('DATABASE_UNAVAILABLE', 'the database cannot be reached');
    expect((await t.call({ method: 'POST', url: '/api/v1/models/m/samples', payload: { columns: column(2, 100, 3) } })).statusCode).toBe(202);
    await queue.drain();
    const [row] = await reports();
    expect(row).toMatchObject({ status: 'pending', generation: 0 });
    expect(runs).toEqual([`drift-report-${t.container.deploymentId}-${row!.id}-g0`, `drift-report-${t.container.deploymentId}-${row!.id}-g0`]);
    expect(await queue.jobState('drift.report', { reportId: row!.id, generation: 0 })).toBe('failed');
    // Enqueueing the same job again is a no-op (the failed job holds its id): the old bug.
    expect((await queue.enqueue('drift.report', { reportId: row!.id, generation: 0 })).deduplicated).toBe(true);

    failing.error = undefined;
    await pastGrace();
    expect((await t.container.maintenance.sweepOnce()).enqueued).toBe(1);
    await queue.drain();
    expect(await reports()).toEqual([expect.objectContaining({ status: 'done', generation: 1 })]);
    expect(runs.at(-1)).toBe(`drift-report-${t.container.deploymentId}-${row!.id}-g1`);
    // The old generation's job, run again (say a stalled rerun), is ignored; the sweep finds nothing more to do.
    const before = await query(t.container.database, 'select attempts, completed_at from drift_reports');
    expect(await queue.retryFailed('drift.report', { reportId: row!.id, generation: 0 })).toBe(true);
    await queue.drain();
    expect(await query(t.container.database, 'select attempts, completed_at from drift_reports')).toEqual(before);
    expect((await t.container.maintenance.sweepOnce()).enqueued).toBe(0);
  });

  it('a time window whose drift.window job failed for good is closed by a later sweep (the failed job does not hold the window)', async () => {
    const { t, queue, failing, reports } = await appWithFlakyDriftJobs();
    await t.call({ method: 'PUT', url: '/api/v1/models/m/monitor', payload: { window: { every: 'PT1H' }, minSamples: 30 } });
    const res = await t.call({ method: 'POST', url: '/api/v1/models/m/samples', payload: { columns: column(5, 60, 0), timestamp: '2026-01-01T10:15:00Z' } });
    expect(res.statusCode, res.body).toBe(202);
    failing.jobs = ['drift.window'];
    failing.error = new AppError('DATABASE_UNAVAILABLE', 'the database cannot be reached');
    await t.container.maintenance.sweepOnce();
    await queue.drain();
    expect(await reports()).toEqual([]);
    failing.error = undefined;
    await t.container.maintenance.sweepOnce();
    await queue.drain();
    expect((await reports()).map((r) => r.status)).toEqual(['done']);
  });

  it('a failure that cannot even be recorded leaves the report pending and the queue running; the sweep computes it', async () => {
    const { t, queue, failing, reports } = await appWithFlakyDriftJobs();
    failing.error = new Error('a bug in the drift job');
    const markFailed = t.container.reports.markFailed;
    t.container.reports.markFailed = async () => {
      throw new Error('the database went away while recording the failure');
    };
    expect((await t.call({ method: 'POST', url: '/api/v1/models/m/samples', payload: { columns: column(3, 200, 0) } })).statusCode).toBe(202);
    await queue.drain();
    expect((await reports()).map((r) => [r.status, r.generation])).toEqual([
      ['pending', 0],
      ['pending', 0],
    ]);
    // With recording working again, a permanent failure is recorded as such (not retried forever).
    t.container.reports.markFailed = markFailed;
    await pastGrace();
    expect((await t.container.maintenance.sweepOnce()).enqueued).toBe(2);
    await queue.drain();
    // The failure is recorded after the job's last run, outside it.
    await until('no pending report', async () => (await reports()).every((r) => r.status !== 'pending'), { timeoutMs: 2_000 });
    expect((await reports()).map((r) => [r.status, r.generation, r.error])).toEqual([
      ['failed', 1, 'a bug in the drift job'],
      ['failed', 1, 'a bug in the drift job'],
    ]);
    // And once the job works, a new window is computed at once.
    failing.error = undefined;
    expect((await t.call({ method: 'POST', url: '/api/v1/models/m/samples', payload: { columns: column(4, 100, 0) } })).statusCode).toBe(202);
    await queue.drain();
    expect((await reports()).at(-1)).toMatchObject({ status: 'done', generation: 0 });
  });

  it('a queued retrain job whose queue job vanished (Redis wiped) is enqueued again under generation 1; an older generation is ignored', async () => {
    const url = await testRedisUrl();
    const prefix = uniquePrefix('retrain-gen');
    const t = await createTestApp({ queue: 'bullmq', consume: false, env: { REDIS_URL: url, REDIS_PREFIX: prefix } });
    apps.push(t);
    await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'r' } });
    await t.call({ method: 'POST', url: '/api/v1/models/r/versions', payload: { features } });
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/models/r/retrain',
      payload: { executor: { type: 'command', command: ['true'], timeoutSeconds: 60 } },
    });
    expect(res.statusCode, res.body).toBe(202);
    const id = res.json<{ id: number }>().id;
    const { queue, retraining, webhooks } = t.container;
    expect(await queue.jobState('retrain.run', { retrainJobId: id, generation: 0 })).toBe('waiting');
    await pastGrace();
    expect((await sweepRetrainOutbox(retraining.jobs, webhooks)).retrainJobs).toBe(0); // waiting: left alone
    await deletePrefix(url, prefix);
    expect((await sweepRetrainOutbox(retraining.jobs, webhooks)).retrainJobs).toBe(1);
    expect((await retraining.repo.find(id))!.generation).toBe(1);
    expect(await queue.jobState('retrain.run', { retrainJobId: id, generation: 1 })).toBe('waiting');
    expect((await sweepRetrainOutbox(retraining.jobs, webhooks)).retrainJobs).toBe(0);
    // The processor runs the current generation only.
    const ran: number[] = [];
    const processor = retrainProcessor({ runRetrainJob: async (jobId: number) => void ran.push(jobId) } as unknown as RetrainRunner, retraining.repo);
    const run = (generation: number) =>
      processor({ name: 'retrain.run', jobId: 'x', payload: { retrainJobId: id, generation }, attempt: 1, maxAttempts: 2 } as JobRunOf<'retrain'>);
    await run(0);
    expect(ran).toEqual([]);
    await run(1);
    expect(ran).toEqual([id]);
    await deletePrefix(url, prefix);
  });
});
