import { Job, type Queue } from 'bullmq';
import type { JobState } from './job-queue.js';

/** Small pieces of the BullMQ adapter (bullmq-queue.ts): one job's state and its two rescues, and timing helpers. */

/** BullMQ's state of a job, in the port's words. */
export async function stateOf(queue: Queue, jobId: string): Promise<JobState> {
  const state = await queue.getJobState(jobId);
  if (state === 'unknown') return 'missing';
  if (state === 'prioritized' || state === 'waiting-children') return 'waiting';
  return state;
}

/** A job in backoff runs now; false when it is not delayed (any more: it may leave the set meanwhile). */
export async function promoteDelayed(queue: Queue, jobId: string): Promise<boolean> {
  const job = await Job.fromId(queue, jobId);
  if (!job || !(await job.isDelayed())) return false;
  return job.promote().then(
    () => true,
    () => false,
  );
}

/** A job that failed for good runs again under its id with its attempts reset; false when it is not failed. */
export async function retryFailedJob(queue: Queue, jobId: string): Promise<boolean> {
  const job = await Job.fromId(queue, jobId);
  if (!job || !(await job.isFailed())) return false;
  return job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true }).then(
    () => true,
    () => false,
  );
}

export const sleepUnref = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** Resolves once `condition()` holds (polled every 100 ms), unless `watch.stop` is set first. */
export async function until(condition: () => boolean, watch: { stop: boolean }): Promise<void> {
  while (!watch.stop && !condition()) await sleepUnref(100);
  if (watch.stop) await new Promise(() => {}); // lost the race: never resolve
}

/** True when `promise` settled within `ms`. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), expired]);
  } finally {
    clearTimeout(timer);
  }
}
