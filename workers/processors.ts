import type { Container } from '../src/container.js';

/**
 * One thin processor per job: each re-reads its entity and delegates to a service; the services
 * make reruns harmless (a report that is not pending is left alone). The API process registers
 * them too when it runs the in-process queue (no REDIS_URL), so both modes run the same code.
 */
export function registerProcessors(container: Container): void {
  const { queue, reports, maintenance, metrics } = container;
  queue.registerProcessor('drift', async (job) => {
    if (job.name === 'drift.report') {
      // Recorded in the process that runs the job (the API's in embedded mode, a worker's when scaled).
      const end = metrics.driftJobDuration.startTimer();
      try {
        await reports.process(Number(job.payload.reportId));
        end({ outcome: 'ok' });
      } catch (error) {
        end({ outcome: 'error' });
        throw error;
      }
      return;
    }
    if (job.name === 'drift.window') return maintenance.closeTimeWindow(Number(job.payload.monitorId), job.payload.windowIndex);
  });
  queue.registerProcessor('maintenance', async (job) => {
    if (job.name === 'outbox.sweep') await maintenance.sweepOnce();
  });
}
