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
import { monitorSettings } from './monitor-config.js';
import type { MonitoringRepository } from './monitoring.repository.js';
import type { LabelsBody } from './monitoring.schemas.js';
import { checkOutcomes, labelMismatch, labelsError } from './outcome-checks.js';
import { completedCountWindows } from './window.js';

export interface SampleTargetInput {
  version?: number;
  alias?: string;
}

export interface SamplesAccepted {
  accepted: number;
  batchId: string;
  version: number;
  windowsCompleted: number;
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
  async function enqueueReports(ids: number[]): Promise<void> {
    const budgetMs = deps.enqueueBudgetMs ?? 100;
    const budget = enqueueBudget(budgetMs);
    for (const [i, reportId] of ids.entries()) {
      const settled = await budget.run(queue.enqueue('drift.report', { reportId, generation: 0 }));
      if (settled.outcome === 'ok') continue;
      const left = ids.length - i;
      deps.log(
        settled.outcome === 'timeout'
          ? `${left} drift report(s) from ${reportId} on left in the outbox: the queue did not answer within ${budgetMs} ms`
          : `${left} drift report(s) from ${reportId} on left in the outbox: queue unavailable`,
        settled.outcome === 'failed' ? settled.error : undefined,
      );
      return;
    }
  }

  async function replay(modelId: number, batchKey: string, requestHash: string): Promise<SamplesAccepted | undefined> {
    const prior = await repo.findBatchByKey(modelId, batchKey);
    if (!prior) return undefined;
    if (prior.requestHash !== requestHash) throw new AppError('BATCH_ID_REUSED', `batch "${batchKey}" was already accepted with different samples`);
    const version = await registry.findVersionById(prior.versionId);
    return { accepted: prior.rowCount, batchId: batchKey, version: version!.version, windowsCompleted: 0 };
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
    async resolveTarget(name: string, target: SampleTargetInput): Promise<{ model: ModelRow; version: VersionRow }> {
      const model = await views.requireModel(name);
      return { model, version: await targetVersion(model, target) };
    },

    /**
     * Stores one validated batch: one row with a columnar payload, its sample numbers, the id
     * index for labels, and a pending report for every count window it completes — all in one
     * transaction, so a window is handed to the drift worker exactly when its last sample is
     * stored. A retried batch (same key, same bytes) counts once and gets the first answer.
     */
    async ingest(model: ModelRow, version: VersionRow, batch: IngestedBatch, rawBody: Buffer | string, idempotencyKey?: string): Promise<SamplesAccepted> {
      checkOutcomes(batch, version.task);
      const clientKey = idempotencyKey ?? batch.batchId;
      const batchKey = clientKey ?? randomUUID();
      // Only a key the client chose can come back in a retry: hash the bytes only then (~1 ms per MB).
      const requestHash = clientKey === undefined ? 'unkeyed' : createHash('sha256').update(rawBody).digest('hex');
      const at = now().toISOString();
      const observedAt = batch.timestamp !== undefined ? new Date(batch.timestamp).toISOString() : at;
      const payload = encodeBatch(batch);
      const firstPrediction = (batch.predictions as (number | string | null)[] | undefined)?.find((v) => v !== null);
      const predictionKind = firstPrediction === undefined ? null : typeof firstPrediction;
      const settings = await monitorSettings(repo, model.id);
      let result: { answer: SamplesAccepted; reportIds: number[] } | undefined;
      try {
        result = await repo.transaction(async () => {
          const prior = await replay(model.id, batchKey, requestHash);
          if (prior) return { answer: prior, reportIds: [] };
          const seqStart = await repo.claimSequence(version.id, batch.rowCount);
          const batchId = await repo.insertBatch({
            modelId: model.id,
            versionId: version.id,
            batchKey,
            requestHash,
            seqStart,
            rowCount: batch.rowCount,
            observedAt,
            receivedAt: at,
            payload,
            predictionKind,
          });
          const ids = batch.ids?.filter((id): id is string => id !== null) ?? [];
          if (ids.length) await repo.insertSampleIds(model.id, batchId, ids);
          const reportIds: number[] = [];
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
                toTime: observedAt,
                status: 'pending',
                createdAt: at,
              });
              if (id !== undefined) reportIds.push(id);
            }
          }
          return { answer: { accepted: batch.rowCount, batchId: batchKey, version: version.version, windowsCompleted: reportIds.length }, reportIds };
        });
      } catch (error) {
        // Two retries of one batch racing: the unique (model, batch key) index let one in.
        if (!isUniqueViolation(error)) throw error;
        const prior = await replay(model.id, batchKey, requestHash);
        if (!prior) throw error;
        return prior;
      }
      await enqueueReports(result.reportIds);
      return result.answer;
    },

    /** Delayed ground truth by sample id. Every label is kept; ids no stored sample has (yet) are listed. */
    async postLabels(name: string, body: LabelsBody): Promise<{ accepted: number; unmatched: string[] }> {
      const model = await views.requireModel(name);
      // A repeated id in one request: the last label wins (one upsert may touch a row only once).
      const latest = [...new Map(body.items.map((i) => [i.id, i])).values()];
      const ids = body.items.map((i) => i.id);
      const known = await repo.knownSampleIds(model.id, [...new Set(ids)]);
      await checkLabelTypes(model.id, body);
      await repo.transaction(() => repo.upsertLabels(model.id, latest, now().toISOString()));
      return { accepted: body.items.length, unmatched: ids.filter((id) => !known.has(id)) };
    },

    enqueueReports,
  };
}
export type SamplesService = ReturnType<typeof createSamplesService>;
