import type { JobQueue } from './job-queue.js';
import type { JobName, JobPayload } from './jobs.js';

export type RequeueOutcome = 'live' | 'promoted' | 'requeued' | 'raced';

/**
 * The outbox sweep's step for one row that still waits for its job (a pending report, a queued
 * retrain job). Its current job (`current`, the row's generation) is asked for:
 * - waiting or running: nothing to do (stalled-job recovery covers a dead worker);
 * - in backoff: run now when `promoteDelayed` (the sweep runs, so the database answers again);
 * - completed, failed for good, or missing (never queued, expired, a wiped Redis, a restart of
 *   the in-process queue): `bump` moves the row's generation on (compare-and-set: one sweep of
 *   several wins) and the job is enqueued under the new generation, a new id that no finished
 *   job holds. A late job of the old generation is ignored by its processor.
 * Queue errors propagate (Redis down: the next sweep tries again).
 */
export async function requeueLost<N extends JobName>(
  queue: Pick<JobQueue, 'jobState' | 'enqueue' | 'promote'>,
  name: N,
  payloads: { current: JobPayload<N>; next: JobPayload<N> },
  bump: () => Promise<boolean>,
  options: { promoteDelayed?: boolean } = {},
): Promise<RequeueOutcome> {
  const state = await queue.jobState(name, payloads.current);
  if (state === 'waiting' || state === 'active') return 'live';
  if (state === 'delayed') return options.promoteDelayed && (await queue.promote(name, payloads.current)) ? 'promoted' : 'live';
  if (!(await bump())) return 'raced';
  await queue.enqueue(name, payloads.next);
  return 'requeued';
}
