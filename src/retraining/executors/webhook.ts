import type { Task } from '../../monitoring/performance.js';
import { randomUUID } from 'node:crypto';
import { signedHeaders } from '../../events/webhook-signing.js';
import { DEFAULT_EXECUTOR_TIMEOUT_S, type WebhookExecutor } from '../retrain.schemas.js';
import type { Executor, ExecutorContext, ExecutorOutcome } from './types.js';

/** What an external pipeline reported through POST /retrain-jobs/{id}/complete. */
export interface Completion {
  status: 'succeeded' | 'failed';
  metrics?: Record<string, number>;
  task?: Task;
  error?: string;
}

export interface WebhookExecutorDeps {
  /** The API's public base URL (…/api/v1), for the callback links handed to the pipeline. */
  publicBaseUrl: string;
  /** Resolves with the completion once it is stored, or undefined when `signal` aborts. */
  awaitCompletion: (jobId: number, signal: AbortSignal) => Promise<Completion | undefined>;
  fetch?: typeof fetch;
}

/**
 * Hands the job to an external CI/CD system: one signed POST (Standard Webhooks) with the job id,
 * the dataset URIs and where to upload outputs and report back; then waits for the callback or
 * the timeout. The pipeline uploads outputs first (PUT …/retrain-jobs/{id}/outputs/{path}), then
 * calls …/complete with its metrics; the runner registers the version from what was uploaded.
 */
export function createWebhookExecutor(config: WebhookExecutor, deps: WebhookExecutorDeps): Executor {
  const doFetch = deps.fetch ?? fetch;
  return {
    async run(ctx: ExecutorContext): Promise<ExecutorOutcome> {
      const timeoutSeconds = config.timeoutSeconds ?? DEFAULT_EXECUTOR_TIMEOUT_S;
      const base = deps.publicBaseUrl.replace(/\/$/, '');
      const body = JSON.stringify({
        type: 'retrain.requested',
        timestamp: new Date().toISOString(),
        data: {
          jobId: ctx.jobId,
          ...(ctx.attempt !== undefined ? { attempt: ctx.attempt } : {}),
          model: ctx.model,
          baseVersion: ctx.baseVersion,
          datasets: ctx.datasetUris,
          uploadUrl: `${base}/retrain-jobs/${ctx.jobId}/outputs/`,
          callbackUrl: `${base}/retrain-jobs/${ctx.jobId}/complete`,
        },
      });
      const timeout = AbortSignal.timeout(timeoutSeconds * 1000);
      const both = AbortSignal.any([timeout, ctx.signal]);
      try {
        const res = await doFetch(config.url, {
          method: 'POST',
          headers: signedHeaders(config.secret, `retrain-${ctx.jobId}-${randomUUID()}`, body),
          body,
          signal: both,
          redirect: 'error',
        });
        await res.body?.cancel();
        if (!res.ok) return { ok: false, reason: `the pipeline answered HTTP ${res.status}`, cancelled: false, logTail: '' };
      } catch (error) {
        if (ctx.signal.aborted) return { ok: false, reason: 'cancelled', cancelled: true, logTail: '' };
        return {
          ok: false,
          reason: timeout.aborted ? `timed out after ${timeoutSeconds}s` : `could not reach the pipeline: ${(error as Error).message}`,
          cancelled: false,
          logTail: '',
        };
      }
      await ctx.onStarted?.(`webhook/${ctx.jobId}`);
      const completion = await deps.awaitCompletion(ctx.jobId, both);
      if (!completion) {
        if (ctx.signal.aborted) return { ok: false, reason: 'cancelled', cancelled: true, logTail: '' };
        return { ok: false, reason: `timed out after ${timeoutSeconds}s waiting for the pipeline's completion`, cancelled: false, logTail: '' };
      }
      if (completion.status === 'failed')
        return {
          ok: false,
          reason: `the pipeline reported failure${completion.error ? `: ${completion.error}` : ''}`,
          cancelled: false,
          logTail: completion.error ?? '',
        };
      return { ok: true, logTail: '' };
    },
  };
}
