import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import {
  JobPayloadError,
  QueueClosedError,
  createBullmqQueue,
  createInlineQueue,
  type JobQueue,
  type JobRun,
  type RetryOverrides,
} from '../../src/queue/index.js';
import { deletePrefix, testRedisUrl, uniquePrefix } from '../helpers/redis.js';
import { sleep, until } from '../helpers/wait.js';

/**
 * One contract, two adapters: whatever a processor or a producer can observe must be the same on
 * BullMQ and on the in-process queue, so the embedded mode is a faithful stand-in for the scaled one.
 */

const retry: RetryOverrides = {
  'drift.window': { attempts: 3, backoff: { type: 'fixed', delayMs: 50 } },
  'drift.report': { attempts: 2, backoff: { type: 'exponential', delayMs: 20 } },
};

interface Harness {
  queue: JobQueue;
  failures: Array<{ job: JobRun; willRetry: boolean }>;
  cleanup(): Promise<void>;
}

type Factory = () => Promise<Harness>;

const adapters: Array<[string, Factory]> = [
  [
    'inline',
    async () => {
      const failures: Harness['failures'] = [];
      const queue = createInlineQueue({ deploymentId: 'd1', retry, onFailure: (job, _e, willRetry) => failures.push({ job, willRetry }) });
      return { queue, failures, cleanup: () => queue.close() };
    },
  ],
  [
    'bullmq',
    async () => {
      const url = await testRedisUrl();
      const prefix = uniquePrefix('contract');
      const failures: Harness['failures'] = [];
      const queue = createBullmqQueue({
        deploymentId: 'd1',
        url,
        prefix,
        retry,
        worker: { stalledInterval: 1_000, lockDuration: 5_000 },
        onFailure: (job, _e, willRetry) => failures.push({ job, willRetry }),
      });
      return {
        queue,
        failures,
        async cleanup() {
          await queue.close();
          await deletePrefix(url, prefix);
        },
      };
    },
  ],
];

describe.each(adapters)('JobQueue contract: %s', (_kind, factory) => {
  let harness: Harness | undefined;
  const setup = async () => (harness = await factory());
  afterEach(async () => {
    await harness?.cleanup();
    harness = undefined;
  });

  it('runs a job with its validated payload, deterministic id and attempt 1 (inline: only after enqueue has returned)', async () => {
    const { queue } = await setup();
    const runs: Array<JobRun & { enqueueReturned: boolean }> = [];
    let enqueueReturned = false;
    queue.registerProcessor('drift', async (job) => {
      runs.push({ ...job, enqueueReturned });
    });
    await queue.start();
    const result = await queue.enqueue('drift.window', { monitorId: 7, windowIndex: 3 });
    enqueueReturned = true;
    expect(result).toEqual({ jobId: 'drift-window-d1-7-3', deduplicated: false });
    await until('one run', () => runs.length === 1, { timeoutMs: 10_000 });
    expect(runs[0]).toMatchObject({
      name: 'drift.window',
      jobId: 'drift-window-d1-7-3',
      payload: { monitorId: 7, windowIndex: 3 },
      attempt: 1,
      maxAttempts: 3,
    });
    // The in-process queue promises never to run a job inside the caller's await; a BullMQ worker
    // may legitimately pick a job up from Redis before the producer's reply has arrived.
    if (_kind === 'inline') expect(runs[0]!.enqueueReturned).toBe(true);
  });

  it('deduplicates on the job id, while queued and after completion, and runs the job once', async () => {
    const { queue } = await setup();
    let runs = 0;
    queue.registerProcessor('drift', async () => {
      runs += 1;
    });
    // Two producers race before any worker runs.
    const [a, b] = await Promise.all([
      queue.enqueue('drift.window', { monitorId: 'm-1', windowIndex: 0 }),
      queue.enqueue('drift.window', { monitorId: 'm-1', windowIndex: 0 }),
    ]);
    expect(a!.jobId).toBe('drift-window-d1-m-1-0');
    expect(b!.jobId).toBe(a!.jobId);
    expect([a!.deduplicated, b!.deduplicated].sort()).toEqual([false, true]);
    await queue.start();
    await until('the first run', () => runs === 1, { timeoutMs: 10_000 });
    const again = await queue.enqueue('drift.window', { monitorId: 'm-1', windowIndex: 0 });
    expect(again).toEqual({ jobId: 'drift-window-d1-m-1-0', deduplicated: true });
    // A different window is a different job.
    expect((await queue.enqueue('drift.window', { monitorId: 'm-1', windowIndex: 1 })).deduplicated).toBe(false);
    await until('the second run', () => runs === 2, { timeoutMs: 10_000 });
    await sleep(200);
    expect(runs).toBe(2);
  });

  it('retries a failing job with its backoff and passes the attempt number, until it succeeds', async () => {
    const { queue, failures } = await setup();
    const attempts: number[] = [];
    const times: number[] = [];
    queue.registerProcessor('drift', async (job) => {
      attempts.push(job.attempt);
      times.push(Date.now());
      if (job.attempt < 3) throw new Error(`transient failure ${job.attempt}`);
    });
    await queue.start();
    await queue.enqueue('drift.window', { monitorId: 1, windowIndex: 9 });
    await until('three attempts', () => attempts.length === 3, { timeoutMs: 10_000 });
    expect(attempts).toEqual([1, 2, 3]);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(45); // fixed 50 ms backoff
    expect(failures.map((f) => [f.job.attempt, f.willRetry])).toEqual([
      [1, true],
      [2, true],
    ]);
    await sleep(200);
    expect(attempts).toHaveLength(3);
    expect((await queue.depths()).drift).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
  });

  it('gives up after the last attempt and counts the job as failed', async () => {
    const { queue, failures } = await setup();
    const attempts: number[] = [];
    queue.registerProcessor('drift', async (job) => {
      attempts.push(job.attempt);
      throw new Error('permanent');
    });
    await queue.start();
    await queue.enqueue('drift.report', { reportId: 42, generation: 0 });
    await until('two failures', () => failures.length === 2, { timeoutMs: 10_000 });
    expect(attempts).toEqual([1, 2]);
    expect(failures.map((f) => f.willRetry)).toEqual([true, false]);
    const depths = await queue.depths();
    expect(depths.drift.failed).toBe(1);
  });

  it('rejects invalid payloads on enqueue, naming each field, and queues nothing', async () => {
    const { queue } = await setup();
    const bad: Array<[string, unknown, string]> = [
      ['drift.window', { monitorId: 'a:b', windowIndex: 0 }, 'monitorId'], // ':' would break BullMQ ids
      ['drift.window', { monitorId: 1, windowIndex: -1 }, 'windowIndex'],
      ['drift.window', { monitorId: 1 }, 'windowIndex'],
      ['retrain.run', { retrainJobId: 3, secret: 'token' }, 'secret'], // ids only, nothing else
      ['webhook.deliver', { deliveryId: 1.5 }, 'deliveryId'],
    ];
    for (const [name, payload, path] of bad) {
      const error = await queue.enqueue(name as 'drift.window', payload as never).catch((e: unknown) => e);
      expect(error, `${name} ${JSON.stringify(payload)}`).toBeInstanceOf(JobPayloadError);
      expect((error as JobPayloadError).errors.map((e) => e.path)).toContain(path);
    }
    await expect(queue.enqueue('no.such.job' as 'drift.window', { monitorId: 1, windowIndex: 0 })).rejects.toBeInstanceOf(JobPayloadError);
    const depths = await queue.depths();
    expect(Object.values(depths).every((d) => d.waiting === 0 && d.delayed === 0)).toBe(true);
  });

  it('reports queue depths for jobs no worker consumes, and answers ping', async () => {
    const { queue } = await setup();
    await queue.ping();
    await queue.enqueue('retrain.run', { retrainJobId: 5, generation: 0 });
    await queue.enqueue('webhook.deliver', { deliveryId: 'd-1' }, { delayMs: 60_000 });
    const depths = await queue.depths();
    expect(depths.retrain).toEqual({ waiting: 1, active: 0, delayed: 0, failed: 0 });
    expect(depths.webhooks).toEqual({ waiting: 0, active: 0, delayed: 1, failed: 0 });
  });

  it('tells the state of a job (waiting, completed, failed, missing), promotes one in backoff and reruns a failed one under its id', async () => {
    const { queue } = await setup();
    const runs: string[] = [];
    let failing = true;
    queue.registerProcessor('drift', async (job) => {
      runs.push(`${job.jobId}#${job.attempt}`);
      if (job.name === 'drift.report' && failing) throw new Error('down');
    });
    const report = { reportId: 7, generation: 0 };
    expect(await queue.jobState('drift.report', report)).toBe('missing');
    await queue.enqueue('drift.report', report);
    expect(await queue.jobState('drift.report', report)).toBe('waiting');
    await queue.start();
    await until('two runs', () => runs.length === 2, { timeoutMs: 10_000 });
    await sleep(300);
    expect(await queue.jobState('drift.report', report)).toBe('failed');
    // Another generation is another job: the failed one does not shadow it.
    expect(await queue.jobState('drift.report', { reportId: 7, generation: 1 })).toBe('missing');
    failing = false;
    expect(await queue.retryFailed('drift.report', report)).toBe(true);
    await until('three runs', () => runs.length === 3, { timeoutMs: 10_000 });
    expect(runs[2]).toBe('drift-report-d1-7-g0#1');
    await sleep(300);
    expect(await queue.jobState('drift.report', report)).toBe('completed');
    expect(await queue.retryFailed('drift.report', report)).toBe(false);
    // A delayed job runs at once when promoted.
    await queue.enqueue('drift.window', { monitorId: 3, windowIndex: 1 }, { delayMs: 60_000 });
    expect(await queue.jobState('drift.window', { monitorId: 3, windowIndex: 1 })).toBe('delayed');
    expect(await queue.promote('drift.window', { monitorId: 3, windowIndex: 1 })).toBe(true);
    await until('the promoted delayed job to run', () => runs.includes('drift-window-d1-3-1#1'), { timeoutMs: 10_000 });
  });

  it('close waits for the running job, then refuses new work; closing twice is harmless', async () => {
    const { queue } = await setup();
    let finished = false;
    let started = false;
    queue.registerProcessor('maintenance', async () => {
      started = true;
      await sleep(300);
      finished = true;
    });
    await queue.start();
    await queue.enqueue('outbox.sweep', { slot: 123 });
    await until('the job to start', () => started, { timeoutMs: 10_000 });
    await queue.close();
    expect(finished).toBe(true);
    await expect(queue.enqueue('outbox.sweep', { slot: 124 })).rejects.toBeInstanceOf(QueueClosedError);
    await queue.close();
  });
});

describe('BullMQ worker and other deployments on one prefix', () => {
  it('refuses a job of another deployment (or of none) without running it or reporting a failure', async () => {
    const url = await testRedisUrl();
    const prefix = uniquePrefix('foreign');
    const failures: unknown[] = [];
    const ours = createBullmqQueue({ url, deploymentId: 'ours', prefix, onFailure: (job) => failures.push(job) });
    const theirs = createBullmqQueue({ url, deploymentId: 'theirs', prefix });
    const raw = new Queue('drift', { connection: { url }, prefix });
    try {
      const runs: string[] = [];
      ours.registerProcessor('drift', async (job) => {
        runs.push(job.jobId);
      });
      await ours.start();
      // Same row id, two databases: two job ids, neither shadows the other.
      const a = await theirs.enqueue('drift.report', { reportId: 1, generation: 0 });
      const b = await ours.enqueue('drift.report', { reportId: 1, generation: 0 });
      expect(a).toEqual({ jobId: 'drift-report-theirs-1-g0', deduplicated: false });
      expect(b).toEqual({ jobId: 'drift-report-ours-1-g0', deduplicated: false });
      await raw.add('drift.report', { payload: { reportId: 1 }, token: 'x' }, { jobId: 'drift-report-1' }); // queued before deployment ids
      await until('one run', () => runs.length === 1, { timeoutMs: 10_000 });
      await sleep(1_000);
      expect(runs).toEqual(['drift-report-ours-1-g0']);
      expect(failures).toEqual([]);
      expect(await theirs.jobState('drift.report', { reportId: 1, generation: 0 })).toBe('failed');
    } finally {
      await raw.close();
      await ours.close();
      await theirs.close();
      await deletePrefix(url, prefix);
    }
  });
});

describe('BullMQ worker re-validates payloads it did not enqueue itself', () => {
  it('fails a raw job with a bad payload at once, without calling the processor or retrying', async () => {
    const url = await testRedisUrl();
    const prefix = uniquePrefix('raw');
    const failures: Array<{ willRetry: boolean }> = [];
    const queue = createBullmqQueue({ url, deploymentId: 'd1', prefix, onFailure: (_job, _e, willRetry) => failures.push({ willRetry }) });
    const raw = new Queue('drift', { connection: { url }, prefix });
    try {
      let calls = 0;
      queue.registerProcessor('drift', async () => {
        calls += 1;
      });
      await queue.start();
      // Another producer (an old deploy, a hand-written script) puts data in the payload.
      await raw.add(
        'drift.window',
        { payload: { monitorId: 1, windowIndex: 0, rows: [[1, 2]] }, token: 'x', deployment: 'd1' },
        { jobId: 'drift-window-d1-1-0', attempts: 5 },
      );
      await until('one failure', () => failures.length === 1, { timeoutMs: 10_000 });
      expect(failures[0]!.willRetry).toBe(false);
      expect(calls).toBe(0);
      expect((await queue.depths()).drift.failed).toBe(1);
    } finally {
      await raw.close();
      await queue.close();
      await deletePrefix(url, prefix);
    }
  });
});
