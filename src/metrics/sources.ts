import type { MonitoringRepository } from '../monitoring/monitoring.repository.js';
import type { ReportStateRepository } from '../monitoring/report-state.repository.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { LatestReport, MetricsSources } from './metrics.js';

/** The scrape-time sources: the queue backend's own counts and the reports table. */
export function metricsSources(deps: { queue: JobQueue; repo: MonitoringRepository; reportState: ReportStateRepository }): MetricsSources {
  return {
    queueDepths: () => deps.queue.depths(),
    lastReportTimes: () => deps.reportState.lastDoneAtByModel(),
    async latestReports(limit) {
      const rows = await deps.repo.latestFinishedReports(limit);
      return rows.map(
        (row): LatestReport => ({ model: row.model, drifted: row.drifted === true, driftShare: row.driftShare ?? 0, features: featuresOf(row.result) }),
      );
    },
  };
}

/** A stored result is `{ report: { features: [{ name, psi }] }, performance }`; anything else yields no series. */
function featuresOf(result: Record<string, unknown> | null): LatestReport['features'] {
  const features = (result?.report as { features?: unknown } | undefined)?.features;
  if (!Array.isArray(features)) return [];
  return features
    .filter((f): f is { name: string; psi: unknown } => typeof f === 'object' && f !== null && typeof (f as { name?: unknown }).name === 'string')
    .map((f) => ({ name: f.name, psi: typeof f.psi === 'number' ? f.psi : null }));
}
