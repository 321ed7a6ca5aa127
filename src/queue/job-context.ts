import { AsyncLocalStorage } from 'node:async_hooks';
import type { JobRun } from './job-queue.js';

/**
 * Which job (if any) the current async context serves. Both adapters run processors and failure
 * callbacks inside it, so a stray rejection can be logged with the job it came from.
 */
const context = new AsyncLocalStorage<Pick<JobRun, 'name' | 'jobId' | 'attempt'>>();

export function runInJob<T>(job: Pick<JobRun, 'name' | 'jobId' | 'attempt'>, fn: () => T): T {
  return context.run({ name: job.name, jobId: job.jobId, attempt: job.attempt }, fn);
}

export function currentJob(): Pick<JobRun, 'name' | 'jobId' | 'attempt'> | undefined {
  return context.getStore();
}

/**
 * The API's and the worker's last line: an unexpected rejection (a bug in a failure path, a
 * callback nobody awaited) is logged with its job, and the process keeps serving. Node's default
 * would end the process, and with it every other job and request it was running.
 */
export function keepServingOnUnhandledRejection(log: (message: string, error?: unknown) => void): void {
  process.on('unhandledRejection', (reason) => {
    const job = currentJob();
    log(job ? `unhandled rejection in job ${job.jobId} (${job.name}, attempt ${job.attempt}); still serving` : 'unhandled rejection; still serving', reason);
  });
}
