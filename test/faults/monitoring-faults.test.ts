import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { count, query } from '../helpers/db.js';
import { createRng } from '../helpers/random.js';
import { startPrivateRedis, uniquePrefix } from '../helpers/redis.js';
import { sleep, until } from '../helpers/wait.js';

/** Nothing lost, nothing doubled: the drift pipeline under a stopped Redis and a SIGKILLed worker. */
const features = Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, type: 'numeric' as const }));
const children: ChildProcess[] = [];
const apps: TestApp[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const a of apps.splice(0)) await a.close().catch(() => undefined);
});

function columns(seed: number, n: number, shift: number) {
  const rng = createRng(seed);
  return Object.fromEntries(features.map((f) => [f.name, Array.from({ length: n }, () => Math.round(rng.normal(shift, 1) * 1000) / 1000)]));
}

async function setUp(t: TestApp, windowSize: number) {
  await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'm' } });
  await t.call({ method: 'POST', url: '/api/v1/models/m/versions', payload: { features } });
  await t.call({ method: 'PUT', url: '/api/v1/models/m/aliases/production', payload: { version: 1 } });
  expect((await t.call({ method: 'POST', url: '/api/v1/models/m/versions/1/reference', payload: { columns: columns(1, 5000, 0) } })).statusCode).toBe(200);
  await t.call({ method: 'PUT', url: '/api/v1/models/m/monitor', payload: { window: { size: windowSize } } });
}

const reportRows = (t: TestApp) =>
  query<{ window_key: string; status: string }>(t.container.database, 'select window_key, status from drift_reports order by id');

describe('drift pipeline faults', () => {
  it('Redis down: batches are still accepted, and each window gets exactly one report once Redis is back', async () => {
    const redis = await startPrivateRedis();
    try {
      const t = await createTestApp({ queue: 'bullmq', env: { REDIS_URL: redis.url, REDIS_PREFIX: uniquePrefix('outbox') } });
      apps.push(t);
      await setUp(t, 100);
      await redis.stop();
      for (let i = 0; i < 3; i++) {
        const started = Date.now();
        const res = await t.call({ method: 'POST', url: '/api/v1/models/m/samples', payload: { columns: columns(10 + i, 100, 2) } });
        expect(res.statusCode, res.body).toBe(202);
        expect(Date.now() - started).toBeLessThan(3_000);
      }
      expect((await reportRows(t)).map((r) => r.status)).toEqual(['pending', 'pending', 'pending']);

      await redis.start();
      await sleep(2_100); // past the outbox grace period
      // The sweep every process runs periodically; called directly here to keep the test short.
      expect((await t.container.maintenance.sweepOnce()).enqueued).toBe(3);
      await t.container.maintenance.sweepOnce(); // a second sweep (another process) changes nothing
      const rows = await until(
        'three finished reports',
        async () => {
          const r = await reportRows(t);
          return r.every((x) => x.status === 'done') ? r : undefined;
        },
        { timeoutMs: 20_000 },
      );
      expect(rows).toHaveLength(3);
      expect(new Set(rows.map((r) => r.window_key)).size).toBe(3);
      expect(await count(t.container.database, "select count(*) as n from events where type = 'drift.detected'")).toBe(3);
    } finally {
      await redis.stop();
    }
  });

  it('a worker SIGKILLed in the middle of drift jobs: stalled jobs rerun, every window ends with exactly one report', async () => {
    const redis = await startPrivateRedis();
    const prefix = uniquePrefix('sigkill');
    try {
      // The API only produces; real worker processes consume.
      const t = await createTestApp({ queue: 'bullmq', consume: false, env: { REDIS_URL: redis.url, REDIS_PREFIX: prefix } });
      apps.push(t);
      await setUp(t, 20_000);
      const workerEnv = {
        ...process.env,
        DATA_DIR: t.dir,
        ...(t.databaseUrl ? { DATABASE_URL: t.databaseUrl } : {}),
        REDIS_URL: redis.url,
        REDIS_PREFIX: prefix,
        WORKER_CONCURRENCY: '1',
        WORKER_LOCK_DURATION_MS: '2000',
        WORKER_STALLED_INTERVAL_MS: '1000',
      };
      const startWorker = () => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'workers/index.ts'], { env: workerEnv, stdio: ['ignore', 'ignore', 'pipe'] });
        children.push(child);
        return child;
      };
      const first = startWorker();
      // Five windows of 20 000 samples, two batches of 10 000 (the row limit) each; windows 1 and 3 drift.
      for (let i = 0; i < 10; i++) {
        const res = await t.call({
          method: 'POST',
          url: '/api/v1/models/m/samples',
          payload: { columns: columns(20 + i, 10_000, Math.floor(i / 2) % 2 ? 3 : 0) },
        });
        expect(res.statusCode, res.body).toBe(202);
      }
      // Kill it as soon as it has finished one window: the next one is then in flight.
      await until('a first report', async () => (await reportRows(t)).some((r) => r.status === 'done'), { timeoutMs: 30_000 });
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      const atKill = await reportRows(t);
      expect(atKill.filter((r) => r.status === 'pending').length).toBeGreaterThan(0);
      // The dead worker's job is still "active" in Redis: only stalled-job recovery can rerun it.
      expect((await t.container.queue.depths()).drift.active).toBe(1);

      startWorker();
      const rows = await until(
        'five finished reports',
        async () => {
          const r = await reportRows(t);
          return r.length === 5 && r.every((x) => x.status === 'done') ? r : undefined;
        },
        { timeoutMs: 60_000 },
      );
      expect(new Set(rows.map((r) => r.window_key)).size).toBe(5);
      const drifted = await count(t.container.database, 'select count(*) as n from drift_reports where drifted = true');
      expect(await count(t.container.database, "select count(*) as n from events where type = 'drift.detected'")).toBe(drifted);
      expect(drifted).toBe(2);
    } finally {
      await redis.stop();
    }
  });
});
