import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { MonitoringRepository } from '../monitoring/monitoring.repository.js';
import { exportTrainingData } from './dataset-export.js';
import { createCommandExecutor, listFiles } from './executors/command.js';
import { killRunner } from './executors/process-group.js';
import type { Executor } from './executors/types.js';
import { createWebhookExecutor, type Completion } from './executors/webhook.js';
import { describeObject, promoteAndSucceed, registerVersion, type FinishDeps, type StagedOutput } from './retrain-finish.js';
import { retrainConfigOf } from './retrain-config.js';
import type { RetrainJobRow } from './retrain-jobs.repository.js';
import { outputKey } from './retrain-jobs.service.js';
import type { ExecutorConfig } from './retrain.schemas.js';

export interface RunnerDeps extends Omit<FinishDeps, 'now'> {
  store: ArtifactStore;
  monitoring: MonitoringRepository;
  monitorConfig: (modelId: number) => Promise<Record<string, unknown> | undefined>;
  /** Local scratch space; each run gets (and removes) its own folder under it. */
  workDir: string;
  /** The API's public …/api/v1 URL, handed to external pipelines for their callbacks. */
  publicBaseUrl?: string;
  /** Outbound HTTP of webhook executors (the outbound URL policy's guarded fetch). */
  fetch?: typeof fetch;
  /** How often a running job looks for a cancel request or a pipeline's completion. */
  pollMs?: number;
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
  const { repo, registry, events, store } = deps;

  async function claim(jobId: number) {
    return repo.transaction(async () => {
      const job = await repo.lock(jobId);
      if (!job || (job.status !== 'queued' && job.status !== 'running')) return undefined;
      const name = (await repo.modelName(job.modelId))!;
      const model = await deps.views.lockModel(name);
      // A previous run died while its trainer ran: kill that group before starting another.
      if (job.status === 'running' && killRunner(job.runner)) log(`retrain job ${jobId}: killed the trainer a previous run left behind (${job.runner})`);
      // Cancelled while its worker was gone: honour it instead of training again.
      if (job.cancelRequestedAt) {
        await repo.update(jobId, { status: 'cancelled', activeModelId: null, finishedAt: now().toISOString(), error: 'cancelled', runner: null });
        await events.record({ type: 'retrain.cancelled', model, data: { job: jobId, reason: 'cancelled' }, actor: undefined });
        return undefined;
      }
      await repo.update(jobId, { status: 'running', attempts: job.attempts + 1, startedAt: job.startedAt ?? now().toISOString(), runner: null });
      if (job.status === 'queued')
        await events.record({ type: 'retrain.started', model, data: { job: jobId, trigger: job.trigger, reportId: job.triggerReportId }, actor: undefined });
      return { job: (await repo.find(jobId))!, model };
    });
  }

  async function fail(job: RetrainJobRow, reason: string, cancelled: boolean, logTail: string | null): Promise<void> {
    await repo.transaction(async () => {
      const current = await repo.lock(job.id);
      if (current?.status !== 'running') return;
      await repo.update(job.id, {
        status: cancelled ? 'cancelled' : 'failed',
        activeModelId: null,
        finishedAt: now().toISOString(),
        error: reason,
        runner: null,
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
  ): Promise<{ outputs: StagedOutput[]; metrics: Record<string, number> }> {
    const outputs: StagedOutput[] = [];
    if (config.type === 'command') {
      const files = await listFiles(outputDir);
      const entries = files.map((path) => ({ path, file: join(outputDir, path) }));
      if (!files.includes('train.log')) entries.push({ path: 'train.log', file: logFile });
      for (const e of entries) {
        const key = outputKey(job.id, e.path);
        outputs.push({
          path: e.path,
          storageKey: key,
          contentType: contentTypeOf(e.path),
          ...(await store.put(key, createReadStream(e.file), { contentType: contentTypeOf(e.path) })),
        });
      }
      const metricsFile = files.includes('metrics.json') ? JSON.parse(await readFile(join(outputDir, 'metrics.json'), 'utf8')) : {};
      return { outputs, metrics: numericEntries(metricsFile) };
    }
    const completion = ((await repo.find(job.id))?.completion ?? {}) as unknown as Completion & { artifacts?: { path: string }[] };
    for (const a of completion.artifacts ?? []) {
      const key = outputKey(job.id, a.path);
      outputs.push({ path: a.path, storageKey: key, contentType: contentTypeOf(a.path), ...(await describeObject(store, key)) });
    }
    return { outputs, metrics: numericEntries(completion.metrics ?? {}) };
  }

  return {
    async runRetrainJob(jobId: number, run: { attempt: number; maxAttempts: number } = { attempt: 1, maxAttempts: 1 }): Promise<void> {
      const claimed = await claim(jobId);
      if (!claimed) return;
      const { job, model } = claimed;
      const base = job.baseVersionId === null ? undefined : await registry.findVersionById(job.baseVersionId);
      const dir = join(deps.workDir, `retrain-${jobId}-${run.attempt}`);
      const watcher = new AbortController();
      try {
        let version = await repo.versionOfJob(jobId);
        let logTail: string | null = null;
        if (!version) {
          await rm(dir, { recursive: true, force: true });
          const datasetDir = join(dir, 'dataset');
          const outputDir = join(dir, 'output');
          await mkdir(outputDir, { recursive: true });
          const exported = await exportTrainingData(
            deps,
            {
              id: jobId,
              modelId: model.id,
              model: model.name,
              baseVersionId: job.baseVersionId,
              baseVersion: base?.version ?? null,
              features: base?.features ?? [],
              upToReportId: job.triggerReportId,
            },
            datasetDir,
          );
          await repo.update(jobId, { datasetUri: exported.uris.find((u) => u.endsWith('manifest.json')) ?? null });
          void (async () => {
            while (!watcher.signal.aborted) {
              await sleep(pollMs, watcher.signal);
              if ((await repo.find(jobId).catch(() => undefined))?.cancelRequestedAt) watcher.abort();
            }
          })();
          const config = job.executor as ExecutorConfig;
          const logFile = join(dir, 'train.log');
          const outcome = await executorFor(config, logFile).run({
            jobId,
            model: model.name,
            baseVersion: base?.version ?? null,
            datasetDir,
            datasetUris: exported.uris,
            outputDir,
            signal: watcher.signal,
            onStarted: (runner) => repo.update(jobId, { runner }),
          });
          logTail = outcome.logTail;
          if (!outcome.ok) {
            if (outcome.logFile)
              await store
                .put(`${exported.uris[0]!.replace(/[^/]*$/, '')}train.log`, createReadStream(outcome.logFile))
                .catch((e: unknown) => log(`retrain job ${jobId}: could not keep the log`, e));
            // A cancel on this host kills the group directly: the trainer then just looks killed.
            const cancelled = outcome.cancelled || Boolean((await repo.find(jobId))?.cancelRequestedAt);
            return await fail(job, cancelled ? 'cancelled' : outcome.reason, cancelled, outcome.logTail);
          }
          const { outputs, metrics } = await stageOutputs(job, config, outputDir, logFile);
          version = await registerVersion(finish, { jobId, model, base, outputs, metrics });
          if (!version) return; // cancelled while registering
        }
        const promote = retrainConfigOf(await deps.monitorConfig(model.id))?.promote;
        await promoteAndSucceed(finish, { job, model, version, promote, logTail });
      } catch (error) {
        // Infrastructure trouble (store, database): leave the job running for the queue's retry,
        // unless this was the last attempt.
        if (run.attempt < run.maxAttempts) throw error;
        await fail(job, `giving up after ${run.attempt} attempt(s): ${(error as Error).message}`, false, null).catch((e: unknown) =>
          log(`retrain job ${jobId}: could not record the failure`, e),
        );
        throw error;
      } finally {
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
