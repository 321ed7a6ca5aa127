import type { Container } from '../src/container.js';
import { retrainProcessor, sweepRetrainOutbox, webhooksProcessor } from '../src/retraining/processors.js';

const settle = <T>(fn: () => Promise<T>): Promise<PromiseSettledResult<T>> =>
  fn().then(
    (value) => ({ status: 'fulfilled', value }),
    (reason: unknown) => ({ status: 'rejected', reason }),
  );

/**
 * One thin processor per job: each re-reads its entity and delegates to a service; the services
 * make reruns harmless (a report that is not pending is left alone). The API process registers
 * them too when it runs the in-process queue (no REDIS_URL), so both modes run the same code.
 */
export function registerProcessors(container: Container): void {
  const { queue, reports, maintenance, retraining, webhooks, metrics, monitoringRepo } = container;
  queue.registerProcessor('drift', async (job) => {
    if (job.name === 'drift.report') {
      // The sweep re-enqueued this report under a newer generation: that job computes it.
      const row = await monitoringRepo.findReport(Number(job.payload.reportId));
      if (row && row.generation > job.payload.generation) return;
      // Recorded in the process that runs the job (the API's in embedded mode, a worker's when scaled).
      const end = metrics.driftJobDuration.startTimer();
      try {
        // ok: a report stored · failed: the report stored as failed (no reference) · skipped: nothing was pending.
        end({ outcome: await reports.process(Number(job.payload.reportId)) });
      } catch (error) {
        end({ outcome: 'error' });
        throw error;
      }
      return;
    }
    if (job.name === 'drift.window') return maintenance.closeTimeWindow(Number(job.payload.monitorId), job.payload.windowIndex);
  });
  queue.registerProcessor('retrain', retrainProcessor(retraining.runner, retraining.repo));
  const deliver = webhooksProcessor(webhooks);
  queue.registerProcessor('webhooks', async (job) => {
    try {
      await deliver(job);
      metrics.webhookDeliveries.inc({ outcome: 'success' });
    } catch (error) {
      metrics.webhookDeliveries.inc({ outcome: job.attempt < job.maxAttempts ? 'retry' : 'gave_up' });
      throw error;
    }
  });
  queue.registerProcessor('maintenance', async (job) => {
    if (job.name !== 'outbox.sweep') return;
    // Every outbox: drift windows, retrain jobs and webhook deliveries whose enqueue was lost.
    // One outbox failing (Redis or the database down) must not skip the others; the job still fails.
    const outcomes = [await settle(() => maintenance.sweepOnce()), await settle(() => sweepRetrainOutbox(retraining.jobs, webhooks, retraining.leases))];
    const failed = outcomes.find((o) => o.status === 'rejected');
    if (failed) throw failed.reason;
  });
}
