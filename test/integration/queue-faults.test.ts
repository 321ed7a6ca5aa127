import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { QueueUnavailableError, createBullmqQueue } from '../../src/queue/index.js';
import { deletePrefix, startPrivateRedis, testRedisUrl, uniquePrefix, type PrivateRedis } from '../helpers/redis.js';
import { sleep, until } from '../helpers/wait.js';

describe('BullMQ producer when Redis goes away', () => {
  let redis: PrivateRedis | undefined;
  afterAll(async () => redis?.stop());

  it('rejects enqueue within 2 s with QueueUnavailableError, and enqueues again once Redis is back on the same port', async () => {
    redis = await startPrivateRedis();
    const queue = createBullmqQueue({ url: redis.url, deploymentId: 'd1', prefix: 'faults' });
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
        await sleep(500);
      }
      const pingStarted = Date.now();
      await expect(queue.ping()).rejects.toBeInstanceOf(QueueUnavailableError);
      await expect(queue.depths()).rejects.toBeInstanceOf(QueueUnavailableError);
      expect(Date.now() - pingStarted).toBeLessThan(4_000);

      await redis.start();
      const result = await until('enqueue to succeed after the restart', () => queue.enqueue('drift.window', { monitorId: 1, windowIndex: 3 }), {
        timeoutMs: 10_000,
        ignoreErrors: true,
      });
      expect(result).toEqual({ jobId: 'drift-window-d1-1-3', deduplicated: false });
      await queue.ping();
      // The restarted server is empty (no persistence): exactly the job enqueued after it came back.
      expect((await queue.depths()).drift.waiting).toBe(1);
    } finally {
      await queue.close();
    }
  });
});

describe('BullMQ close', () => {
  let redis: PrivateRedis | undefined;
  afterAll(async () => redis?.stop());

  /** Clients connected to our private server, not counting the admin connection asking. */
  async function clients(admin: Redis): Promise<number> {
    const info = await admin.info('clients');
    return Number(/connected_clients:(\d+)/.exec(info)![1]) - 1;
  }

  it('leaves no connection behind, producer and workers alike, and returns promptly when Redis is down', async () => {
    redis = await startPrivateRedis();
    const admin = new Redis(redis.url);
    try {
      expect(await clients(admin)).toBe(0);
      const queue = createBullmqQueue({ url: redis.url, deploymentId: 'd1', prefix: 'close' });
      let ran = 0;
      queue.registerProcessor('drift', async () => {
        ran += 1;
      });
      queue.registerProcessor('maintenance', async () => {});
      await queue.start();
      await queue.enqueue('drift.window', { monitorId: 1, windowIndex: 0 });
      await until('the job to run', () => ran === 1, { timeoutMs: 5_000 });
      expect(await clients(admin)).toBeGreaterThan(2);
      await queue.close();
      await until('every connection to close', async () => (await clients(admin)) === 0, { timeoutMs: 3_000 });

      // Closing while Redis is down must not hang a shutdown.
      const second = createBullmqQueue({ url: redis.url, deploymentId: 'd1', prefix: 'close' });
      second.registerProcessor('drift', async () => {});
      await second.start();
      await second.enqueue('drift.window', { monitorId: 1, windowIndex: 1 });
      admin.disconnect();
      await redis.stop();
      const started = Date.now();
      await second.close();
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      admin.disconnect();
    }
  });
});

describe('BullMQ close with a job that does not finish', () => {
  it('gives up after closeTimeoutMs, leaving the job to stalled-job recovery', async () => {
    const url = await testRedisUrl();
    const prefix = uniquePrefix('close-timeout');
    const queue = createBullmqQueue({ url, deploymentId: 'd1', prefix, closeTimeoutMs: 300, worker: { lockDuration: 1_000, stalledInterval: 500 } });
    const rescuer = createBullmqQueue({ url, deploymentId: 'd1', prefix, worker: { lockDuration: 1_000, stalledInterval: 500 } });
    try {
      let started = false;
      queue.registerProcessor('retrain', async () => {
        started = true;
        await new Promise(() => {});
      });
      await queue.start();
      await queue.enqueue('retrain.run', { retrainJobId: 1, generation: 0 });
      await until('the job to start', () => started, { timeoutMs: 5_000 });
      const closing = Date.now();
      await queue.close();
      expect(Date.now() - closing).toBeLessThan(3_000);
      const reruns: number[] = [];
      rescuer.registerProcessor('retrain', async (job) => {
        reruns.push(job.attempt);
      });
      await rescuer.start();
      await until('the abandoned job to be rerun', () => reruns.length === 1, { timeoutMs: 15_000 });
    } finally {
      await rescuer.close();
      await queue.close();
      await deletePrefix(url, prefix);
    }
  });
});

describe('BullMQ worker SIGKILLed mid-job', () => {
  it('gets the job rerun by another worker through stalled-job recovery', async () => {
    const url = await testRedisUrl();
    const prefix = uniquePrefix('stalled');
    const producer = createBullmqQueue({ url, deploymentId: 'd1', prefix });
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/integration/fixtures/stalling-worker.ts'], {
      env: { ...process.env, TEST_REDIS_URL: url, TEST_PREFIX: prefix },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const rescuer = createBullmqQueue({ url, deploymentId: 'd1', prefix, worker: { lockDuration: 1_000, stalledInterval: 500 } });
    try {
      await until(`child worker to start: ${output}`, () => output.includes('ready'), { timeoutMs: 20_000 });
      await producer.enqueue('drift.window', { monitorId: 9, windowIndex: 4 });
      await until(`child to take the job: ${output}`, () => output.includes('started drift-window-d1-9-4 1'), { timeoutMs: 10_000 });

      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      expect((await producer.depths()).drift.active).toBe(1); // still locked by the dead worker

      const reruns: Array<{ jobId: string; attempt: number }> = [];
      rescuer.registerProcessor('drift', async (job) => {
        reruns.push({ jobId: job.jobId, attempt: job.attempt });
      });
      await rescuer.start();
      await until('the stalled job to be rerun', () => reruns.length > 0, { timeoutMs: 15_000 });
      expect(reruns).toEqual([{ jobId: 'drift-window-d1-9-4', attempt: 1 }]);
      await sleep(1_500);
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
