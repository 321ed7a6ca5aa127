import { createHash } from 'node:crypto';
import type { ArtifactStore, StoredObject } from '../artifacts/artifact-store.js';
import type { EventsService } from '../events/events.service.js';
import type { AliasesService } from '../registry/aliases.service.js';
import type { ModelRow, RegistryRepository, VersionRow } from '../registry/registry.repository.js';
import type { VersionsService } from '../registry/versions.service.js';
import type { RegistryViews } from '../registry/views.js';
import type { MonitoringRepository } from '../monitoring/monitoring.repository.js';
import type { StagedReference } from '../monitoring/reference.service.js';
import type { RetrainJobRow, RetrainJobsRepository } from './retrain-jobs.repository.js';
import type { Evaluation } from './retrain.schemas.js';
import type { Task } from '../monitoring/performance.js';

export interface StagedOutput extends StoredObject {
  path: string;
  storageKey: string;
  contentType: string;
}

export interface FinishDeps {
  repo: RetrainJobsRepository;
  registry: RegistryRepository;
  views: RegistryViews;
  versions: VersionsService;
  aliases: AliasesService;
  events: EventsService;
  monitoring: MonitoringRepository;
  now: () => Date;
}

/** size and sha256 of an object already in the store (outputs an external pipeline uploaded). */
export async function describeObject(store: ArtifactStore, key: string): Promise<StoredObject> {
  const { body } = await store.get(key);
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of body) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest('hex') };
}

/**
 * Registers the job's version in ONE transaction: version (numbered by versions.create, parent =
 * base version), lineage columns, metrics, artifact rows pointing at the already-uploaded
 * objects and the reference profile staged before (stageReferenceProfile) — so no version ever
 * exists without its artifacts or, when it can be monitored, without its reference. The unique index on
 * versions.retrain_job_id means a rerun finds the version instead of adding a second one.
 * Returns undefined when the job is no longer running (cancelled meanwhile) or no longer runs under
 * `attempt` (taken over after its lease expired).
 */
export async function registerVersion(
  deps: FinishDeps,
  input: {
    jobId: number;
    /** The run's attempt (lease fencing token): a stale attempt's outputs are refused. */
    attempt?: number;
    model: ModelRow;
    base: VersionRow | undefined;
    outputs: StagedOutput[];
    metrics: Record<string, number>;
    /** The trainer's declared task; undefined: the base version's. */
    task?: Task | undefined;
    reference: StagedReference | undefined;
  },
): Promise<VersionRow | undefined> {
  const { repo, registry, versions, views, events } = deps;
  return repo.transaction(async () => {
    await views.lockModel(input.model.name);
    const job = await repo.lock(input.jobId);
    if (job?.status !== 'running' || (input.attempt !== undefined && job.attempts !== input.attempt)) return undefined;
    const existing = await repo.versionOfJob(input.jobId);
    if (existing) return existing;
    const created = await versions.create(
      input.model.name,
      {
        features: input.base?.features ?? [],
        ...(input.base ? { parentVersion: input.base.version } : {}),
        metrics: input.metrics,
        ...((input.task ?? input.base?.task) ? { task: (input.task ?? input.base?.task)! } : {}),
        description: `retrained by job ${input.jobId}${job.triggerReportId ? ` after drift report ${job.triggerReportId}` : ''}`,
        tags: { 'mlcycle.retrain-job': String(input.jobId) },
      },
      undefined,
    );
    const row = (await registry.findVersion(input.model.id, created.version.version))!;
    await repo.setLineage(row.id, input.jobId, job.triggerReportId);
    const at = deps.now().toISOString();
    for (const o of input.outputs) {
      await registry.upsertArtifact({
        versionId: row.id,
        path: o.path,
        storageKey: o.storageKey,
        size: o.size,
        sha256: o.sha256,
        contentType: o.contentType,
        createdAt: at,
      });
    }
    if (input.reference) await deps.monitoring.replaceReferenceProfile({ ...input.reference, versionId: row.id }, 0);
    await events.record({
      type: 'retrain.version_registered',
      model: input.model,
      data: {
        job: input.jobId,
        version: row.version,
        artifacts: input.outputs.map((o) => o.path),
        metrics: input.metrics,
        reference: input.reference ? { rows: Number(input.reference.rowCount), source: input.reference.source } : null,
      },
      actor: undefined,
    });
    await repo.update(input.jobId, { resultVersion: row.version });
    return row;
  });
}

/**
 * Promotion and success, in one transaction: the alias moves (or `challenger` is set), the
 * evaluation is recorded and the job becomes `succeeded` together, so a crash between them
 * cannot promote twice or leave a promoted job "running". Idempotent: a job already finished is
 * left alone. The decision itself was made before (evaluate-job.ts), from the store alone.
 */
export async function promoteAndSucceed(
  deps: FinishDeps,
  input: { job: RetrainJobRow; model: ModelRow; version: VersionRow; evaluation: Evaluation | undefined; logTail: string | null },
): Promise<void> {
  const { repo, registry, aliases, events } = deps;
  await repo.transaction(async () => {
    const job = await repo.lock(input.job.id);
    // `input.job` is the run's claimed row: a run whose attempt was taken over finishes nothing.
    if (job?.status !== 'running' || job.attempts !== input.job.attempts) return;
    const evaluation = input.evaluation;
    // An earlier attempt moved the alias already: do not record a second move.
    const holder = evaluation ? await registry.findAliasTarget(input.model.id, evaluation.alias) : undefined;
    if (evaluation && holder?.version !== input.version.version) {
      await aliases.set(input.model.name, evaluation.alias, input.version.version, undefined);
      await events.record({
        type: 'retrain.promotion',
        model: input.model,
        data: {
          job: job.id,
          version: input.version.version,
          alias: evaluation.alias,
          promoted: evaluation.decision === 'promoted',
          reason: evaluation.reason,
          evaluation,
        },
        actor: undefined,
      });
    }
    await repo.update(job.id, {
      status: 'succeeded',
      activeModelId: null,
      finishedAt: deps.now().toISOString(),
      resultVersion: input.version.version,
      runner: null,
      ...(evaluation ? { evaluation: evaluation as unknown as Record<string, unknown> } : {}),
      ...(input.logTail !== null ? { logTail: input.logTail } : {}),
    });
    await events.record({
      type: 'retrain.succeeded',
      model: input.model,
      data: { job: job.id, version: input.version.version, promotedTo: evaluation?.alias ?? null },
      actor: undefined,
    });
  });
}
