import type { Readable } from 'node:stream';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { Actor } from '../actor.js';
import { isUniqueViolation } from '../db/errors.js';
import type { EventsService } from '../events/events.service.js';
import { AppError } from '../http/errors.js';
import { decodeCursor, toPage } from '../http/pagination.js';
import { enqueueWithin } from '../queue/bounded.js';
import type { JobQueue } from '../queue/job-queue.js';
import { requeueLost } from '../queue/requeue.js';
import type { ModelRow, RegistryRepository } from '../registry/registry.repository.js';
import { validateArtifactPath } from '../registry/artifact-path.js';
import type { RegistryViews } from '../registry/views.js';
import { killRunner } from './executors/process-group.js';
import type { MonitoringRepository } from '../monitoring/monitoring.repository.js';
import { collectTrainingRows } from './dataset-export.js';
import { holderGone } from './lease.js';
import { decideRetrain, decideTrainingData, type PolicyDecision, type ReportVerdict } from './policy.js';
import { retrainConfigOf, trainingSettings, withExecutorDefaults } from './retrain-config.js';
import { verdictOf } from './verdicts.js';
import type { RetrainJobRow, RetrainJobsRepository } from './retrain-jobs.repository.js';
import type { CompleteBody, ExecutorConfig, Lineage, ListRetrainJobsQuery, ManualRetrainBody, RetrainJobView, RetrainStatus } from './retrain.schemas.js';

/**
 * Where a run's outputs are staged before the version is registered (inside the sweeper's prefix).
 * Per attempt: a fenced run (its lease was taken over) that is still uploading cannot overwrite
 * the files of the attempt that replaced it.
 */
export const outputKey = (jobId: number, attempt: number, path: string) => `artifacts/retrain-${jobId}/attempt-${attempt}/${path}`;

export interface RetrainJobsDeps {
  repo: RetrainJobsRepository;
  registry: RegistryRepository;
  views: RegistryViews;
  events: EventsService;
  store: ArtifactStore;
  queue: Pick<JobQueue, 'enqueue' | 'jobState' | 'promote'>;
  /** ENQUEUE_BUDGET_MS: how long a request waits for the queue after its commit (default 100 ms). */
  enqueueBudgetMs?: number;
  /** Reads the training windows, to count labelled rows before a drift job is queued. */
  monitoring: MonitoringRepository;
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

/** A queued job younger than this was just written; its own request is still enqueueing it. */
const OUTBOX_GRACE_MS = 2_000;

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
      evaluation: (job.evaluation as RetrainJobView['evaluation'] | null) ?? null,
      logTail: job.logTail,
      error: job.error,
      createdAt: job.createdAt,
      startedAt: job.startedAt,
      finishedAt: job.finishedAt,
    };
  }

  /**
   * After commit, for a new job (generation 0): waits at most the enqueue budget; a failed or late
   * enqueue leaves the job `queued`, and `enqueueQueued` (the outbox sweep) picks it up.
   */
  async function enqueue(jobId: number): Promise<void> {
    const settled = await enqueueWithin(deps.queue.enqueue('retrain.run', { retrainJobId: jobId, generation: 0 }), deps.enqueueBudgetMs ?? 100);
    if (settled.outcome !== 'ok')
      log(
        `retrain job ${jobId}: enqueue ${settled.outcome === 'timeout' ? 'timed out' : 'failed'}, left for the sweep`,
        settled.outcome === 'failed' ? settled.error : undefined,
      );
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
        const executor = body.executor ? withExecutorDefaults(body.executor) : retrainConfigOf(await deps.monitorConfig(model.id))?.executor;
        if (!executor)
          throw new AppError('RETRAIN_NOT_CONFIGURED', `set retrain.executor in the monitor of "${name}" (PUT /models/${name}/monitor) or send one`);
        // Default: the version serving (the promote alias, `production` unless configured), else the latest.
        const alias = retrainConfigOf(await deps.monitorConfig(model.id))?.promote?.alias ?? 'production';
        const base =
          body.baseVersion !== undefined
            ? await views.requireVersion(model, body.baseVersion)
            : ((await registry.findAliasTarget(model.id, alias)) ?? (await registry.latestVersion(model.id)));
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
        const skip = async (d: PolicyDecision & { action: 'skip' }) => {
          await events.record({ type: 'retrain.skipped', model, data: { reason: d.reason, reportId: verdicts[0]?.reportId ?? null }, actor: undefined });
          return d;
        };
        if (decision.action === 'skip') return skip(decision);
        // The version that drifted is the base: its windows are the training data, its posted predictions the champion's.
        const baseVersionId = (await repo.reportVersionId(decision.triggerReportId)) ?? null;
        const base = baseVersionId === null ? undefined : await registry.findVersionById(baseVersionId);
        const settings = trainingSettings(config);
        const data = await collectTrainingRows(
          { repo, monitoring: deps.monitoring },
          { modelId: model.id, baseVersionId, features: base?.features ?? [], upToReportId: decision.triggerReportId, ...settings },
        );
        const enough = decideTrainingData({ labelledRows: data.rows.length, minLabelledRows: settings.minLabelledRows });
        if (enough.action === 'skip') return skip(enough);
        const job = await insertJob(
          model,
          { trigger: 'drift', triggerReportId: decision.triggerReportId, requestedBy: null, baseVersionId, executor: config.executor },
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

    /**
     * queued → cancelled at once; running under a live lease → a cancel request the runner acts on
     * (and, on this host, the trainer's group is killed now); running with nobody holding it (lease
     * expired, its worker gone) → cancelled at once, so the model may retrain again; finished → 409.
     */
    async cancel(id: number, actor: Actor | undefined): Promise<RetrainJobView> {
      const job = await repo.transaction(async () => {
        const job = await repo.lock(id);
        if (!job) throw new AppError('RETRAIN_JOB_NOT_FOUND', `retrain job ${id} does not exist`);
        const at = now().toISOString();
        const model = { id: job.modelId, name: (await repo.modelName(job.modelId)) ?? '' };
        if (job.status === 'queued') {
          await repo.update(id, { status: 'cancelled', activeModelId: null, finishedAt: at, error: 'cancelled before it started' });
          await events.record({ type: 'retrain.cancelled', model, data: { job: id, while: 'queued' }, actor });
        } else if (job.status === 'running' && holderGone(job, now())) {
          // Nobody would act on a request. A trainer it left on this host is killed below; one on
          // another host is fenced: the job no longer runs under its attempt.
          await repo.update(id, {
            status: 'cancelled',
            activeModelId: null,
            finishedAt: at,
            error: 'cancelled',
            cancelRequestedAt: job.cancelRequestedAt ?? at,
            runner: null,
            leaseOwner: null,
            leaseExpiresAt: null,
          });
          await events.record({ type: 'retrain.cancelled', model, data: { job: id, while: 'running', holder: 'gone' }, actor });
        } else if (job.status === 'running') {
          if (!job.cancelRequestedAt) await repo.update(id, { cancelRequestedAt: at });
          await events.record({ type: 'retrain.cancel_requested', model, data: { job: id }, actor });
        } else throw new AppError('RETRAIN_JOB_FINISHED', `retrain job ${id} is ${job.status}`);
        return { ...(await repo.find(id))!, trainer: job.runner };
      });
      if (job.status === 'running' || job.status === 'cancelled') killRunner(job.trainer);
      return view(job);
    },

    /** An external pipeline's outputs, staged until the version is registered from them. */
    async uploadOutput(id: number, rawPath: string, body: Readable, contentType: string, attempt?: number) {
      const path = validateArtifactPath(rawPath);
      const job = await requireJob(id);
      if (job.status !== 'running' || job.executor.type !== 'webhook')
        throw new AppError('RETRAIN_JOB_NOT_EXTERNAL', `retrain job ${id} is ${job.status} and not waiting for a pipeline`);
      if (attempt !== undefined && attempt !== job.attempts)
        throw new AppError('RETRAIN_ATTEMPT_STALE', `retrain job ${id} runs attempt ${job.attempts} now, not ${attempt}`);
      const stored = await store.put(outputKey(id, job.attempts, path), body, { contentType });
      return { path, ...stored };
    },

    /** POST /retrain-jobs/{id}/complete: stored on the job; the waiting runner registers the version. */
    async complete(id: number, body: CompleteBody, actor: Actor | undefined): Promise<RetrainJobView> {
      const job = await repo.transaction(async () => {
        const job = await repo.lock(id);
        if (!job) throw new AppError('RETRAIN_JOB_NOT_FOUND', `retrain job ${id} does not exist`);
        if (job.status !== 'running' || job.executor.type !== 'webhook')
          throw new AppError('RETRAIN_JOB_NOT_EXTERNAL', `retrain job ${id} is ${job.status} and not waiting for a pipeline`);
        // Fencing: the pipeline of an attempt that was taken over must not complete its successor.
        if (body.attempt !== undefined && body.attempt !== job.attempts)
          throw new AppError('RETRAIN_ATTEMPT_STALE', `retrain job ${id} runs attempt ${job.attempts} now, not ${body.attempt}`);
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

    /**
     * For the outbox sweep: every queued job older than the grace period whose queue job is not
     * waiting or running is enqueued again under a new generation (requeueLost). A queue error
     * (Redis down) ends this sweep; the next one tries again.
     */
    async enqueueQueued(): Promise<number> {
      const before = new Date(now().getTime() - OUTBOX_GRACE_MS).toISOString();
      let requeued = 0;
      for (const { job } of await repo.list({ status: 'queued', limit: 500 })) {
        if (job.createdAt >= before) continue; // its own request may still be enqueueing it
        const outcome = await requeueLost(
          deps.queue,
          'retrain.run',
          { current: { retrainJobId: job.id, generation: job.generation }, next: { retrainJobId: job.id, generation: job.generation + 1 } },
          () => repo.bumpGeneration(job.id, job.generation),
        );
        if (outcome === 'requeued') requeued += 1;
      }
      return requeued;
    },
  };
}
export type RetrainJobsService = ReturnType<typeof createRetrainJobsService>;
