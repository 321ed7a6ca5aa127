import type { DriftReportsService } from '../monitoring/drift-reports.service.js';
import type { MonitorStatusService } from '../monitoring/monitor-status.service.js';
import type { MonitorsService } from '../monitoring/monitors.service.js';
import type { ModelsService } from '../registry/models.service.js';
import type { ListModelsQuery } from '../registry/registry.schemas.js';
import type { RetrainJobsService } from '../retraining/retrain-jobs.service.js';
import type { HealthState, ModelSummary } from './summary.schemas.js';

/** Count windows have no period: no report for this long is stale (the README's MlcycleMonitorQuiet alert). */
export const COUNT_WINDOW_STALE_MS = 6 * 3600_000;
/** Windows the summary looks back over to find where the current run of drifted windows began. */
const LOOKBACK = 200;

/**
 * The models page's one request: each model of a page of models with its monitoring health, its
 * newest report's verdict and window, since when it drifts, its performance and its newest
 * retrain job. A read model over the registry, monitoring and retraining services (it only reads).
 */
export function createSummaryService(deps: {
  models: Pick<ModelsService, 'list' | 'get'>;
  monitorStatus: MonitorStatusService;
  monitors: Pick<MonitorsService, 'get'>;
  reports: Pick<DriftReportsService, 'timeline'>;
  retrainJobs: Pick<RetrainJobsService, 'list'>;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());

  async function summary(model: {
    name: string;
    description: string | null;
    latestVersion: number | null;
    aliases: Record<string, number>;
  }): Promise<ModelSummary> {
    const [status, monitor, timeline, jobs] = await Promise.all([
      deps.monitorStatus.status(model.name),
      deps.monitors.get(model.name),
      deps.reports.timeline(model.name, { limit: LOOKBACK }),
      deps.retrainJobs.list({ model: model.name, limit: 1 }),
    ]);
    const window = (monitor.effective as { window?: { kind: string; everyMs?: number } }).window;
    const staleAfterMs = window?.kind === 'time' && window.everyMs ? 2 * window.everyMs : COUNT_WINDOW_STALE_MS;
    const age = status.lastReportAt ? now().getTime() - Date.parse(status.lastReportAt) : null;
    let state: HealthState;
    let message = status.message;
    if (status.state === 'idle') state = 'idle';
    else if (status.state === 'stopped') state = status.reason === 'no_reference' ? 'no_reference' : 'failing';
    else if (age !== null && age > staleAfterMs) {
      state = 'stale';
      message = `no report for ${Math.round(age / 60_000)} min (expected within ${Math.round(staleAfterMs / 60_000)} min)`;
    } else state = 'healthy';

    const points = timeline.points;
    const newest = points.at(-1);
    let run = 0;
    while (run < points.length && points[points.length - 1 - run]!.datasetDrift) run++;
    const job = jobs.items[0];
    return {
      name: model.name,
      description: model.description,
      latestVersion: model.latestVersion,
      aliases: model.aliases,
      health: {
        state,
        reason: status.reason,
        message,
        reportId: status.reportId,
        lastReportAt: status.lastReportAt,
        staleAfterSeconds: Math.round(staleAfterMs / 1000),
      },
      drift: newest
        ? {
            reportId: newest.reportId,
            version: newest.version,
            from: newest.from,
            to: newest.to,
            datasetDrift: newest.datasetDrift,
            driftShare: newest.driftShare,
            driftedFeatures: newest.features.filter((f) => f.drifted).map((f) => f.name),
            driftingSince: run > 0 ? (points[points.length - run]!.from ?? null) : null,
            driftingWindows: run,
          }
        : null,
      performance: newest?.performance ?? null,
      retrain: job
        ? {
            id: job.id,
            status: job.status,
            resultVersion: job.resultVersion,
            decision: job.evaluation?.decision ?? null,
            error: job.error,
            createdAt: job.createdAt,
            finishedAt: job.finishedAt,
          }
        : null,
    };
  }

  return {
    async list(query: ListModelsQuery): Promise<{ items: ModelSummary[]; nextCursor: string | null }> {
      const page = await deps.models.list(query);
      // One model after another: a page of 500 models must not open 2 000 queries at once.
      const items: ModelSummary[] = [];
      for (const m of page.items) items.push(await summary(m));
      return { items, nextCursor: page.nextCursor };
    },
    async get(name: string): Promise<ModelSummary> {
      return summary(await deps.models.get(name));
    },
  };
}
export type SummaryService = ReturnType<typeof createSummaryService>;
