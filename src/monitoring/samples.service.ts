import { createHash, randomUUID } from 'node:crypto';
import { isUniqueViolation } from '../db/errors.js';
import { AppError } from '../http/errors.js';
import { enqueueBudget } from '../queue/bounded.js';
import type { JobQueue } from '../queue/index.js';
import type { AliasesService } from '../registry/aliases.service.js';
import type { ModelRow, RegistryRepository, VersionRow } from '../registry/registry.repository.js';
import type { RegistryViews } from '../registry/views.js';
import { encodeBatch } from './batch-codec.js';
import type { IngestedBatch } from './ingest.js';
import { reportsHoldingSamples, timeReportCutoff } from './late-data.js';
import { type MonitorSettings, monitorSettings } from './monitor-config.js';
import type { MonitoringRepository } from './monitoring.repository.js';
import type { LabelsBody } from './monitoring.schemas.js';
import { checkOutcomes, labelMismatch, labelsError } from './outcome-checks.js';
import { completedCountWindows, type Interval, timeWindowInterval, timeWindowRows } from './window.js';

/** Samples may arrive a little after their window ends (clock skew, retries) before the sweep closes it. */
export const TIME_WINDOW_GRACE_MS = 5_000;

export interface SampleTargetInput {
  version?: number;
  alias?: string;
}

export interface SamplesAccepted {
  accepted: number;
  batchId: string;
  version: number;
  windowsCompleted: number;
  /** Rows past their time window's allowed lateness whose report was final: stored, in no report. */
  late: number;
  /** Reports these rows revise (late rows within the allowed lateness). */
  reportsUpdated: number[];
}

export interface LabelsAccepted {
  accepted: number;
  matched: string[];
  unmatched: string[];
  reportsUpdated: number[];
}

/** A report's job to enqueue after commit: a new report (generation 0) or a requested revision. */
export interface ReportJob {
  reportId: number;
  generation: number;
}

/** The window key of count window k: part of the unique (model, window) constraint on reports. */
export const countWindowKey = (label: string, versionId: number, k: number) => `v${versionId}:${label}:${k}`;

export function createSamplesService(deps: {
  repo: MonitoringRepository;
  registry: RegistryRepository;
  views: RegistryViews;
  aliases: AliasesService;
  queue: JobQueue;
  log: (message: string, error?: unknown) => void;
  now?: () => Date;
  /** ENQUEUE_BUDGET_MS: a request waits at most this long, in all, for the queue after its commit. */
  enqueueBudgetMs?: number;
  /** Rows beyond allowed lateness, after commit (the late-rows counter). */
  onLateRows?: (model: string, rows: number) => void;
}) {
  const { repo, registry, views, aliases, queue } = deps;
  const now = deps.now ?? (() => new Date());

  /** `version`, else `alias`, else `production`; a 409 that says how to fix it when none resolves. */
  async function targetVersion(model: ModelRow, target: SampleTargetInput): Promise<VersionRow> {
    if (target.version !== undefined) return views.requireVersion(model, target.version);
    const alias = target.alias ?? 'production';
    try {
      const resolved = await aliases.resolve(model.name, alias);
      return views.requireVersion(model, resolved.version);
    } catch (error) {
      if (error instanceof AppError && error.code === 'ALIAS_NOT_FOUND') {
        throw new AppError(
          'NO_TARGET_VERSION',
          target.alias
            ? `model "${model.name}" has no alias "${alias}"; send "version", or set the alias with PUT /api/v1/models/${model.name}/aliases/${alias}`
            : `model "${model.name}" has no "production" alias; send "version" or "alias" with the samples, or set it with PUT /api/v1/models/${model.name}/aliases/production`,
        );
      }
      throw error;
    }
  }

  /**
   * After commit: hand new pending reports (generation 0) to the queue, waiting at most the
   * enqueue budget in all. What the queue did not take by then — Redis down or frozen — stays in
   * the outbox: the sweep enqueues it (a late enqueue that lands anyway is found there by id).
   */
  async function enqueueReports(jobs: readonly (number | ReportJob)[]): Promise<void> {
    const budgetMs = deps.enqueueBudgetMs ?? 100;
    const budget = enqueueBudget(budgetMs);
    for (const [i, job] of jobs.entries()) {
      const payload = typeof job === 'number' ? { reportId: job, generation: 0 } : job;
      const settled = await budget.run(queue.enqueue('drift.report', payload));
      if (settled.outcome === 'ok') continue;
      const left = jobs.length - i;
      deps.log(
        settled.outcome === 'timeout'
          ? `${left} drift report(s) from ${payload.reportId} on left in the outbox: the queue did not answer within ${budgetMs} ms`
          : `${left} drift report(s) from ${payload.reportId} on left in the outbox: queue unavailable`,
        settled.outcome === 'failed' ? settled.error : undefined,
      );
      return;
    }
  }

  /**
   * The rows of a batch in time windows, in the ingest transaction (after the version's counter
   * row is locked): a window whose report exists and still takes rows received now (its data
   * cutoff) gets a full revision; one whose report is final counts the rows as late; an ended
   * window the sweep has already passed without a report gets its pending report now (else it
   * would never be closed); an open window is left to the sweep.
   */
  async function placeTimeRows(
    model: ModelRow,
    version: VersionRow,
    spec: Extract<MonitorSettings['window'], { kind: 'time' }>,
    label: string,
    times: Float64Array,
    at: string,
  ): Promise<{ late: number; jobs: ReportJob[]; revised: number[]; created: number }> {
    const nowMs = Date.parse(at);
    const out = { late: 0, jobs: [] as ReportJob[], revised: [] as number[], created: 0 };
    let sweptUntil: string | undefined | null = null;
    for (const group of timeWindowRows(spec, times, nowMs)) {
      const interval = timeWindowInterval(spec, group.window);
      // Still open by this clock: the sweep closes it. (An ended one is looked up even within the
      // sweep's grace: another host's clock may have closed it already.)
      if (interval.end > nowMs) continue;
      const windowKey = timeWindowKey(label, version.id, group.window);
      const existing = await repo.findReportByWindow(model.id, windowKey);
      if (existing) {
        if (existing.status === 'failed') continue;
        const cutoff = existing.dataCutoff ?? timeReportCutoff(interval.end, spec.latenessMs, existing.createdAt);
        if (at > cutoff) {
          out.late += group.rows;
          continue;
        }
        const generation = await repo.requestRevision(existing.id, 'full', at);
        if (generation !== undefined) {
          out.jobs.push({ reportId: existing.id, generation });
          out.revised.push(existing.id);
        }
        continue;
      }
      if (sweptUntil === null) sweptUntil = await repo.lastTimeWindowEnd(model.id);
      if (sweptUntil === undefined || new Date(interval.end - 1).toISOString() > sweptUntil) continue; // the sweep gets to it
      const id = await repo.insertPendingReport(timeReportRow(model.id, version.id, windowKey, interval, spec.latenessMs, at));
      if (id !== undefined) {
        out.jobs.push({ reportId: id, generation: 0 });
        out.created += 1;
      }
    }
    return out;
  }

  async function replay(modelId: number, batchKey: string, requestHash: string): Promise<SamplesAccepted | undefined> {
    const prior = await repo.findBatchByKey(modelId, batchKey);
    if (!prior) return undefined;
    if (prior.requestHash !== requestHash) throw new AppError('BATCH_ID_REUSED', `batch "${batchKey}" was already accepted with different samples`);
    const version = await registry.findVersionById(prior.versionId);
    return { accepted: prior.rowCount, batchId: batchKey, version: version!.version, windowsCompleted: 0, late: 0, reportsUpdated: [] };
  }

  /** A label that does not fit the task of the version its sample was scored by: 400 for the whole request. */
  async function checkLabelTypes(modelId: number, body: LabelsBody): Promise<void> {
    const owners = await repo.sampleOwners(modelId, [...new Set(body.items.map((i) => i.id))]);
    const tasks = new Map<number, VersionRow['task']>();
    for (const { versionId } of owners.values()) if (!tasks.has(versionId)) tasks.set(versionId, (await registry.findVersionById(versionId))?.task ?? null);
    const errors: { path: string; message: string }[] = [];
    body.items.forEach((item, i) => {
      const owner = owners.get(item.id);
      const message = owner && labelMismatch(item.label, tasks.get(owner.versionId), owner.predictionKind);
      if (message && errors.length < 20) errors.push({ path: `items[${i}].label`, message });
    });
    if (errors.length) throw labelsError(errors);
  }

  return {
    targetVersion,

    /** The features a batch for this model is validated against (resolved before the body is read). */
    async resolveTarget(name: string, target: SampleTargetInput): Promise<{ model: ModelRow; version: VersionRow; settings: MonitorSettings }> {
      const model = await views.requireModel(name);
      return { model, version: await targetVersion(model, target), settings: await monitorSettings(repo, model.id) };
    },

    /**
     * Stores one validated batch: one row with a columnar payload, its sample numbers, the id
     * index for labels, and a pending report for every count window it completes — all in one
     * transaction, so a window is handed to the drift worker exactly when its last sample is
     * stored. A retried batch (same key, same bytes) counts once and gets the first answer.
     */
    async ingest(
      model: ModelRow,
      version: VersionRow,
      batch: IngestedBatch,
      rawBody: Buffer | string,
      idempotencyKey?: string,
      given?: MonitorSettings,
    ): Promise<SamplesAccepted> {
      checkOutcomes(batch, version.task);
      const clientKey = idempotencyKey ?? batch.batchId;
      const batchKey = clientKey ?? randomUUID();
      // Only a key the client chose can come back in a retry: hash the bytes only then (~1 ms per MB).
      const requestHash = clientKey === undefined ? 'unkeyed' : createHash('sha256').update(rawBody).digest('hex');
      const firstPrediction = (batch.predictions as (number | string | null)[] | undefined)?.find((v) => v !== null);
      const predictionKind = firstPrediction === undefined ? null : typeof firstPrediction;
      const settings = given ?? (await monitorSettings(repo, model.id));
      // Encoded before the transaction (outside the counter's lock) unless row times fall back to the receive time.
      const encoded = batch.timestamps ? undefined : encodeBatch(batch);
      let result: { answer: SamplesAccepted; jobs: ReportJob[] } | undefined;
      try {
        result = await repo.transaction(async () => {
          // A key the service made up (a fresh UUID) has no earlier batch: no lookup for it.
          const prior = clientKey === undefined ? undefined : await replay(model.id, batchKey, requestHash);
          if (prior) return { answer: prior, jobs: [] };
          const countWindows = settings.window.kind === 'count';
          // Time windows: the receive time is taken under the counter's lock, so a time window's report
          // written after this commit has a later creation time. Count windows do not order by it: the
          // counter is claimed in the statement that stores the batch (one round trip under the lock on PostgreSQL).
          const seqClaimed = countWindows ? undefined : await repo.claimSequence(version.id, batch.rowCount);
          const at = now().toISOString();
          const fallback = batch.timestamp ?? Date.parse(at);
          const times = batch.timestamps ? batch.timestamps.map((t) => (Number.isNaN(t) ? fallback : t)) : undefined;
          const span = times ? times.reduce((a, t) => ({ min: Math.min(a.min, t), max: Math.max(a.max, t) }), { min: Infinity, max: -Infinity }) : undefined;
          const row = {
            modelId: model.id,
            versionId: version.id,
            batchKey,
            requestHash,
            rowCount: batch.rowCount,
            observedAt: new Date(span ? span.min : fallback).toISOString(),
            observedUntil: span ? new Date(span.max).toISOString() : null,
            receivedAt: at,
            payload: encoded ?? encodeBatch(times ? { ...batch, timestamps: times } : batch),
            predictionKind,
          };
          const seqStart =
            seqClaimed === undefined
              ? await repo.claimAndStoreBatch(row, batch.ids)
              : (await repo.storeBatch({ ...row, seqStart: seqClaimed }, batch.ids), seqClaimed);
          const jobs: ReportJob[] = [];
          let windowsCompleted = 0;
          let late = 0;
          let reportsUpdated: number[] = [];
          if (settings.window.kind === 'count') {
            const size = settings.window.size;
            for (const k of completedCountWindows(size, seqStart, batch.rowCount)) {
              const id = await repo.insertPendingReport({
                modelId: model.id,
                versionId: version.id,
                windowKey: countWindowKey(settings.windowLabel, version.id, k),
                kind: 'count',
                seqFrom: k * size,
                seqTo: (k + 1) * size,
                toTime: new Date(span ? span.max : fallback).toISOString(),
                status: 'pending',
                createdAt: at,
              });
              if (id !== undefined) jobs.push({ reportId: id, generation: 0 });
            }
            windowsCompleted = jobs.length;
          } else {
            const placed = await placeTimeRows(
              model,
              version,
              settings.window,
              settings.windowLabel,
              times ?? new Float64Array(batch.rowCount).fill(fallback),
              at,
            );
            jobs.push(...placed.jobs);
            windowsCompleted = placed.created;
            late = placed.late;
            reportsUpdated = placed.revised;
          }
          return { answer: { accepted: batch.rowCount, batchId: batchKey, version: version.version, windowsCompleted, late, reportsUpdated }, jobs };
        });
      } catch (error) {
        // Two retries of one batch racing: the unique (model, batch key) index let one in.
        if (!isUniqueViolation(error)) throw error;
        const prior = await replay(model.id, batchKey, requestHash);
        if (!prior) throw error;
        return prior;
      }
      if (result.answer.late > 0) deps.onLateRows?.(model.name, result.answer.late);
      await enqueueReports(result.jobs);
      return result.answer;
    },

    /**
     * Delayed ground truth by sample id. Every label is kept; ids no stored sample has (yet) are
     * listed. In the same transaction, every report (pending or done) holding a sample whose label
     * is new or changed gets a labels revision requested (performance recomputed, drift kept);
     * the same labels posted again change nothing and ask for nothing.
     */
    async postLabels(name: string, body: LabelsBody): Promise<LabelsAccepted> {
      const model = await views.requireModel(name);
      // A repeated id in one request: the last label wins (one upsert may touch a row only once).
      const latest = new Map(body.items.map((i) => [i.id, i]));
      const ids = body.items.map((i) => i.id);
      await checkLabelTypes(model.id, body);
      const { known, jobs } = await repo.transaction(async () => {
        const at = now().toISOString();
        const locations = await repo.sampleLocations(model.id, [...latest.keys()]);
        const known = new Set(locations.map((l) => l.sampleId));
        const before = await repo.labelsFor(model.id, [...known]);
        await repo.upsertLabels(model.id, [...latest.values()], at);
        const changed = locations.filter((l) => before.get(l.sampleId) !== latest.get(l.sampleId)!.label);
        const jobs: ReportJob[] = [];
        for (const reportId of changed.length ? await reportsHoldingSamples(repo, changed) : []) {
          const generation = await repo.requestRevision(reportId, 'labels', at);
          if (generation !== undefined) jobs.push({ reportId, generation });
        }
        return { known, jobs };
      });
      await enqueueReports(jobs);
      return {
        accepted: body.items.length,
        matched: ids.filter((id) => known.has(id)),
        unmatched: ids.filter((id) => !known.has(id)),
        reportsUpdated: jobs.map((j) => j.reportId),
      };
    },

    enqueueReports,
  };
}
export type SamplesService = ReturnType<typeof createSamplesService>;

/** The window key of time window k: part of the unique (model, window) constraint on reports. */
export const timeWindowKey = (label: string, versionId: number, k: number) => `v${versionId}:${label}:${k}`;

/** The pending report row of a time window, with its data cutoff (see timeReportCutoff). */
export function timeReportRow(modelId: number, versionId: number, windowKey: string, interval: Interval, latenessMs: number, at: string) {
  return {
    modelId,
    versionId,
    windowKey,
    kind: 'time',
    fromTime: new Date(interval.start).toISOString(),
    toTime: new Date(interval.end - 1).toISOString(),
    dataCutoff: timeReportCutoff(interval.end, latenessMs, at),
    status: 'pending',
    createdAt: at,
  };
}
