import { createHash } from 'node:crypto';
import type { ArtifactStore, StoredObject } from '../artifacts/artifact-store.js';
import type { EventsService } from '../events/events.service.js';
import type { AliasesService } from '../registry/aliases.service.js';
import type { ModelRow, RegistryRepository, VersionRow } from '../registry/registry.repository.js';
import type { VersionsService } from '../registry/versions.service.js';
import type { RegistryViews } from '../registry/views.js';
import { decidePromotion } from './promotion.js';
import type { RetrainJobRow, RetrainJobsRepository } from './retrain-jobs.repository.js';
import type { PromoteConfig } from './retrain.schemas.js';

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
 * base version), lineage columns, metrics and artifact rows pointing at the already-uploaded
 * objects — so no version ever exists without its artifacts. The unique index on
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
    await events.record({
      type: 'retrain.version_registered',
      model: input.model,
      data: { job: input.jobId, version: row.version, artifacts: input.outputs.map((o) => o.path), metrics: input.metrics },
      actor: undefined,
    });
    await repo.update(input.jobId, { resultVersion: row.version });
    return row;
  });
}

/**
 * Promotion and success, in one transaction: the alias moves (or `challenger` is set) and the job
 * becomes `succeeded` together, so a crash between them cannot promote twice or leave a
 * promoted job "running". Idempotent: a job already finished is left alone.
 */
export async function promoteAndSucceed(
  deps: FinishDeps,
  input: { job: RetrainJobRow; model: ModelRow; version: VersionRow; promote: PromoteConfig | undefined; logTail: string | null },
): Promise<void> {
  const { repo, registry, aliases, events } = deps;
  await repo.transaction(async () => {
    const job = await repo.lock(input.job.id);
    // `input.job` is the run's claimed row: a run whose attempt was taken over finishes nothing.
    if (job?.status !== 'running' || job.attempts !== input.job.attempts) return;
    const promotion = input.promote ? await decide(input.promote) : undefined;
    if (promotion) {
      await aliases.set(input.model.name, promotion.alias, input.version.version, undefined);
      await events.record({
        type: 'retrain.promotion',
        model: input.model,
        data: { job: job.id, version: input.version.version, ...promotion },
        actor: undefined,
      });
    }
    await repo.update(job.id, {
      status: 'succeeded',
      activeModelId: null,
      finishedAt: deps.now().toISOString(),
      resultVersion: input.version.version,
      runner: null,
      ...(input.logTail !== null ? { logTail: input.logTail } : {}),
    });
    await events.record({
      type: 'retrain.succeeded',
      model: input.model,
      data: { job: job.id, version: input.version.version, promotedTo: promotion?.alias ?? null },
      actor: undefined,
    });
  });

  async function decide(promote: PromoteConfig) {
    const holder = await registry.findAliasTarget(input.model.id, promote.alias);
    if (holder && holder.version === input.version.version) return undefined; // promoted already by an earlier attempt
    const candidate = (await registry.versionDetails(input.version.id)).metrics[promote.metric];
    const held = holder ? (await registry.versionDetails(holder.id)).metrics[promote.metric] : undefined;
    return decidePromotion(promote, { version: input.version.version, value: candidate }, holder ? { version: holder.version, value: held } : undefined);
  }
}
