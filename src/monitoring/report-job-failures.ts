import { ArtifactStoreUnavailableError } from '../artifacts/artifact-store.js';
import { isDatabaseUnavailable } from '../db/errors.js';
import { AppError } from '../http/errors.js';
import type { JobPayload, JobRun } from '../queue/index.js';
import type { DriftReportsService } from './drift-reports.service.js';
import type { MonitoringRepository } from './monitoring.repository.js';

/** An outage, not a property of the report: computing it again later can succeed. */
export function isTransientFailure(error: unknown): boolean {
  if (error instanceof ArtifactStoreUnavailableError) return true;
  if (error instanceof AppError && ['DATABASE_BUSY', 'DATABASE_UNAVAILABLE', 'ARTIFACT_STORE_UNAVAILABLE', 'QUEUE_UNAVAILABLE'].includes(error.code))
    return true;
  return isDatabaseUnavailable(error);
}

/**
 * The queue's failure callback for drift jobs. It runs in the worker's event loop outside any
 * job, so it must never throw or reject: a rejection there used to end the process.
 *
 * A `drift.report` job that gave up because of an outage (the database, the store) leaves its
 * report `pending`: the outbox sweep re-enqueues it under a new generation once things answer.
 * Any other final failure marks the report failed with the reason, unless the job is of an
 * older generation than the row (the sweep already handed the report to a newer job). When even
 * that write fails, the report stays pending and the sweep retries it: never fatal.
 */
export function createReportJobFailures(deps: {
  repo: Pick<MonitoringRepository, 'findReport'>;
  reports: () => Pick<DriftReportsService, 'markFailed'> | undefined;
  log: (message: string, error?: unknown) => void;
}) {
  return {
    onFailure(job: JobRun, error: unknown, willRetry: boolean): Promise<void> {
      if (willRetry || job.name !== 'drift.report') return Promise.resolve();
      const { reportId, generation } = job.payload as JobPayload<'drift.report'>;
      const id = Number(reportId);
      if (isTransientFailure(error)) {
        deps.log(`drift report ${id} stays pending after an outage (job ${job.jobId}); the outbox sweep re-enqueues it`);
        return Promise.resolve();
      }
      const record = async () => {
        const row = await deps.repo.findReport(id);
        if (row?.status !== 'pending' || row.generation !== generation) return;
        await deps.reports()?.markFailed(id, String((error as Error)?.message ?? error));
      };
      return record().catch((e: unknown) => deps.log(`drift report ${id}: recording the failure of job ${job.jobId} failed; the outbox sweep retries it`, e));
    },
  };
}
