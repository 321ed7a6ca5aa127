import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { QueueUnavailableError, createBullmqQueue } from '../../src/queue/index.js';
import { deletePrefix, startPrivateRedis, testRedisUrl, uniquePrefix, type PrivateRedis } from '../helpers/redis.js';

async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('BullMQ producer when Redis goes away', () => {
  let redis: PrivateRedis | undefined;
  afterAll(async () => redis?.stop());

  it('rejects enqueue within 2 s with QueueUnavailableError, and enqueues again once Redis is back on the same port', async () => {
    redis = await startPrivateRedis();
    const queue = createBullmqQueue({ url: redis.url, prefix: 'faults' });
    try {
      expect((await queue.enqueue('drift.window', { monitorId: 1, windowIndex: 0 })).deduplicated).toBe(false);

      await redis.stop();
      for (const windowIndex of [1, 2]) {
        // Both right after the drop and once ioredis is in its reconnect loop.
        const started = Date.now();
        const error = await queue.enqueue('drift.window', { monitorId: 1, windowIndex }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(QueueUnavailableError);
        expect((error as QueueUnavailableError).code).toBe('QUEUE_UNAVAILABLE');
        expect((error as QueueUnavailableError).status).toBe(503);
        expect(Date.now() - started).toBeLessThan(2_000);
        await new Promise((r) => setTimeout(r, 500));
      }
      const pingStarted = Date.now();
      await expect(queue.ping()).rejects.toBeInstanceOf(QueueUnavailableError);
      await expect(queue.depths()).rejects.toBeInstanceOf(QueueUnavailableError);
      expect(Date.now() - pingStarted).toBeLessThan(4_000);

      await redis.start();
      const result = await waitFor(
        () => queue.enqueue('drift.window', { monitorId: 1, windowIndex: 3 }).catch(() => undefined),
        10_000,
        'enqueue to succeed after the restart',
      );
      expect(result).toEqual({ jobId: 'drift-window-1-3', deduplicated: false });
      await queue.ping();
      // The restarted server is empty (no persistence): exactly the job enqueued after it came back.
      expect((await queue.depths()).drift.waiting).toBe(1);
    } finally {
      await queue.close();
    }
  });
});

describe('BullMQ worker SIGKILLed mid-job', () => {
  it('gets the job rerun by another worker through stalled-job recovery', async () => {
    const url = await testRedisUrl();
    const prefix = uniquePrefix('stalled');
    const producer = createBullmqQueue({ url, prefix });
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/integration/fixtures/stalling-worker.ts'], {
      env: { ...process.env, TEST_REDIS_URL: url, TEST_PREFIX: prefix },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const rescuer = createBullmqQueue({ url, prefix, worker: { lockDuration: 1_000, stalledInterval: 500 } });
    try {
      await waitFor(() => (output.includes('ready') ? true : undefined), 20_000, `child worker to start: ${output}`);
      await producer.enqueue('drift.window', { monitorId: 9, windowIndex: 4 });
      await waitFor(() => (output.includes('started drift-window-9-4 1') ? true : undefined), 10_000, `child to take the job: ${output}`);

      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      expect((await producer.depths()).drift.active).toBe(1); // still locked by the dead worker

      const reruns: Array<{ jobId: string; attempt: number }> = [];
      rescuer.registerProcessor('drift', async (job) => {
        reruns.push({ jobId: job.jobId, attempt: job.attempt });
      });
      await rescuer.start();
      await waitFor(() => (reruns.length > 0 ? true : undefined), 15_000, 'the stalled job to be rerun');
      expect(reruns).toEqual([{ jobId: 'drift-window-9-4', attempt: 1 }]);
      await new Promise((r) => setTimeout(r, 1_500));
      expect(reruns).toHaveLength(1);
      expect((await producer.depths()).drift).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await rescuer.close();
      await producer.close();
      await deletePrefix(url, prefix);
    }
  });
});
