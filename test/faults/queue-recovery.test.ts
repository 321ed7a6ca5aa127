import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createPostgresDatabase, query, TEST_DATABASE_URL } from '../helpers/db.js';
import { createRng } from '../helpers/random.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from '../helpers/redis.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { sleep, until } from '../helpers/wait.js';

/**
 * Recovery of the drift pipeline from outages of the queue's neighbours: a PostgreSQL outage longer
 * than the drift jobs' retries (with two real worker processes), a Redis prefix reused by a fresh
 * database, and a frozen Redis while one batch completes many windows.
 */
const features = Array.from({ length: 5 }, (_, i) => ({ name: `f${i}`, type: 'numeric' as const }));
const children: ChildProcess[] = [];
const apps: TestApp[] = [];
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const a of apps.splice(0)) await a.close().catch(() => undefined);
  for (const f of cleanups.splice(0).reverse()) await f().catch(() => undefined);
});

function columns(seed: number, n: number, shift: number) {
  const rng = createRng(seed);
  return Object.fromEntries(features.map((f) => [f.name, Array.from({ length: n }, () => Math.round(rng.normal(shift, 1) * 1000) / 1000)]));
}

async function setUp(t: TestApp, windowSize: number) {
  await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'm' } });
  await t.call({ method: 'POST', url: '/api/v1/models/m/versions', payload: { features } });
  await t.call({ method: 'PUT', url: '/api/v1/models/m/aliases/production', payload: { version: 1 } });
  expect((await t.call({ method: 'POST', url: '/api/v1/models/m/versions/1/reference', payload: { columns: columns(1, 2000, 0) } })).statusCode).toBe(200);
  await t.call({ method: 'PUT', url: '/api/v1/models/m/monitor', payload: { window: { size: windowSize }, minSamples: 30 } });
}

const reportRows = (t: TestApp) =>
  query<{ id: number; window_key: string; status: string; generation: number }>(
    t.container.database,
    'select id, window_key, status, generation from drift_reports order by id',
  );

async function privateRedis(): Promise<PrivateRedis> {
  const redis = await startPrivateRedis();
  cleanups.push(() => redis.stop());
  return redis;
}

const allDone = (t: TestApp, n: number) => async () => {
  const rows = await reportRows(t);
  return rows.length === n && rows.every((r) => r.status === 'done') ? rows : undefined;
};

describe('queue recovery', () => {
  it('a PostgreSQL outage longer than the drift jobs’ retries: both worker processes stay alive and every report ends done', async () => {
    const redis = await privateRedis();
    const scratch = await createPostgresDatabase();
    cleanups.push(() => scratch.drop());
    const target = new URL(TEST_DATABASE_URL);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    cleanups.push(() => proxy.close());
    const prefix = uniquePrefix('pg-outage');
    // The API (the test's view) talks to PostgreSQL directly; the workers only through the proxy the test cuts.
    const retryBudget = { DRIFT_JOB_ATTEMPTS: '3', DRIFT_JOB_BACKOFF_MS: '100' };
    const t = await createTestApp({
      queue: 'bullmq',
      consume: false,
      env: { DATABASE_URL: scratch.url, REDIS_URL: redis.url, REDIS_PREFIX: prefix, ...retryBudget },
    });
    apps.push(t);
    expect(t.container.database.dialect).toBe('postgres');
    await setUp(t, 400);
    const viaProxy = new URL(scratch.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    // Retry budget of a drift job: 3 runs, 100 + 200 ms of backoff. The outage below lasts 8 s.
    const workerEnv = {
      ...process.env,
      DATA_DIR: t.dir,
      DATABASE_URL: viaProxy.toString(),
      DATABASE_STATEMENT_TIMEOUT_MS: '2000',
      REDIS_URL: redis.url,
      REDIS_PREFIX: prefix,
      WORKER_CONCURRENCY: '1',
      ...retryBudget,
      OUTBOX_SWEEP_INTERVAL_MS: '1000',
    };
    const outputs: string[] = [];
    const workers = [0, 1].map((i) => {
      outputs[i] = '';
      const child = spawn(process.execPath, ['--import', 'tsx', 'workers/index.ts'], { env: workerEnv, stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr!.on('data', (d) => (outputs[i] += d));
      children.push(child);
      return child;
    });
    await until('two workers', () => outputs.every((o) => o.includes('consuming')), { timeoutMs: 30_000, ignoreErrors: true });
    // 30 windows of 400 rows: the workers are mid-way through them when the database goes.
    for (let i = 0; i < 6; i++) {
      const res = await t.call({ method: 'POST', url: '/api/v1/models/m/samples', payload: { columns: columns(10 + i, 2000, i % 2 ? 2 : 0) } });
      expect(res.statusCode, res.body).toBe(202);
    }
    await until('a first report', async () => (await reportRows(t)).some((r) => r.status === 'done'), { timeoutMs: 30_000, ignoreErrors: true });
    await proxy.cut();
    const cutAt = Date.now();
    // Jobs use up their retries while the database is away…
    await until('drift jobs that gave up', async () => (await t.container.queue.depths()).drift.failed >= 2, { timeoutMs: 20_000, ignoreErrors: true }).catch(
      async (e) => {
        console.log(
          JSON.stringify(await t.container.queue.depths()),
          JSON.stringify((await reportRows(t)).map((r) => r.status)),
          outputs.join('\n---\n').slice(-4000),
        );
        throw e;
      },
    );
    const pendingDuringOutage = (await reportRows(t)).filter((r) => r.status === 'pending').length;
    expect(pendingDuringOutage).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, Math.max(0, 8_000 - (Date.now() - cutAt))));
    // …and the failure handler cannot record anything either; no worker died of it.
    expect(workers.map((w) => w.exitCode)).toEqual([null, null]);
    await proxy.restore();

    const rows = await until('thirty finished reports', allDone(t, 30), { timeoutMs: 60_000, ignoreErrors: true });
    expect(new Set(rows.map((r) => r.window_key)).size).toBe(30);
    // Reports whose job had given up were computed by a later generation.
    expect(rows.some((r) => r.generation > 0)).toBe(true);
    expect(workers.map((w) => w.exitCode)).toEqual([null, null]);
    // Exactly one drift.detected per drifted window: no report was written twice.
    const [events] = await query<{ n: string }>(t.container.database, "select count(*) as n from events where type = 'drift.detected'");
    const [drifted] = await query<{ n: string }>(t.container.database, 'select count(*) as n from drift_reports where drifted = true');
    expect(Number(events!.n)).toBe(Number(drifted!.n));
    expect(Number(drifted!.n)).toBeGreaterThanOrEqual(15);
  }, 120_000);

  it('a fresh database on a Redis prefix used before: its reports are computed, not shadowed by the old finished jobs', async () => {
    const redis = await privateRedis();
    const prefix = uniquePrefix('reused');
    const env = { REDIS_URL: redis.url, REDIS_PREFIX: prefix };
    const first = await createTestApp({ queue: 'bullmq', env });
    apps.push(first);
    await setUp(first, 100);
    await first.call({ method: 'POST', url: '/api/v1/models/m/samples', payload: { columns: columns(2, 200, 0) } });
    const old = await until('the first database’s reports', allDone(first, 2), { timeoutMs: 20_000, ignoreErrors: true });
    await first.close();
    apps.splice(apps.indexOf(first), 1);

    // Reset the database (a new, empty one), keep Redis and the prefix: report ids start at 1 again.
    const second = await createTestApp({ queue: 'bullmq', env });
    apps.push(second);
    expect(second.container.deploymentId).not.toBe(first.container.deploymentId);
    await setUp(second, 100);
    const started = Date.now();
    await second.call({ method: 'POST', url: '/api/v1/models/m/samples', payload: { columns: columns(3, 300, 2) } });
    const rows = await until('the fresh database’s reports', allDone(second, 3), { timeoutMs: 20_000, ignoreErrors: true });
    expect(rows.map((r) => r.id).slice(0, 2)).toEqual(old.map((r) => r.id)); // the same ids the old jobs were named after
    expect(rows.every((r) => r.generation === 0)).toBe(true); // computed at once, not after a sweep
    expect(Date.now() - started).toBeLessThan(15_000);
    // The two deployments' sweeps of one slot are two jobs: neither skips the other's.
    const slot = Math.floor(Date.now() / 60_000);
    expect((await second.container.queue.enqueue('outbox.sweep', { slot })).deduplicated).toBe(false);
  });

  it('Redis frozen while one batch completes 20 windows: the POST answers within 1 s, and every window gets one report after the thaw', async () => {
    const redis = await privateRedis();
    const t = await createTestApp({ queue: 'bullmq', env: { REDIS_URL: redis.url, REDIS_PREFIX: uniquePrefix('frozen') } });
    apps.push(t);
    await setUp(t, 50);
    redis.freeze();
    try {
      const started = Date.now();
      const res = await t.call({ method: 'POST', url: '/api/v1/models/m/samples', payload: { columns: columns(4, 1000, 2) } });
      const took = Date.now() - started;
      expect(res.statusCode, res.body).toBe(202);
      expect(res.json()).toMatchObject({ accepted: 1000, windowsCompleted: 20 });
      expect(took).toBeLessThan(1_000);
      expect((await reportRows(t)).filter((r) => r.status === 'pending')).toHaveLength(20);
    } finally {
      redis.thaw();
    }
    await sleep(2_100); // past the outbox grace period
    // The sweep every process runs periodically; called here to keep the test short.
    await until('a sweep with Redis back', () => t.container.maintenance.sweepOnce(), { timeoutMs: 10_000, ignoreErrors: true });
    const rows = await until('twenty finished reports', allDone(t, 20), { timeoutMs: 30_000, ignoreErrors: true });
    expect(new Set(rows.map((r) => r.window_key)).size).toBe(20);
    expect(Number((await query<{ n: string }>(t.container.database, "select count(*) as n from events where type = 'drift.detected'"))[0]!.n)).toBe(20);
  });
});
