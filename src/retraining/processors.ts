import type { WebhooksService } from '../events/webhooks.service.js';
import type { Processor } from '../queue/job-queue.js';
import type { Leases } from './lease.js';
import type { RetrainJobsRepository } from './retrain-jobs.repository.js';
import type { RetrainJobsService } from './retrain-jobs.service.js';
import type { RetrainRunner } from './retrain-runner.js';

/**
 * The `retrain` queue's processor: one thin call; the runner re-checks state and is idempotent.
 * A job of an older generation than its row is ignored: the outbox sweep re-enqueued the row
 * under a newer one (its job had finished, failed or vanished while the row stayed queued).
 */
export function retrainProcessor(runner: RetrainRunner, repo?: Pick<RetrainJobsRepository, 'find'>): Processor<'retrain'> {
  return async (job) => {
    if (repo) {
      const row = await repo.find(Number(job.payload.retrainJobId));
      if (row && row.generation > job.payload.generation) return;
    }
    await runner.runRetrainJob(Number(job.payload.retrainJobId), { attempt: job.attempt, maxAttempts: job.maxAttempts });
  };
}

/** The `webhooks` queue's processor: a failed attempt throws, so the queue retries with backoff. */
export function webhooksProcessor(webhooks: WebhooksService): Processor<'webhooks'> {
  return async (job) => {
    await webhooks.deliver(Number(job.payload.deliveryId), { attempt: job.attempt, maxAttempts: job.maxAttempts });
  };
}

/**
 * For the `outbox.sweep` job: take over running retrain jobs whose lease expired (they go back to
 * `queued` or end), then re-enqueue queued retrain jobs and pending deliveries (deterministic ids dedupe).
 */
export async function sweepRetrainOutbox(
  jobs: RetrainJobsService,
  webhooks: WebhooksService,
  leases?: Pick<Leases, 'reconcile'>,
): Promise<{ leasesTaken: number; retrainJobs: number; deliveries: number }> {
  const leasesTaken = leases ? await leases.reconcile() : 0;
  return { leasesTaken, retrainJobs: await jobs.enqueueQueued(), deliveries: await webhooks.dispatchPending() };
}
