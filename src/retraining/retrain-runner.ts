import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { MonitoringRepository } from '../monitoring/monitoring.repository.js';
import { collectTrainingRows, exportTrainingData } from './dataset-export.js';
import { evaluateJob } from './evaluate-job.js';
import { createCommandExecutor, listFiles } from './executors/command.js';
import type { Executor } from './executors/types.js';
import type { Leases } from './lease.js';
import { createWebhookExecutor, type Completion } from './executors/webhook.js';
import type { Task } from '../monitoring/performance.js';
import { describeObject, promoteAndSucceed, registerVersion, type FinishDeps, type StagedOutput } from './retrain-finish.js';
import { retrainConfigOf, trainingSettings } from './retrain-config.js';
import { stageVersionReference } from './retrain-reference.js';
import type { RetrainJobRow } from './retrain-jobs.repository.js';
import { outputKey } from './retrain-jobs.service.js';
import type { ExecutorConfig } from './retrain.schemas.js';

export interface RunnerDeps extends Omit<FinishDeps, 'now'> {
  store: ArtifactStore;
  monitoring: MonitoringRepository;
  monitorConfig: (modelId: number) => Promise<Record<string, unknown> | undefined>;
  /** Local scratch space; each run gets (and removes) its own folder under it. */
  workDir: string;
  /** Holds each run's lease (heartbeat, takeover, fencing by attempt). */
  leases: Leases;
  /** The API's public …/api/v1 URL, handed to external pipelines for their callbacks. */
  publicBaseUrl?: string;
  /** Outbound HTTP of webhook executors (the outbound URL policy's guarded fetch). */
  fetch?: typeof fetch;
  /** How often a running job looks for a cancel request or a pipeline's completion. */
  pollMs?: number;
  /** REFERENCE_MAX_VALUES for the staged reference profile. */
  referenceMaxValues?: number;
  now?: () => Date;
  log?: (message: string, error?: unknown) => void;
}

const contentTypeOf = (path: string) =>
  path.endsWith('.json')
    ? 'application/json'
    : path.endsWith('.csv')
      ? 'text/csv'
      : path.endsWith('.log') || path.endsWith('.txt')
        ? 'text/plain'
        : 'application/octet-stream';
/** Resolves after `ms` or when `signal` aborts, and leaves no listener behind (it is called in polling loops). */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * The `retrain.run` processor's body. Each step re-reads the job, so a rerun (a retry, or a worker
 * SIGKILLed mid-job and its job redelivered) continues safely: a trainer the dead run left behind
 * on this host is killed first, a version already registered is found (unique on the job id)
 * rather than registered again, and a finished job is left alone.
 */
export function createRetrainRunner(deps: RunnerDeps) {
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? (() => undefined);
  const pollMs = deps.pollMs ?? 500;
  const finish: FinishDeps = { ...deps, now };
  const { repo, registry, events, store, leases } = deps;

  /**
   * Starts the next attempt under a fresh lease. A job another run still holds (its lease live) is
   * left to it; one whose holder is gone — a redelivery after a SIGKILL — is taken over: its
   * trainer killed (on this host; elsewhere the attempt bump fences it), then cancelled, failed
   * after its last attempt, or run again.
   */
  async function claim(jobId: number) {
    return repo.transaction(async () => {
      const job = await repo.lock(jobId);
      if (!job || (job.status !== 'queued' && job.status !== 'running')) return undefined;
      const name = (await repo.modelName(job.modelId))!;
      const model = await deps.views.lockModel(name);
      if (job.status === 'running') {
        if (!leases.gone(job)) {
          log(`retrain job ${jobId}: attempt ${job.attempts} still holds its lease (${job.leaseOwner}); leaving it alone`);
          return undefined;
        }
        if ((await leases.endDeadRun(job, model)) !== 'rerun') return undefined;
      } else if (job.cancelRequestedAt) {
        await repo.update(jobId, { status: 'cancelled', activeModelId: null, finishedAt: now().toISOString(), error: 'cancelled', runner: null });
        await events.record({ type: 'retrain.cancelled', model, data: { job: jobId, reason: 'cancelled' }, actor: undefined });
        return undefined;
      }
      await repo.update(jobId, {
        status: 'running',
        attempts: job.attempts + 1,
        startedAt: job.startedAt ?? now().toISOString(),
        runner: null,
        // A completion stored for an earlier attempt is not this attempt's.
        completion: null,
        ...leases.grant(),
      });
      if (job.status === 'queued')
        await events.record({ type: 'retrain.started', model, data: { job: jobId, trigger: job.trigger, reportId: job.triggerReportId }, actor: undefined });
      return { job: (await repo.find(jobId))!, model };
    });
  }

  /** `job` is the claimed row: its `attempts` is the run's fencing token, and a stale run records nothing. */
  async function fail(job: RetrainJobRow, reason: string, cancelled: boolean, logTail: string | null): Promise<void> {
    await repo.transaction(async () => {
      const current = await repo.lock(job.id);
      if (current?.status !== 'running' || current.attempts !== job.attempts) return;
      await repo.update(job.id, {
        status: cancelled ? 'cancelled' : 'failed',
        activeModelId: null,
        finishedAt: now().toISOString(),
        error: reason,
        runner: null,
        leaseOwner: null,
        leaseExpiresAt: null,
        ...(logTail !== null ? { logTail } : {}),
      });
      const model = { id: job.modelId, name: (await repo.modelName(job.modelId)) ?? '' };
      await events.record({ type: cancelled ? 'retrain.cancelled' : 'retrain.failed', model, data: { job: job.id, reason }, actor: undefined });
    });
  }

  async function awaitCompletion(jobId: number, signal: AbortSignal): Promise<Completion | undefined> {
    while (!signal.aborted) {
      const completion = (await repo.find(jobId))?.completion as Completion | null | undefined;
      if (completion) return completion;
      await sleep(pollMs, signal);
    }
    return undefined;
  }

  function executorFor(config: ExecutorConfig, logFile: string): Executor {
    if (config.type === 'command') return createCommandExecutor(config, { logFile });
    return createWebhookExecutor(config, {
      publicBaseUrl: deps.publicBaseUrl ?? 'http://localhost:8080/api/v1',
      awaitCompletion,
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
    });
  }

  async function stageOutputs(
    job: RetrainJobRow,
    config: ExecutorConfig,
    outputDir: string,
    logFile: string,
  ): Promise<{ outputs: StagedOutput[]; metrics: Record<string, number>; task: Task | undefined }> {
    const outputs: StagedOutput[] = [];
    if (config.type === 'command') {
      const files = await listFiles(outputDir);
      const entries = files.map((path) => ({ path, file: join(outputDir, path) }));
      if (!files.includes('train.log')) entries.push({ path: 'train.log', file: logFile });
      for (const e of entries) {
        const key = outputKey(job.id, job.attempts, e.path);
        outputs.push({
          path: e.path,
          storageKey: key,
          contentType: contentTypeOf(e.path),
          ...(await store.put(key, createReadStream(e.file), { contentType: contentTypeOf(e.path) })),
        });
      }
      const metricsFile = files.includes('metrics.json') ? JSON.parse(await readFile(join(outputDir, 'metrics.json'), 'utf8')) : {};
      const task = files.includes('task.json') ? taskOf(await readFile(join(outputDir, 'task.json'), 'utf8'), job.id, log) : undefined;
      return { outputs, metrics: numericEntries(metricsFile), task };
    }
    const completion = ((await repo.find(job.id))?.completion ?? {}) as unknown as Completion & { artifacts?: { path: string }[] };
    for (const a of completion.artifacts ?? []) {
      const key = outputKey(job.id, job.attempts, a.path);
      outputs.push({ path: a.path, storageKey: key, contentType: contentTypeOf(a.path), ...(await describeObject(store, key)) });
    }
    return { outputs, metrics: numericEntries(completion.metrics ?? {}), task: completion.task };
  }

  return {
    async runRetrainJob(jobId: number, run: { attempt: number; maxAttempts: number } = { attempt: 1, maxAttempts: 1 }): Promise<void> {
      const claimed = await claim(jobId);
      if (!claimed) return;
      const { job, model } = claimed;
      const base = job.baseVersionId === null ? undefined : await registry.findVersionById(job.baseVersionId);
      // Per database attempt (a stalled-job redelivery keeps the queue's number): a run never shares its folders with a fenced one.
      const dir = join(deps.workDir, `retrain-${jobId}-${job.attempts}`);
      const watcher = new AbortController();
      // Heartbeat and cancel watch from the claim on: the export can take a while too.
      const keeper = leases.keep(jobId, job.attempts, watcher, pollMs);
      try {
        let version = await repo.versionOfJob(jobId);
        let logTail: string | null = null;
        if (!version) {
          await rm(dir, { recursive: true, force: true });
          const datasetDir = join(dir, 'dataset');
          const outputDir = join(dir, 'output');
          await mkdir(outputDir, { recursive: true });
          const features = base?.features ?? [];
          const settings = trainingSettings(retrainConfigOf(await deps.monitorConfig(model.id)));
          const data = await collectTrainingRows(deps, {
            modelId: model.id,
            baseVersionId: job.baseVersionId,
            features,
            upToReportId: job.triggerReportId,
            ...settings,
          });
          // The policy checks this before it queues a drift job; a manual job (or labels deleted meanwhile) ends here.
          if (data.rows.length < settings.minLabelledRows)
            return await fail(job, `${data.rows.length} labelled rows < ${settings.minLabelledRows}`, false, null);
          const exported = await exportTrainingData(
            deps,
            { id: jobId, model: model.name, baseVersion: base?.version ?? null, features, ...settings },
            data,
            datasetDir,
          );
          await repo.update(jobId, { datasetUri: exported.uris.find((u) => u.endsWith('manifest.json')) ?? null });
          const config = job.executor as ExecutorConfig;
          const logFile = join(dir, 'train.log');
          const outcome = await executorFor(config, logFile).run({
            jobId,
            attempt: job.attempts,
            model: model.name,
            baseVersion: base?.version ?? null,
            datasetDir,
            datasetUris: exported.uris,
            outputDir,
            signal: watcher.signal,
            onStarted: (runner) => repo.update(jobId, { runner }),
          });
          logTail = outcome.logTail;
          // Fenced: the job is another attempt's now (or will be once the sweep sees the lease expired).
          if (keeper.lost) return;
          if (!outcome.ok) {
            if (outcome.logFile)
              await store
                .put(`${exported.uris[0]!.replace(/[^/]*$/, '')}train.log`, createReadStream(outcome.logFile))
                .catch((e: unknown) => log(`retrain job ${jobId}: could not keep the log`, e));
            // A cancel on this host kills the group directly: the trainer then just looks killed.
            const cancelled = outcome.cancelled || Boolean((await repo.find(jobId))?.cancelRequestedAt);
            return await fail(job, cancelled ? 'cancelled' : outcome.reason, cancelled, outcome.logTail);
          }
          const { outputs, metrics, task } = await stageOutputs(job, config, outputDir, logFile);
          const reference = await stageVersionReference(
            { store, log, ...(deps.referenceMaxValues !== undefined ? { maxValues: deps.referenceMaxValues } : {}) },
            { modelId: model.id, jobId, features, outputs, train: exported.train, at: now().toISOString() },
          );
          version = await registerVersion(finish, { jobId, attempt: job.attempts, model, base, outputs, metrics, task, reference });
          if (!version) return; // cancelled, or taken over, while registering
        }
        const promote = retrainConfigOf(await deps.monitorConfig(model.id))?.promote;
        const evaluation = promote
          ? await evaluateJob({ store, registry }, { model: model.name, jobId, version, promote, championVersion: base?.version ?? null })
          : undefined;
        await promoteAndSucceed(finish, { job, model, version, evaluation, logTail });
      } catch (error) {
        // Infrastructure trouble (store, database): the job waits queued for the queue's retry,
        // unless this was the last attempt.
        if (run.attempt < run.maxAttempts) {
          await leases.release(jobId, job.attempts).catch((e: unknown) => log(`retrain job ${jobId}: could not release its lease`, e));
          throw error;
        }
        await fail(job, `giving up after ${run.attempt} attempt(s): ${(error as Error).message}`, false, null).catch((e: unknown) =>
          log(`retrain job ${jobId}: could not record the failure`, e),
        );
        throw error;
      } finally {
        keeper.stop();
        watcher.abort();
        await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      }
    },
  };
}
export type RetrainRunner = ReturnType<typeof createRetrainRunner>;

function numericEntries(value: unknown): Record<string, number> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1])),
  );
}

/**
 * The trainer's `task.json` ({"type": "classification", "positive"?: label} or {"type":
 * "regression"}): the new version's task. One that does not parse is logged and ignored, so the
 * version inherits its parent's as without the file.
 */
export function taskOf(text: string, jobId: number, log: (message: string, error?: unknown) => void): Task | undefined {
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    const keys = value && typeof value === 'object' ? Object.keys(value) : [];
    const positive = value?.positive;
    if (value?.type === 'regression' && keys.length === 1) return { type: 'regression' };
    if (
      value?.type === 'classification' &&
      keys.every((k) => k === 'type' || k === 'positive') &&
      (positive === undefined || Number.isInteger(positive) || (typeof positive === 'string' && positive.length > 0 && positive.length <= 256))
    )
      return positive === undefined ? { type: 'classification' } : { type: 'classification', positive: positive as number | string };
  } catch {
    // fall through to the log line
  }
  log(
    `retrain job ${jobId}: task.json is not {"type": "classification", "positive"?: label} or {"type": "regression"}; the version inherits its parent's task`,
  );
  return undefined;
}
