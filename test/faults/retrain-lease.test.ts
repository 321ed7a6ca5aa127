import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createBullmqQueue } from '../../src/queue/index.js';
import { count, otherConnection } from '../helpers/db.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from '../helpers/redis.js';
import { createRetrainTestApp, seedDriftedModel, type RetrainTestApp } from '../helpers/retraining.js';

/**
 * Real worker processes on BullMQ with a private Redis; the retrain worker is SIGKILLed while its
 * trainer runs, and Redis is wiped. The job's lease in the database is what recovers it: never
 * `running` for good, no orphaned trainer, the model free to retrain again.
 */
const children: ChildProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const f of cleanups.splice(0).reverse()) await f().catch(() => undefined);
});

/**
 * Appends "pid grandchild-pid" to the pids file and hangs (with a grandchild in its group), unless
 * the finish flag exists: then it trains "instantly".
 */
const trainer = (dir: string) => `
import os, subprocess, time, json
out = os.environ["MLCYCLE_OUTPUT_DIR"]
if not os.path.exists(${JSON.stringify(join(dir, 'finish'))}):
    child = subprocess.Popen(["sleep", "300"])
    with open(${JSON.stringify(join(dir, 'pids'))}, "a") as f:
        f.write(f"{os.getpid()} {child.pid}\\n")
    time.sleep(300)
json.dump({"accuracy": 0.9}, open(os.path.join(out, "metrics.json"), "w"))
open(os.path.join(out, "model.json"), "w").write("{}")
`;
import { alive } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

async function setUp(maxAttempts: number) {
  const redis: PrivateRedis = await startPrivateRedis();
  cleanups.push(() => redis.stop());
  const prefix = uniquePrefix('lease');
  // The API only produces: the workers consume (and run the sweep that reconciles leases).
  // A factory: the queue takes the database's deployment id, which the worker processes read too.
  const queue = ({ deploymentId }: { deploymentId: string }) => createBullmqQueue({ url: redis.url, prefix, deploymentId });
  const t: RetrainTestApp = await createRetrainTestApp({ queue });
  cleanups.push(() => t.close());
  const env = {
    ...process.env,
    DATA_DIR: t.dir,
    ...(t.databaseUrl ? { DATABASE_URL: t.databaseUrl } : {}),
    ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
    REDIS_URL: redis.url,
    REDIS_PREFIX: prefix,
    WORKER_LOCK_DURATION_MS: '2000',
    WORKER_STALLED_INTERVAL_MS: '1000',
    OUTBOX_SWEEP_INTERVAL_MS: '500',
    RETRAIN_LEASE_MS: '3000',
    RETRAIN_HEARTBEAT_MS: '500',
    RETRAIN_MAX_ATTEMPTS: String(maxAttempts),
  };
  let output = '';
  const startWorker = () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'workers/index.ts'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d) => (output += d));
    children.push(child);
    return child;
  };
  const kill = async (child: ChildProcess) => {
    child.kill('SIGKILL');
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
  };
  const pids = () =>
    existsSync(join(t.dir, 'pids'))
      ? readFileSync(join(t.dir, 'pids'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => l.split(' ').map(Number) as [number, number])
      : [];
  await seedDriftedModel(t, 'leased', {
    monitor: { retrain: { enabled: true, executor: { type: 'command', command: ['python3', '-c', trainer(t.dir)] } } },
  });
  /** The trainer of attempt k runs: its pids are written and the job records its process group. */
  const trainerOf = (jobId: number, k: number) =>
    until(
      `the trainer of attempt ${k}`,
      async () => {
        const job = await t.retraining.repo.find(jobId);
        return job?.status === 'running' && job.attempts === k && job.runner !== null && pids().length >= k ? job : undefined;
      },
      { timeoutMs: 120_000 },
    ).catch((e: Error) => {
      throw new Error(`${e.message}\nworker output:\n${output.slice(-4000)}`);
    });
  return { t, redis, startWorker, kill, pids, trainerOf };
}

describe('retrain job leases under worker kills and a wiped Redis', () => {
  it('a retrain worker SIGKILLed three times mid-trainer, and Redis wiped: each takeover kills the orphan; the job ends with one version; the model retrains again', async () => {
    const { t, redis, startWorker, kill, pids, trainerOf } = await setUp(4);
    let worker = startWorker();
    const res = await t.call({ method: 'POST', url: '/api/v1/models/leased/retrain', payload: {} });
    expect(res.statusCode, res.body).toBe(202);
    const jobId: number = res.json().id;

    for (let k = 1; k <= 3; k++) {
      const job = await trainerOf(jobId, k);
      // The lease names this host, the worker's pid and the trainer's process group.
      expect(job.leaseOwner).toMatch(new RegExp(`/${worker.pid}/`));
      expect(Date.parse(job.leaseExpiresAt!)).toBeGreaterThan(Date.now());
      await kill(worker);
      const [trainerPid, grandchildPid] = pids()[k - 1]!;
      expect(alive(trainerPid) && alive(grandchildPid)).toBe(true); // an orphan, until someone takes the job over
      if (k === 2) {
        // Redis loses everything: the BullMQ job of the dead run, the sweeps, the locks.
        const client = new Redis(redis.url);
        await client.flushall();
        client.disconnect();
      }
      if (k === 3) writeFileSync(join(t.dir, 'finish'), '');
      worker = startWorker();
      // The takeover (the redelivered job's claim, or the sweep's reconcile) kills the orphaned group.
      await until(`the orphan of attempt ${k} to die`, async () => !alive(trainerPid) && !alive(grandchildPid), { timeoutMs: 120_000 });
    }

    const done = await until(
      'the job to finish',
      async () => {
        const job = await t.retraining.repo.find(jobId);
        return job && job.status !== 'running' && job.status !== 'queued' ? job : undefined;
      },
      { timeoutMs: 120_000 },
    );
    expect(done).toMatchObject({ status: 'succeeded', attempts: 4, resultVersion: 2 });
    expect(await count(t.container.database, `select count(*) as n from versions where retrain_job_id = ${jobId}`)).toBe(1);
    expect(await count(t.container.database, "select count(*) as n from events where type = 'retrain.lease_expired'")).toBe(3);
    expect(pids()).toHaveLength(3);
    for (const [a, b] of pids()) expect(alive(a) || alive(b)).toBe(false);
    // The model is free again: a manual retrain is accepted.
    expect((await t.call({ method: 'POST', url: '/api/v1/models/leased/retrain', payload: {} })).statusCode).toBe(202);
  }, 600_000);

  it('after its last attempt a killed run fails the job with the lease reason; the trainer is killed and the model may retrain again', async () => {
    const { t, startWorker, kill, pids, trainerOf } = await setUp(1);
    const first = startWorker();
    const jobId: number = (await t.call({ method: 'POST', url: '/api/v1/models/leased/retrain', payload: {} })).json().id;
    await trainerOf(jobId, 1);
    await kill(first);
    startWorker();
    const failed = await until(
      'the job to fail',
      async () => {
        const job = await t.retraining.repo.find(jobId);
        return job?.status === 'failed' ? job : undefined;
      },
      { timeoutMs: 120_000 },
    );
    expect(failed).toMatchObject({ error: 'lease expired after 1 attempt', attempts: 1, activeModelId: null });
    const [trainerPid, grandchildPid] = pids()[0]!;
    await until('the orphan to die', async () => !alive(trainerPid) && !alive(grandchildPid), { timeoutMs: 10_000 });
    expect((await t.call({ method: 'GET', url: `/api/v1/retrain-jobs/${jobId}` })).json()).toMatchObject({
      status: 'failed',
      error: 'lease expired after 1 attempt',
    });
    expect((await t.call({ method: 'POST', url: '/api/v1/models/leased/retrain', payload: {} })).statusCode).toBe(202);
  }, 300_000);

  it('a run that cannot renew its lease (the database write-locked by another process) stops its trainer itself; the sweep then takes the job over', async () => {
    const t = await createRetrainTestApp({
      env: { RETRAIN_LEASE_MS: '1500', RETRAIN_HEARTBEAT_MS: '200', DATABASE_LOCK_TIMEOUT_MS: '200', DATABASE_STATEMENT_TIMEOUT_MS: '500' },
    });
    cleanups.push(() => t.close());
    await seedDriftedModel(t, 'partitioned', { monitor: { retrain: { enabled: true, executor: { type: 'command', command: ['sleep', '300'] } } } });
    const id: number = (await t.call({ method: 'POST', url: '/api/v1/models/partitioned/retrain', payload: {} })).json().id;
    const running = t.retraining.runner.runRetrainJob(id);
    const runner = await until('the trainer', async () => (await t.retraining.repo.find(id))?.runner, { timeoutMs: 10_000 });
    const group = -Number(runner.split('/')[1]);
    const other = await otherConnection(t);
    try {
      await other.exec(t.databaseUrl ? 'BEGIN; LOCK TABLE retrain_jobs IN EXCLUSIVE MODE' : 'BEGIN IMMEDIATE');
      const started = Date.now();
      await running; // the trainer is killed once the lease could not be renewed for its duration
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(alive(group)).toBe(false); // the trainer's whole process group is gone
    } finally {
      await other.exec('ROLLBACK').catch(() => undefined);
      await other.close();
    }
    // It recorded nothing (it no longer knows whether the job is its own); the sweep takes it over.
    expect(await t.retraining.repo.find(id)).toMatchObject({ status: 'running', attempts: 1, error: null });
    expect(await t.retraining.leases.reconcile()).toBe(1);
    expect(await t.retraining.repo.find(id)).toMatchObject({ status: 'queued', attempts: 1, leaseOwner: null });
  }, 60_000);
});
