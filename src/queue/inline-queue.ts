import { runInJob } from './job-context.js';
import { JOBS, QUEUE_NAMES, backoffDelayMs, jobIdFor, validatePayload, type JobName, type JobPayload, type QueueName, type RetryPolicy } from './jobs.js';
import {
  QueueClosedError,
  type JobState,
  type EnqueueOptions,
  type EnqueueResult,
  type JobQueue,
  type JobRun,
  type QueueDepth,
  type RetryOverrides,
} from './job-queue.js';

export interface InlineQueueConfig {
  /** This deployment's id (src/db/deployment.ts): part of every job id, as on BullMQ. */
  deploymentId: string;
  /** Jobs of one queue run at most this many at a time (default 1: processors are CPU-bound and share the API's event loop). */
  concurrency?: number;
  retry?: RetryOverrides;
  /**
   * Finished jobs kept to answer `deduplicated` like BullMQ does; the oldest are forgotten first.
   * Beyond this, the database's unique constraints are what stop a double report.
   */
  keepFinished?: number;
  /** Called when a run fails (the queue retries or gives up afterwards); wire it to the logger. */
  onFailure?: (job: JobRun, error: unknown, willRetry: boolean) => void;
}

export interface InlineQueue extends JobQueue {
  /** Resolves once no job is waiting, in backoff or running (in queues that have a processor). */
  idle(): Promise<void>;
  /** Like idle(), but runs jobs in backoff right away instead of waiting out the delay (tests). */
  drain(): Promise<void>;
}

type AnyProcessor = (job: JobRun) => Promise<void>;
type State = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed';

interface InlineJob {
  key: string;
  name: JobName;
  jobId: string;
  queue: QueueName;
  payload: unknown;
  policy: RetryPolicy;
  runs: number;
  state: State;
  timer?: NodeJS.Timeout;
}

/**
 * The embedded-mode queue: the same processors and job ids as BullMQ, run in this process.
 * Jobs run asynchronously after enqueue returns (never inside the caller's request), retry with
 * the job's backoff, and deduplicate on the deterministic id. Jobs still waiting at close() are
 * dropped: nothing here survives a restart, which is why windows go through the database outbox.
 */
export function createInlineQueue(config: InlineQueueConfig): InlineQueue {
  const concurrency = config.concurrency ?? 1;
  const keepFinished = config.keepFinished ?? 10_000;
  const jobs = new Map<string, InlineJob>();
  const finishedOrder: string[] = [];
  const waiting = new Map<QueueName, InlineJob[]>(QUEUE_NAMES.map((q) => [q, []]));
  const active = new Map<QueueName, number>(QUEUE_NAMES.map((q) => [q, 0]));
  const processors = new Map<QueueName, AnyProcessor>();
  const running = new Set<Promise<void>>();
  let idleWaiters: Array<() => void> = [];
  let started = false;
  let closed = false;
  let draining = 0;

  const policyOf = (name: JobName): RetryPolicy => {
    const override = config.retry?.[name];
    return { attempts: override?.attempts ?? JOBS[name].attempts, backoff: override?.backoff ?? JOBS[name].backoff };
  };

  const isIdle = (): boolean => {
    for (const job of jobs.values()) {
      if (job.state === 'active') return false;
      if ((job.state === 'waiting' || job.state === 'delayed') && started && processors.has(job.queue)) return false;
    }
    return true;
  };

  const notify = (): void => {
    if (idleWaiters.length === 0 || !isIdle()) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const finish = (job: InlineJob, state: 'completed' | 'failed'): void => {
    job.state = state;
    finishedOrder.push(job.key);
    while (finishedOrder.length > keepFinished) jobs.delete(finishedOrder.shift()!);
  };

  const makeWaiting = (job: InlineJob): void => {
    job.timer = undefined;
    job.state = 'waiting';
    waiting.get(job.queue)!.push(job);
    pump(job.queue);
  };

  const schedule = (job: InlineJob, delayMs: number): void => {
    if (delayMs <= 0 || draining > 0) return makeWaiting(job);
    job.state = 'delayed';
    job.timer = setTimeout(() => makeWaiting(job), delayMs);
  };

  async function run(job: InlineJob, processor: AnyProcessor): Promise<void> {
    job.runs += 1;
    const jobRun = { name: job.name, jobId: job.jobId, payload: job.payload, attempt: job.runs, maxAttempts: job.policy.attempts } as JobRun;
    try {
      // A payload that fails here was never valid: retrying cannot help (BullMQ adapter: UnrecoverableError).
      validatePayload(job.name, job.payload);
      await runInJob(jobRun, () => processor(jobRun));
      finish(job, 'completed');
    } catch (error) {
      const willRetry = job.runs < job.policy.attempts && !(error instanceof Error && error.name === 'JobPayloadError') && !closed;
      // Bookkeeping must never stop the queue: a throwing callback is logged by the process guard.
      try {
        runInJob(jobRun, () => config.onFailure?.(jobRun, error, willRetry));
      } catch (callbackError) {
        void Promise.reject(callbackError);
      }
      if (willRetry) schedule(job, backoffDelayMs(job.policy.backoff, job.runs));
      else finish(job, 'failed');
    }
  }

  function pump(queue: QueueName): void {
    const processor = processors.get(queue);
    if (!started || closed || !processor) return;
    const list = waiting.get(queue)!;
    while (active.get(queue)! < concurrency && list.length > 0) {
      const job = list.shift()!;
      job.state = 'active';
      active.set(queue, active.get(queue)! + 1);
      const promise = run(job, processor).finally(() => {
        active.set(queue, active.get(queue)! - 1);
        running.delete(promise);
        pump(queue);
        notify();
      });
      running.add(promise);
    }
  }

  return {
    kind: 'inline',
    deploymentId: config.deploymentId,

    async enqueue<N extends JobName>(name: N, payload: JobPayload<N>, options: EnqueueOptions = {}): Promise<EnqueueResult> {
      if (closed) throw new QueueClosedError();
      validatePayload(name, payload);
      const jobId = jobIdFor(name, payload, config.deploymentId);
      const queue = JOBS[name].queue;
      const key = `${queue}/${jobId}`;
      if (jobs.has(key)) return { jobId, deduplicated: true };
      const job: InlineJob = { key, name, jobId, queue, payload: structuredClone(payload), policy: policyOf(name), runs: 0, state: 'waiting' };
      jobs.set(key, job);
      // Never run inside the caller's turn: enqueue from a request handler must return first.
      const delayMs = options.delayMs ?? 0;
      if (delayMs > 0) schedule(job, delayMs);
      else {
        waiting.get(queue)!.push(job);
        setImmediate(() => pump(queue));
      }
      return { jobId, deduplicated: false };
    },

    registerProcessor(queue, processor) {
      if (closed) throw new QueueClosedError();
      if (processors.has(queue)) throw new Error(`queue ${queue} already has a processor`);
      processors.set(queue, processor as unknown as AnyProcessor);
      pump(queue);
    },

    async start() {
      if (closed) throw new QueueClosedError();
      started = true;
      for (const queue of QUEUE_NAMES) pump(queue);
    },

    async close() {
      if (closed) return;
      closed = true;
      for (const job of jobs.values()) if (job.timer) clearTimeout(job.timer);
      await Promise.allSettled([...running]);
      for (const list of waiting.values()) list.length = 0;
      notify();
    },

    async jobState(name, payload): Promise<JobState> {
      if (closed) throw new QueueClosedError();
      const job = jobs.get(`${JOBS[name].queue}/${jobIdFor(name, payload, config.deploymentId)}`);
      return job?.state ?? 'missing';
    },

    async promote(name, payload): Promise<boolean> {
      if (closed) throw new QueueClosedError();
      const job = jobs.get(`${JOBS[name].queue}/${jobIdFor(name, payload, config.deploymentId)}`);
      if (job?.state !== 'delayed' || !job.timer) return false;
      clearTimeout(job.timer);
      makeWaiting(job);
      return true;
    },

    async retryFailed(name, payload): Promise<boolean> {
      if (closed) throw new QueueClosedError();
      const job = jobs.get(`${JOBS[name].queue}/${jobIdFor(name, payload, config.deploymentId)}`);
      if (job?.state !== 'failed') return false;
      const at = finishedOrder.indexOf(job.key);
      if (at >= 0) finishedOrder.splice(at, 1);
      job.runs = 0;
      makeWaiting(job);
      return true;
    },

    async depths() {
      const result = Object.fromEntries(QUEUE_NAMES.map((q) => [q, { waiting: 0, active: 0, delayed: 0, failed: 0 } satisfies QueueDepth])) as Record<
        QueueName,
        QueueDepth
      >;
      for (const job of jobs.values()) if (job.state !== 'completed') result[job.queue][job.state] += 1;
      return result;
    },

    async ping() {
      if (closed) throw new QueueClosedError();
    },

    idle() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        notify();
      });
    },

    async drain() {
      draining += 1;
      try {
        for (const job of jobs.values()) {
          if (job.state === 'delayed' && job.timer) {
            clearTimeout(job.timer);
            makeWaiting(job);
          }
        }
        await new Promise<void>((resolve) => {
          idleWaiters.push(resolve);
          notify();
        });
      } finally {
        draining -= 1;
      }
    },
  };
}
