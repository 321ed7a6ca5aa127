import { randomUUID } from 'node:crypto';
import { computeDrift, type DriftReport } from '../drift/index.js';
import type { EventsService } from '../events/events.service.js';
import { AppError } from '../http/errors.js';
import { decodeCursor, toPage } from '../http/pagination.js';
import type { RegistryRepository } from '../registry/registry.repository.js';
import type { RegistryViews } from '../registry/views.js';
import { driftOptionsFor, monitorSettings } from './monitor-config.js';
import type { DriftReportRow, MonitoringRepository } from './monitoring.repository.js';
import {
  type DriftRangeBody,
  type DriftReportView,
  type FailureReason,
  failureReasonOf,
  type ListReportsQuery,
  type TimelineQuery,
} from './monitoring.schemas.js';
import { computePerformance, type PerformanceResult } from './performance.js';
import { nearestReference } from './reference-lineage.js';
import type { ReferenceService } from './reference.service.js';
import type { SamplesService } from './samples.service.js';
import { assembleWindow } from './window-data.js';

interface StoredResult {
  report: DriftReport;
  performance: PerformanceResult | null;
}

/** What a drift job did, for the job-duration metric: stored a report, stored a failed one, or found nothing to do. */
export type ReportOutcome = 'ok' | 'failed' | 'skipped';

export function createDriftReportsService(deps: {
  repo: MonitoringRepository;
  registry: RegistryRepository;
  views: RegistryViews;
  references: ReferenceService;
  samples: SamplesService;
  events: EventsService;
  now?: () => Date;
  /** Called after a report is stored (outside its transaction): the retrain policy's turn. */
  onReportDone?: (modelId: number) => Promise<unknown>;
  /** Called once per report that ends failed, after commit (the failed-reports counter). */
  onReportFailed?: (labels: { model: string; reason: FailureReason }) => void;
}) {
  const { repo, registry, views, references, events } = deps;
  const now = deps.now ?? (() => new Date());

  function view(model: string, version: number, row: DriftReportRow, whole: boolean): DriftReportView {
    const stored = row.result as unknown as StoredResult | null;
    const report = stored?.report;
    return {
      id: row.id,
      model,
      version,
      window: {
        kind: row.kind,
        key: row.windowKey,
        seqFrom: row.seqFrom === null ? null : Number(row.seqFrom),
        seqTo: row.seqTo === null ? null : Number(row.seqTo),
        from: row.fromTime,
        to: row.toTime,
      },
      status: row.status as DriftReportView['status'],
      sampleCount: row.sampleCount,
      datasetDrift: row.drifted,
      driftShare: row.driftShare,
      // Rows from before the fallback existed were always computed against their own version.
      referenceVersion: row.referenceVersion ?? (row.status === 'done' ? version : null),
      ...(report ? { driftedFeatures: report.features.filter((f) => f.drifted).map((f) => f.name) } : {}),
      ...(stored ? { performance: stored.performance } : {}),
      ...(whole && report ? { features: report.features as unknown as Record<string, unknown>[], options: report.options } : {}),
      error: row.error,
      failureReason: failureReasonOf(row),
      createdAt: row.createdAt,
      completedAt: row.completedAt,
    };
  }

  /** Stores the outcome if the report is still pending; false when someone else already did. */
  async function finish(row: DriftReportRow, patch: Parameters<MonitoringRepository['updateReport']>[1], onDone?: () => Promise<void>): Promise<boolean> {
    return repo.transaction(async () => {
      // Re-check under the write lock: a rerun (stalled job, sweeper) must not write twice.
      const current = await repo.findReport(row.id);
      if (current?.status !== 'pending') return false;
      await repo.updateReport(row.id, { ...patch, attempts: current.attempts + 1, completedAt: now().toISOString() });
      await onDone?.();
      return true;
    });
  }

  /**
   * A report that cannot be computed ends failed, loudly: a `drift.report_failed` event in the
   * same transaction (webhooks subscribe to it), then the failed-reports counter. A monitor
   * whose windows all fail has stopped: someone must hear of it without reading the report list.
   */
  async function fail(row: DriftReportRow, reason: FailureReason, message: string): Promise<boolean> {
    const version = await registry.findVersionById(row.versionId);
    const model = version ? await registry.findModelById(version.modelId) : undefined;
    const stored = await finish(row, { status: 'failed', failureReason: reason, error: message }, async () => {
      if (!model || !version) return;
      await events.record({
        type: 'drift.report_failed',
        model,
        data: { reportId: row.id, version: version.version, window: { kind: row.kind, key: row.windowKey }, reason, message },
        actor: undefined,
      });
    });
    if (stored && model) deps.onReportFailed?.({ model: model.name, reason });
    return stored;
  }

  return {
    /**
     * The drift job: computes one pending report and stores it. Idempotent — a report that is not
     * pending any more is left alone — so a job rerun after a worker died half-way yields one report.
     */
    async process(reportId: number): Promise<ReportOutcome> {
      const row = await repo.findReport(reportId);
      if (!row) return 'skipped';
      if (row.status !== 'pending') {
        // A rerun after a crash between storing the report and the policy's turn: give it its
        // turn (the policy is idempotent: one active retrain per model, decided under a lock).
        if (row.status === 'done') await deps.onReportDone?.(row.modelId);
        return 'skipped';
      }
      const version = await registry.findVersionById(row.versionId);
      const model = version ? await registry.findModelById(version.modelId) : undefined;
      if (!version || !model) return 'skipped'; // deleted meanwhile: the cascade removed the report too
      const settings = await monitorSettings(repo, row.modelId);
      const reference = await nearestReference({ registry, references }, version);
      if (!reference) {
        const message =
          `version ${version.version} has no reference data${version.parentVersion === null ? '' : ', nor has any ancestor'}: ` +
          `POST it to /api/v1/models/${model.name}/versions/${version.version}/reference`;
        return (await fail(row, 'no_reference', message)) ? 'failed' : 'skipped';
      }
      const batches =
        row.kind === 'count'
          ? await repo.batchesInSequence(version.id, Number(row.seqFrom), Number(row.seqTo))
          : await repo.batchesInTime(version.id, row.fromTime!, row.toTime!);
      const range = row.kind === 'count' ? { from: Number(row.seqFrom), to: Number(row.seqTo) } : undefined;
      const data = assembleWindow(batches, version.features, range);
      const report = computeDrift(reference.profile, data.columns, driftOptionsFor(settings, version.features));
      const labels = data.labels.slice();
      const missing = data.ids.filter((id, i): id is string => id !== null && (labels[i] === null || labels[i] === undefined));
      if (missing.length) {
        const delayed = await repo.labelsFor(row.modelId, missing);
        data.ids.forEach((id, i) => {
          if (id !== null && (labels[i] === null || labels[i] === undefined) && delayed.has(id)) labels[i] = delayed.get(id)!;
        });
      }
      const registered = (await registry.versionDetails(version.id)).metrics;
      const performance = computePerformance(
        { task: version.task, predictions: data.predictions, labels, scores: data.scores, classes: data.classes },
        registered,
        settings.performance.tolerance,
      );
      const stored = await finish(
        row,
        {
          status: 'done',
          sampleCount: data.rows,
          drifted: report.datasetDrift,
          driftShare: report.driftShare,
          fromTime: row.fromTime ?? data.firstObservedAt,
          toTime: row.kind === 'count' ? (data.lastObservedAt ?? row.toTime) : row.toTime,
          result: { report, performance } as unknown as Record<string, unknown>,
          referenceVersion: reference.version,
          error: null,
        },
        async () => {
          if (report.datasetDrift || performance?.degraded) {
            await events.record({
              type: 'drift.detected',
              model,
              data: {
                reportId: row.id,
                version: version.version,
                referenceVersion: reference.version,
                driftShare: report.driftShare,
                features: report.features.filter((f) => f.drifted).map((f) => f.name),
                datasetDrift: report.datasetDrift,
                performanceDegraded: performance?.degraded ?? false,
              },
              actor: undefined,
            });
          }
        },
      );
      await deps.onReportDone?.(row.modelId);
      return stored ? 'ok' : 'skipped';
    },

    /** A job that gave up: the report says why instead of staying pending forever, and says it loudly. */
    async markFailed(reportId: number, message: string): Promise<void> {
      const row = await repo.findReport(reportId);
      if (row) await fail(row, 'job_failed', message);
    },

    /** On demand, over any time range of one version (default: the one `production` points at). */
    async requestRange(name: string, body: DriftRangeBody): Promise<DriftReportView> {
      const model = await views.requireModel(name);
      const version = await deps.samples.targetVersion(model, body.version !== undefined ? { version: body.version } : {});
      const from = new Date(body.from).toISOString();
      const to = new Date(body.to).toISOString();
      if (from > to) throw new AppError('VALIDATION_FAILED', '"from" must not be after "to"', [{ path: 'from', message: 'is after "to"' }]);
      const at = now().toISOString();
      const id = await repo.transaction(() =>
        repo.insertPendingReport({
          modelId: model.id,
          versionId: version.id,
          windowKey: `range:${randomUUID()}`,
          kind: 'range',
          fromTime: from,
          toTime: to,
          status: 'pending',
          createdAt: at,
        }),
      );
      await deps.samples.enqueueReports([id!]);
      return view(model.name, version.version, (await repo.findReport(id!))!, false);
    },

    async list(name: string, query: ListReportsQuery) {
      const model = await views.requireModel(name);
      const version = query.version !== undefined ? await views.requireVersion(model, query.version) : undefined;
      const before = decodeCursor<number>(query.cursor, 'number');
      const rows = await repo.listReports({
        modelId: model.id,
        ...(version ? { versionId: version.id } : {}),
        ...(query.from ? { from: new Date(query.from).toISOString() } : {}),
        ...(query.to ? { to: new Date(query.to).toISOString() } : {}),
        ...(query.drifted !== undefined ? { drifted: query.drifted } : {}),
        limit: query.limit + 1,
        ...(before !== undefined ? { beforeId: before } : {}),
      });
      const numbers = await versionNumbers(rows);
      const page = toPage(rows, query.limit, (r) => r.id);
      return { items: page.items.map((r) => view(model.name, numbers.get(r.versionId)!, r, false)), nextCursor: page.nextCursor };
    },

    async get(id: number): Promise<DriftReportView> {
      const row = await repo.findReport(id);
      const version = row ? await registry.findVersionById(row.versionId) : undefined;
      const model = version ? await registry.findModelById(version.modelId) : undefined;
      if (!row || !version || !model) throw new AppError('DRIFT_REPORT_NOT_FOUND', `no drift report ${id}`);
      return view(model.name, version.version, row, true);
    },

    /** Per completed window, oldest first: PSI, test statistic, p-value and verdict per feature, ready to plot. */
    async timeline(name: string, query: TimelineQuery) {
      const model = await views.requireModel(name);
      const version = query.version !== undefined ? await views.requireVersion(model, query.version) : undefined;
      const rows = (await repo.listReports({ modelId: model.id, ...(version ? { versionId: version.id } : {}), limit: query.limit }))
        .filter((r) => r.status === 'done')
        .reverse();
      const numbers = await versionNumbers(rows);
      return {
        model: model.name,
        points: rows.map((r) => {
          const report = (r.result as unknown as StoredResult).report;
          return {
            reportId: r.id,
            version: numbers.get(r.versionId)!,
            referenceVersion: r.referenceVersion ?? numbers.get(r.versionId)!,
            from: r.fromTime,
            to: r.toTime,
            datasetDrift: report.datasetDrift,
            driftShare: report.driftShare,
            performance: (r.result as unknown as StoredResult).performance ?? null,
            features: report.features
              .filter((f) => query.feature === undefined || f.name === query.feature)
              .map((f) => ({
                name: f.name,
                drifted: f.drifted,
                status: f.status,
                psi: f.psi,
                statistic: f.ks?.statistic ?? f.chi2?.statistic ?? null,
                pValue: f.ks?.pValue ?? f.chi2?.pValue ?? null,
                // Which rules fired (missing, psi, test+<effect>), and the missing rates the first compares.
                reasons: f.reasons ?? [],
                missingRate: f.missing ? { reference: f.missing.referenceRate, current: f.missing.currentRate } : null,
              })),
          };
        }),
      };
    },
  };

  async function versionNumbers(rows: DriftReportRow[]): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    for (const id of new Set(rows.map((r) => r.versionId))) out.set(id, (await registry.findVersionById(id))!.version);
    return out;
  }
}
export type DriftReportsService = ReturnType<typeof createDriftReportsService>;
