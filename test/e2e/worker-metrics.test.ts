import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { parseExposition, valueOf } from '../helpers/prometheus.js';
import { createRng } from '../helpers/random.js';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from '../helpers/redis.js';
import { freePort } from '../helpers/server-process.js';
import { until } from '../helpers/wait.js';

/**
 * Scaled mode: the API only produces (BullMQ on Redis), a real worker process (`workers/index.ts`)
 * runs the drift job. The worker's own /metrics (WORKER_METRICS_PORT) counts the job; the API's
 * /metrics shows the drift scores the worker stored and the queue drained, read from the shared
 * database and Redis.
 */
function rows(seed: number, n: number, shift: number) {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => ({ x: Math.round(rng.normal(shift, 1) * 1000) / 1000 }));
}

describe('worker metrics (scaled mode)', () => {
  let t: TestApp;
  let redis: PrivateRedis;
  let worker: ChildProcess | undefined;
  let stderr = '';

  afterAll(async () => {
    if (worker && worker.exitCode === null) {
      worker.kill('SIGTERM');
      await new Promise((r) => worker!.once('exit', r));
    }
    await t?.close();
    await redis?.stop();
  });

  it('the worker serves its drift job durations; the API serves the scores it stored', async () => {
    redis = await startPrivateRedis();
    const prefix = uniquePrefix('metrics');
    t = await createTestApp({ queue: 'bullmq', consume: false, env: { REDIS_URL: redis.url, REDIS_PREFIX: prefix } });
    const port = await freePort();
    worker = spawn(process.execPath, ['--import', 'tsx', 'workers/index.ts'], {
      env: {
        ...process.env,
        DATA_DIR: t.dir,
        ...(t.databaseUrl ? { DATABASE_URL: t.databaseUrl } : {}),
        REDIS_URL: redis.url,
        REDIS_PREFIX: prefix,
        WORKER_METRICS_PORT: String(port),
        HOST: '127.0.0.1',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    worker.stderr!.on('data', (d) => (stderr += d));
    const scrapeWorker = async () => {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      if (!res.ok) return undefined;
      return parseExposition(await res.text()).samples;
    };
    const before = await until(`the worker's /metrics (stderr: ${stderr})`, scrapeWorker, { timeoutMs: 60_000, ignoreErrors: true });
    expect(valueOf(before, 'mlcycle_drift_job_duration_seconds_count', { outcome: 'ok' }) ?? 0).toBe(0);
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);

    const call = async (method: 'POST' | 'PUT', url: string, payload: object) => {
      const res = await t.call({ method, url: `/api/v1${url}`, payload });
      expect(res.statusCode, res.body).toBeLessThan(300);
    };
    await call('POST', '/models', { name: 'm' });
    await call('POST', '/models/m/versions', { features: [{ name: 'x', type: 'numeric' }] });
    await call('PUT', '/models/m/aliases/production', { version: 1 });
    await call('POST', '/models/m/versions/1/reference', { rows: rows(1, 1000, 0) });
    await call('PUT', '/models/m/monitor', { window: { size: 100 }, minSamples: 30 });
    await call('POST', '/models/m/samples', { rows: rows(2, 100, 3) });

    const after = await until(
      'the drift job in the worker',
      async () => {
        const s = await scrapeWorker();
        return s && (valueOf(s, 'mlcycle_drift_job_duration_seconds_count', { outcome: 'ok' }) ?? 0) >= 1 ? s : undefined;
      },
      { timeoutMs: 60_000, ignoreErrors: true },
    );
    expect(valueOf(after, 'mlcycle_drift_job_duration_seconds_count', { outcome: 'ok' })).toBe(1);
    expect(valueOf(after, 'mlcycle_drift_job_duration_seconds_sum', { outcome: 'ok' })).toBeGreaterThan(0);

    // The API process ran no job, yet reports the stored score and the drained queue.
    const api = await t.call({ method: 'GET', url: '/metrics' });
    const samples = parseExposition(api.body).samples;
    expect(valueOf(samples, 'mlcycle_drift_job_duration_seconds_count', { outcome: 'ok' }) ?? 0).toBe(0);
    const [report] = (await t.call({ method: 'GET', url: '/api/v1/models/m/drift-reports' })).json<{ items: { id: number }[] }>().items;
    const stored = (await t.call({ method: 'GET', url: `/api/v1/drift-reports/${report!.id}` })).json<{ features: { psi: number }[] }>();
    expect(valueOf(samples, 'mlcycle_drift_psi', { model: 'm', feature: 'x' })).toBeCloseTo(stored.features[0]!.psi, 12);
    expect(valueOf(samples, 'mlcycle_drift_detected', { model: 'm' })).toBe(1);
    expect(valueOf(samples, 'mlcycle_queue_jobs', { queue: 'drift', state: 'waiting' })).toBe(0);
  });
});
