import { AppError } from '../http/errors.js';
import type { JobName, JobPayload, JobsOfQueue, QueueName, RetryPolicy } from './jobs.js';

/**
 * The queue port. Services enqueue through it; workers register processors on it. Two adapters
 * implement it — BullMQ on Redis (scaled mode) and an in-process queue (embedded mode) — and
 * run the same contract tests (test/integration/queue.contract.test.ts).
 */

export interface EnqueueOptions {
  /** Run no earlier than this many ms from now. */
  delayMs?: number;
}

export interface EnqueueResult {
  jobId: string;
  /**
   * True when a job with the same deterministic id already existed; nothing new was queued.
   * Finished jobs count too while they are kept (completed 7 days, failed 30 days on BullMQ;
   * the newest 10 000 in-process): a window whose job failed for good is not re-run by enqueueing
   * it again, so the outbox should record it as failed rather than retry forever.
   */
  deduplicated: boolean;
}

/** What a processor receives: the validated payload and where it is in its retries. */
export interface JobRun<N extends JobName = JobName> {
  name: N;
  jobId: string;
  payload: JobPayload<N>;
  /** 1 on the first run, 2 on the first retry, … (a stalled-job rerun keeps the number). */
  attempt: number;
  maxAttempts: number;
}

/** A union over the jobs of one queue, so a processor can `switch (job.name)` with narrowing. */
export type JobRunOf<Q extends QueueName> = { [N in JobsOfQueue<Q>]: JobRun<N> }[JobsOfQueue<Q>];

export type Processor<Q extends QueueName> = (job: JobRunOf<Q>) => Promise<void>;

export interface QueueDepth {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

/** Where a job is in its life; `missing` = never queued, or removed (retention, a wiped Redis, a restart of the in-process queue). */
export type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed' | 'missing';

export interface JobQueue {
  readonly kind: 'bullmq' | 'inline';
  /** The deployment id every job id of this queue carries (see jobs.ts). */
  readonly deploymentId: string;
  /** Validates the payload, derives the job id, queues it once. Rejects with QueueUnavailableError fast. */
  enqueue<N extends JobName>(name: N, payload: JobPayload<N>, options?: EnqueueOptions): Promise<EnqueueResult>;
  /** One processor per queue; call before start(). */
  registerProcessor<Q extends QueueName>(queue: Q, processor: Processor<Q>): void;
  /** Starts consuming the queues that have a processor. A producer-only process never calls it. */
  start(): Promise<void>;
  /** Stops consuming (waits for running jobs), then closes connections. Idempotent. */
  close(): Promise<void>;
  /** The state of the job `enqueue(name, payload)` would create (the outbox sweep asks before re-enqueueing). */
  jobState<N extends JobName>(name: N, payload: JobPayload<N>): Promise<JobState>;
  /** Runs a job waiting out its backoff now (false when it is not delayed any more). */
  promote<N extends JobName>(name: N, payload: JobPayload<N>): Promise<boolean>;
  /** Runs a job that failed for good again under its own id, attempts reset (false when it is not failed). */
  retryFailed<N extends JobName>(name: N, payload: JobPayload<N>): Promise<boolean>;
  depths(): Promise<Record<QueueName, QueueDepth>>;
  /** Resolves when the queue backend answers; rejects with QueueUnavailableError otherwise. */
  ping(): Promise<void>;
}

/** Per-job overrides of jobs.ts's retry defaults (tests shorten backoffs). */
export type RetryOverrides = Partial<Record<JobName, Partial<RetryPolicy>>>;

/**
 * The queue backend (Redis) cannot take the job right now. Ingestion catches it and leaves the
 * window in the outbox; anything else that lets it escape answers 503.
 */
export class QueueUnavailableError extends AppError {
  constructor(
    detail: string,
    override readonly cause?: unknown,
  ) {
    super('QUEUE_UNAVAILABLE', detail);
    this.name = 'QueueUnavailableError';
  }
}

/** enqueue or registerProcessor after close(). */
export class QueueClosedError extends Error {
  constructor() {
    super('the job queue is closed');
    this.name = 'QueueClosedError';
  }
}
