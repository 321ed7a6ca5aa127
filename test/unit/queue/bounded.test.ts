import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { enqueueBudget, enqueueWithin } from '../../../src/queue/bounded.js';
import { currentJob, runInJob } from '../../../src/queue/job-context.js';
import type { EnqueueResult } from '../../../src/queue/job-queue.js';

const never = () => new Promise<EnqueueResult>(() => {});
const after = (ms: number, outcome: 'ok' | 'fail') =>
  new Promise<EnqueueResult>((resolve, reject) =>
    setTimeout(() => (outcome === 'ok' ? resolve({ jobId: 'j', deduplicated: false }) : reject(new Error('late'))), ms),
  );

describe('bounded enqueue', () => {
  it('gives up on a queue that does not answer after the bound, and reports an answer within it', async () => {
    const started = Date.now();
    expect(await enqueueWithin(never(), 50)).toEqual({ outcome: 'timeout' });
    expect(Date.now() - started).toBeLessThan(500);
    expect(await enqueueWithin(after(5, 'ok'), 1_000)).toMatchObject({ outcome: 'ok', result: { jobId: 'j' } });
    expect(await enqueueWithin(after(5, 'fail'), 1_000)).toMatchObject({ outcome: 'failed' });
    expect(await enqueueWithin(after(5, 'ok'), 0)).toEqual({ outcome: 'timeout' });
  });

  it('a late rejection after the bound is handled (no unhandled rejection)', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      expect(await enqueueWithin(after(60, 'fail'), 10)).toEqual({ outcome: 'timeout' });
      await new Promise((r) => setTimeout(r, 120));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('shares one deadline across the enqueues of a request', async () => {
    let t = 0;
    const budget = enqueueBudget(100, () => t);
    expect(budget.left()).toBe(100);
    t = 70;
    expect(budget.left()).toBe(30);
    t = 150;
    expect(budget.left()).toBe(0);
    expect(await budget.run(after(1, 'ok'))).toEqual({ outcome: 'timeout' });
  });
});

describe('job context and the process guard', () => {
  it('knows the job of the current async context', async () => {
    expect(currentJob()).toBeUndefined();
    const seen = await runInJob({ name: 'drift.report', jobId: 'drift-report-d-1-g0', attempt: 2 }, async () => {
      await new Promise((r) => setTimeout(r, 1));
      return currentJob();
    });
    expect(seen).toEqual({ name: 'drift.report', jobId: 'drift-report-d-1-g0', attempt: 2 });
  });

  it('logs an unhandled rejection with its job and keeps the process running', () => {
    const script = `
      import { keepServingOnUnhandledRejection, runInJob } from './src/queue/job-context.ts';
      keepServingOnUnhandledRejection((m, e) => console.log('LOG', m, String(e)));
      runInJob({ name: 'drift.report', jobId: 'drift-report-d-7-g1', attempt: 3 }, () => { void Promise.reject(new Error('bookkeeping failed')); });
      setTimeout(() => console.log('STILL SERVING'), 50);
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout).toContain('LOG unhandled rejection in job drift-report-d-7-g1 (drift.report, attempt 3); still serving Error: bookkeeping failed');
    expect(child.stdout).toContain('STILL SERVING');
  });
});
