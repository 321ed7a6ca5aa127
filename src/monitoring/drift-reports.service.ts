import { randomUUID } from 'node:crypto';
import { computeDrift, type DriftReport } from '../drift/index.js';
import type { EventsService } from '../events/events.service.js';
import { AppError } from '../http/errors.js';
import { decodeCursor, toPage } from '../http/pagination.js';
import type { ModelRow, RegistryRepository, VersionRow } from '../registry/registry.repository.js';
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
import { loadReportWindow, type WindowData } from './window-data.js';

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
      revision: row.revision,
      revisionPending: row.status === 'done' && row.requests > row.requestsSeen,
      labelsUpdatedAt: row.labelsUpdatedAt,
      createdAt: row.createdAt,
      completedAt: row.completedAt,
    };
  }

  /**
   * Stores an outcome computed from the data as it was at `seen` revision requests, under the
   * write lock: the first computation of a pending report, or a revision newer than the stored
   * one. A rerun (stalled job, sweeper) or an older job that finishes after a newer one writes
   * nothing, so two runs over the same data leave one revision. A request that arrived meanwhile
   * stays due (its own job is queued already). `onDone` gets the row as it was before.
   */
  async function finish(
    row: DriftReportRow,
    seen: number,
    patch: Parameters<MonitoringRepository['updateReport']>[1],
    onDone?: (before: DriftReportRow) => Promise<void>,
  ): Promise<boolean> {
    return repo.transaction(async () => {
      const current = await repo.findReport(row.id);
      if (!current) return false;
      const first = current.status === 'pending';
      if (!first && !(current.status === 'done' && seen > current.requestsSeen)) return false;
      if (patch.status === 'failed' && !first) return false; // a done report keeps its last revision
      const due = current.requests > seen;
      await repo.updateReport(row.id, {
        ...patch,
        attempts: current.attempts + 1,
        completedAt: now().toISOString(),
        requestsSeen: seen,
        ...(patch.status !== 'failed' ? { revision: current.revision + 1 } : {}),
        ...(due ? {} : { recompute: null, requestedAt: null }),
      });
      await onDone?.(current);
      return true;
    });
  }

  /** Performance from the window's predictions and labels (given with the batch, else delayed by id): the one call of computePerformance. */
  async function performanceOf(modelId: number, version: VersionRow, data: WindowData, tolerance: number): Promise<PerformanceResult> {
    const labels = data.labels.slice();
    const missing = data.ids.filter((id, i): id is string => id !== null && (labels[i] === null || labels[i] === undefined));
    if (missing.length) {
      const delayed = await repo.labelsFor(modelId, missing);
      data.ids.forEach((id, i) => {
        if (id !== null && (labels[i] === null || labels[i] === undefined) && delayed.has(id)) labels[i] = delayed.get(id)!;
      });
    }
    const registered = (await registry.versionDetails(version.id)).metrics;
    return computePerformance({ task: version.task, predictions: data.predictions, labels, scores: data.scores, classes: data.classes }, registered, tolerance);
  }

  /**
   * A report that cannot be computed ends failed, loudly: a `drift.report_failed` event in the
   * same transaction (webhooks subscribe to it), then the failed-reports counter. A monitor
   * whose windows all fail has stopped: someone must hear of it without reading the report list.
   */
  async function fail(row: DriftReportRow, reason: FailureReason, message: string): Promise<boolean> {
    const version = await registry.findVersionById(row.versionId);
    const model = version ? await registry.findModelById(version.modelId) : undefined;
    const stored = await finish(row, row.requests, { status: 'failed', failureReason: reason, error: message }, async () => {
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

  /**
   * `drift.detected` for the newest revision, in its transaction: on the first computation when
   * the window drifted or performance degraded; on a revision only when it newly does (late labels
   * that reveal a degradation fire it; a revision that changes nothing does not fire it again).
   */
  async function detected(
    model: ModelRow,
    version: number,
    reportId: number,
    before: DriftReportRow,
    report: DriftReport,
    performance: PerformanceResult | null,
    referenceVersion: number,
  ): Promise<void> {
    const prior = before.status === 'done' ? (before.result as unknown as StoredResult | null) : null;
    const drifted = report.datasetDrift && !(prior?.report.datasetDrift ?? false);
    const degraded = (performance?.degraded ?? false) && !(prior?.performance?.degraded ?? false);
    if (!drifted && !degraded) return;
    await events.record({
      type: 'drift.detected',
      model,
      data: {
        reportId,
        revision: before.status === 'done' ? before.revision + 1 : 1,
        version,
        referenceVersion,
        driftShare: report.driftShare,
        features: report.features.filter((f) => f.drifted).map((f) => f.name),
        datasetDrift: report.datasetDrift,
        performanceDegraded: performance?.degraded ?? false,
      },
      actor: undefined,
    });
  }

  return {
    /**
     * The drift job: computes one pending report and stores it. Idempotent — a report that is not
     * pending any more is left alone — so a job rerun after a worker died half-way yields one report.
     */
    async process(reportId: number): Promise<ReportOutcome> {
      const row = await repo.findReport(reportId);
      if (!row) return 'skipped';
      const revising = row.status === 'done' && row.requests > row.requestsSeen;
      if (row.status !== 'pending' && !revising) {
        // A rerun after a crash between storing the report and the policy's turn: give it its
        // turn (the policy is idempotent: one active retrain per model, decided under a lock).
        if (row.status === 'done') await deps.onReportDone?.(row.modelId);
        return 'skipped';
      }
      // The late data this computation sees: everything stored before the requests it counts.
      const seen = row.requests;
      const version = await registry.findVersionById(row.versionId);
      const model = version ? await registry.findModelById(version.modelId) : undefined;
      if (!version || !model) return 'skipped'; // deleted meanwhile: the cascade removed the report too
      const settings = await monitorSettings(repo, row.modelId);
      const previous = row.result as unknown as StoredResult | null;
      const reference = revising && row.recompute !== 'full' ? undefined : await nearestReference({ registry, references }, version);
      // Late labels change only the performance section: the drift part stays as computed. (So
      // does a revision whose reference went away: a done report never turns failed.)
      if (revising && previous?.report && !reference) {
        const data = await loadReportWindow(repo, row, []);
        const performance = await performanceOf(row.modelId, version, data, settings.performance.tolerance);
        const stored = await finish(
          row,
          seen,
          { result: { report: previous.report, performance } as unknown as Record<string, unknown>, error: null },
          (before) => detected(model, version.version, row.id, before, previous.report, performance, row.referenceVersion ?? version.version),
        );
        await deps.onReportDone?.(row.modelId);
        return stored ? 'ok' : 'skipped';
      }
      if (!reference) {
        const message =
          `version ${version.version} has no reference data${version.parentVersion === null ? '' : ', nor has any ancestor'}: ` +
          `POST it to /api/v1/models/${model.name}/versions/${version.version}/reference`;
        return (await fail(row, 'no_reference', message)) ? 'failed' : 'skipped';
      }
      const data = await loadReportWindow(repo, row, version.features);
      const report = computeDrift(reference.profile, data.columns, driftOptionsFor(settings, version.features));
      const performance = await performanceOf(row.modelId, version, data, settings.performance.tolerance);
      const stored = await finish(
        row,
        seen,
        {
          status: 'done',
          sampleCount: data.rows,
          drifted: report.datasetDrift,
          driftShare: report.driftShare,
          fromTime: row.kind === 'count' ? data.firstObservedAt : row.fromTime,
          toTime: row.kind === 'count' ? (data.lastObservedAt ?? row.toTime) : row.toTime,
          result: { report, performance } as unknown as Record<string, unknown>,
          referenceVersion: reference.version,
          error: null,
        },
        (before) => detected(model, version.version, row.id, before, report, performance, reference.version),
      );
      await deps.onReportDone?.(row.modelId);
      return stored ? 'ok' : 'skipped';
    },

    /** A job that gave up: the report says why instead of staying pending forever, and says it loudly. */
    async markFailed(reportId: number, message: string): Promise<void> {
      const row = await repo.findReport(reportId);
      if (!row) return;
      if (row.status !== 'done') {
        await fail(row, 'job_failed', message);
        return;
      }
      // A revision's job gave up: the report keeps its last revision and says why no newer one
      // came; the sweep does not retry it forever (new late data asks again).
      await repo.transaction(async () => {
        const current = await repo.findReport(reportId);
        if (current?.status !== 'done' || current.requests <= current.requestsSeen) return;
        await repo.updateReport(reportId, {
          requestsSeen: current.requests,
          recompute: null,
          requestedAt: null,
          error: `revision ${current.revision + 1} failed: ${message}`,
        });
      });
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
          // Only what was stored when it was asked for: a revision recomputes the same rows.
          dataCutoff: at,
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
            revision: r.revision,
            performanceDegraded: (r.result as unknown as StoredResult).performance?.degraded ?? null,
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
