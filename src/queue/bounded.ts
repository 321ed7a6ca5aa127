import type { EnqueueResult } from './job-queue.js';

export type Settled = { outcome: 'ok'; result: EnqueueResult } | { outcome: 'failed'; error: unknown } | { outcome: 'timeout' };

/**
 * Waits for an enqueue at most `ms`. A late one carries on in the background (its rejection is
 * handled here, never unhandled); the caller treats it as not done and leaves the work to the
 * outbox sweep, which finds the job (or its absence) by id.
 */
export async function enqueueWithin(enqueue: Promise<EnqueueResult>, ms: number): Promise<Settled> {
  const settled = enqueue.then(
    (result): Settled => ({ outcome: 'ok', result }),
    (error: unknown): Settled => ({ outcome: 'failed', error }),
  );
  if (ms <= 0) return { outcome: 'timeout' };
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<Settled>((resolve) => {
    timer = setTimeout(() => resolve({ outcome: 'timeout' }), ms);
  });
  try {
    return await Promise.race([settled, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** A request's total wait for the queue: every enqueue after its commit shares one deadline. */
export function enqueueBudget(ms: number, clock: () => number = Date.now) {
  const deadline = clock() + ms;
  return {
    left: () => Math.max(0, deadline - clock()),
    run: (enqueue: Promise<EnqueueResult>) => enqueueWithin(enqueue, Math.max(0, deadline - clock())),
  };
}
