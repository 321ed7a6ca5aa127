import type { Readable } from 'node:stream';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { Actor } from '../actor.js';
import { isUniqueViolation } from '../db/errors.js';
import type { EventsService } from '../events/events.service.js';
import { AppError } from '../http/errors.js';
import { decodeCursor, toPage } from '../http/pagination.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { ModelRow, RegistryRepository } from '../registry/registry.repository.js';
import { validateArtifactPath } from '../registry/artifact-path.js';
import type { RegistryViews } from '../registry/views.js';
import { killRunner } from './executors/process-group.js';
import { decideRetrain, type PolicyDecision, type ReportVerdict } from './policy.js';
import { retrainConfigOf } from './retrain-config.js';
import { verdictOf } from './verdicts.js';
import type { RetrainJobRow, RetrainJobsRepository } from './retrain-jobs.repository.js';
import type { CompleteBody, ExecutorConfig, Lineage, ListRetrainJobsQuery, ManualRetrainBody, RetrainJobView, RetrainStatus } from './retrain.schemas.js';

/** Where an external pipeline's outputs are staged before the version is registered (inside the sweeper's prefix). */
export const outputKey = (jobId: number, path: string) => `artifacts/retrain-${jobId}/${path}`;

export interface RetrainJobsDeps {
  repo: RetrainJobsRepository;
  registry: RegistryRepository;
  views: RegistryViews;
  events: EventsService;
  store: ArtifactStore;
  queue: Pick<JobQueue, 'enqueue'>;
  /** The model's stored monitor configuration (its `retrain` field holds the policy). */
  monitorConfig: (modelId: number) => Promise<Record<string, unknown> | undefined>;
  /** The outbound URL policy: a manual retrain's webhook executor must not target a private address. */
  checkUrl?: (url: string, field: string) => Promise<void>;
  now?: () => Date;
  log?: (message: string, error?: unknown) => void;
}

/** Secrets never leave the server in a job view: the webhook secret and the command's env values are masked. */
export function publicExecutor(executor: Record<string, unknown>): { type: string } & Record<string, unknown> {
  const { secret: _secret, env, ...rest } = executor;
  return {
    ...(rest as { type: string }),
    ...('secret' in executor ? { secret: '***' } : {}),
    ...(env && typeof env === 'object' ? { env: Object.fromEntries(Object.keys(env).map((k) => [k, '***'])) } : {}),
  };
}

export function createRetrainJobsService(deps: RetrainJobsDeps) {
  const { repo, registry, views, events, store } = deps;
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? (() => undefined);

  async function view(job: RetrainJobRow, modelName?: string): Promise<RetrainJobView> {
    const name = modelName ?? (await repo.modelName(job.modelId)) ?? '';
    const base = job.baseVersionId === null ? null : ((await repo.versionNumbers([job.baseVersionId])).get(job.baseVersionId) ?? null);
    return {
      id: job.id,
      model: name,
      baseVersion: base,
      trigger: job.trigger as 'drift' | 'manual',
      triggerReportId: job.triggerReportId,
      requestedBy: job.requestedBy,
      status: job.status as RetrainJobView['status'],
      attempts: job.attempts,
      executor: publicExecutor(job.executor),
      datasetUri: job.datasetUri,
      resultVersion: job.resultVersion,
      logTail: job.logTail,
      error: job.error,
      createdAt: job.createdAt,
      startedAt: job.startedAt,
      finishedAt: job.finishedAt,
    };
  }

  /** After commit: a failed enqueue leaves the job `queued`, and `enqueueQueued` (the outbox sweep) picks it up. */
  async function enqueue(jobId: number): Promise<void> {
    await deps.queue.enqueue('retrain.run', { retrainJobId: jobId }).catch((e: unknown) => log(`retrain job ${jobId}: enqueue failed, left for the sweep`, e));
  }

  async function insertJob(
    model: ModelRow,
    row: { trigger: 'drift' | 'manual'; triggerReportId: number | null; requestedBy: string | null; baseVersionId: number | null; executor: ExecutorConfig },
    actor: Actor | undefined,
  ): Promise<RetrainJobRow> {
    try {
      const job = await repo.insert({
        modelId: model.id,
        activeModelId: model.id,
        status: 'queued',
        attempts: 0,
        createdAt: now().toISOString(),
        ...row,
        executor: row.executor as Record<string, unknown>,
      });
      await events.record({ type: 'retrain.queued', model, data: { job: job.id, trigger: row.trigger, reportId: row.triggerReportId }, actor });
      return job;
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('RETRAIN_ACTIVE', `model "${model.name}" already has a queued or running retrain job`);
      throw error;
    }
  }

  async function requireJob(id: number): Promise<RetrainJobRow> {
    const job = await repo.find(id);
    if (!job) throw new AppError('RETRAIN_JOB_NOT_FOUND', `retrain job ${id} does not exist`);
    return job;
  }

  return {
    view,
    /** POST /models/{name}/retrain. The cooldown does not apply (a person asked); one active job per model still does. */
    async requestManual(name: string, body: ManualRetrainBody, actor: Actor | undefined): Promise<RetrainJobView> {
      if (body.executor?.type === 'webhook') await deps.checkUrl?.(body.executor.url, 'executor.url');
      const job = await repo.transaction(async () => {
        const model = await views.lockModel(name);
        const executor = body.executor ?? retrainConfigOf(await deps.monitorConfig(model.id))?.executor;
        if (!executor)
          throw new AppError('RETRAIN_NOT_CONFIGURED', `set retrain.executor in the monitor of "${name}" (PUT /models/${name}/monitor) or send one`);
        const base = body.baseVersion !== undefined ? await views.requireVersion(model, body.baseVersion) : await registry.latestVersion(model.id);
        return insertJob(
          model,
          { trigger: 'manual', triggerReportId: null, requestedBy: actor?.name ?? actor?.keyId ?? null, baseVersionId: base?.id ?? null, executor },
          actor,
        );
      });
      await enqueue(job.id);
      return view(job, name);
    },

    /**
     * Called when a model's drift report is done (after its transaction commits). The verdicts
     * (NEWEST FIRST) are read from the model's latest `done` reports unless given.
     * Applies the policy under the model lock, so concurrent reports queue and at most one job
     * results (the active-job unique index backs it); every decision goes to the audit log.
     */
    async onReportCompleted(modelId: number, given?: readonly ReportVerdict[]): Promise<PolicyDecision & { jobId?: number }> {
      // Every stored report comes here. Most models have no retrain policy: answer them with one
      // read, without taking the model's write lock (the check is repeated under the lock).
      if (!retrainConfigOf(await deps.monitorConfig(modelId))) return { action: 'skip', reason: 'no retrain policy' };
      const result = await repo.transaction(async () => {
        const name = await repo.modelName(modelId);
        const model = name === undefined ? undefined : await views.lockModel(name);
        if (!model) return { action: 'skip' as const, reason: 'model deleted' };
        const config = retrainConfigOf(await deps.monitorConfig(model.id));
        if (!config) return { action: 'skip' as const, reason: 'no retrain policy' };
        const verdicts = given ?? (await repo.latestDoneReports(model.id, config.consecutiveWindows)).map(verdictOf);
        const last = await repo.latestForModel(model.id);
        const decision = decideRetrain({
          config,
          verdicts,
          lastJob: last && { id: last.id, status: last.status as RetrainStatus, createdAt: last.createdAt },
          now: now(),
        });
        if (decision.action === 'skip') {
          await events.record({ type: 'retrain.skipped', model, data: { reason: decision.reason, reportId: verdicts[0]?.reportId ?? null }, actor: undefined });
          return decision;
        }
        const base = await registry.latestVersion(model.id);
        const job = await insertJob(
          model,
          { trigger: 'drift', triggerReportId: decision.triggerReportId, requestedBy: null, baseVersionId: base?.id ?? null, executor: config.executor },
          undefined,
        );
        return { ...decision, jobId: job.id };
      });
      if (result.action === 'retrain' && 'jobId' in result && result.jobId) await enqueue(result.jobId);
      return result;
    },

    async get(id: number): Promise<RetrainJobView> {
      return view(await requireJob(id));
    },

    async list(query: ListRetrainJobsQuery) {
      const model = query.model === undefined ? undefined : await views.requireModel(query.model);
      const before = decodeCursor<number>(query.cursor, 'number');
      const rows = await repo.list({
        ...(model ? { modelId: model.id } : {}),
        ...(query.status ? { status: query.status } : {}),
        ...(before !== undefined ? { beforeId: before } : {}),
        limit: query.limit + 1,
      });
      const page = toPage(rows, query.limit, (r) => r.job.id);
      return { items: await Promise.all(page.items.map((r) => view(r.job, r.model))), nextCursor: page.nextCursor };
    },

    /** queued → cancelled at once; running → a cancel request the runner acts on (and, on this host, the trainer's group is killed now). */
    async cancel(id: number, actor: Actor | undefined): Promise<RetrainJobView> {
      const job = await repo.transaction(async () => {
        const job = await repo.lock(id);
        if (!job) throw new AppError('RETRAIN_JOB_NOT_FOUND', `retrain job ${id} does not exist`);
        const at = now().toISOString();
        const model = { id: job.modelId, name: (await repo.modelName(job.modelId)) ?? '' };
        if (job.status === 'queued') {
          await repo.update(id, { status: 'cancelled', activeModelId: null, finishedAt: at, error: 'cancelled before it started' });
          await events.record({ type: 'retrain.cancelled', model, data: { job: id, while: 'queued' }, actor });
        } else if (job.status === 'running') {
          if (!job.cancelRequestedAt) await repo.update(id, { cancelRequestedAt: at });
          await events.record({ type: 'retrain.cancel_requested', model, data: { job: id }, actor });
        } else throw new AppError('RETRAIN_JOB_FINISHED', `retrain job ${id} is ${job.status}`);
        return (await repo.find(id))!;
      });
      if (job.status === 'running') killRunner(job.runner);
      return view(job);
    },

    /** An external pipeline's outputs, staged until the version is registered from them. */
    async uploadOutput(id: number, rawPath: string, body: Readable, contentType: string) {
      const path = validateArtifactPath(rawPath);
      const job = await requireJob(id);
      if (job.status !== 'running' || job.executor.type !== 'webhook')
        throw new AppError('RETRAIN_JOB_NOT_EXTERNAL', `retrain job ${id} is ${job.status} and not waiting for a pipeline`);
      const stored = await store.put(outputKey(id, path), body, { contentType });
      return { path, ...stored };
    },

    /** POST /retrain-jobs/{id}/complete: stored on the job; the waiting runner registers the version. */
    async complete(id: number, body: CompleteBody, actor: Actor | undefined): Promise<RetrainJobView> {
      const job = await repo.transaction(async () => {
        const job = await repo.lock(id);
        if (!job) throw new AppError('RETRAIN_JOB_NOT_FOUND', `retrain job ${id} does not exist`);
        if (job.status !== 'running' || job.executor.type !== 'webhook')
          throw new AppError('RETRAIN_JOB_NOT_EXTERNAL', `retrain job ${id} is ${job.status} and not waiting for a pipeline`);
        await repo.update(id, { completion: { ...body, by: actor?.name ?? null } as Record<string, unknown> });
        return (await repo.find(id))!;
      });
      return view(job);
    },

    /** The chain from `version` back to the first version, each link with its drift report and retrain job. */
    async lineage(name: string, version: number): Promise<Lineage> {
      const model = await views.requireModel(name);
      await views.requireVersion(model, version);
      const rows = new Map((await repo.lineageRows(model.id, version)).map((r) => [r.version, r]));
      const chain = [];
      const seen = new Set<number>();
      for (let v: number | null = version; v !== null && rows.has(v) && !seen.has(v); v = rows.get(v)!.parentVersion) {
        seen.add(v);
        chain.push(rows.get(v)!);
      }
      const jobs = new Map((await repo.jobsByIds(chain.flatMap((l) => (l.retrainJobId ? [l.retrainJobId] : [])))).map((j) => [j.id, j]));
      return {
        model: name,
        version,
        chain: chain.map((l) => {
          const job = l.retrainJobId ? jobs.get(l.retrainJobId) : undefined;
          return {
            version: l.version,
            parentVersion: l.parentVersion,
            driftReportId: l.driftReportId,
            createdAt: l.createdAt,
            retrainJob: job ? { id: job.id, trigger: job.trigger, status: job.status, createdAt: job.createdAt } : null,
          };
        }),
      };
    },

    /** For the outbox sweep: (re-)enqueue every queued job; deterministic job ids make it idempotent. */
    async enqueueQueued(): Promise<number> {
      const rows = await repo.list({ status: 'queued', limit: 500 });
      for (const r of rows) await enqueue(r.job.id);
      return rows.length;
    },
  };
}
export type RetrainJobsService = ReturnType<typeof createRetrainJobsService>;
