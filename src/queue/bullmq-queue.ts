import { randomUUID } from 'node:crypto';
import { Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { promoteDelayed, retryFailedJob, settlesWithin, sleepUnref, stateOf, until } from './bullmq-jobs.js';
import { runInJob } from './job-context.js';
import { JOBS, QUEUE_NAMES, jobIdFor, validatePayload, type JobName, type JobPayload, type QueueName, type RetryPolicy } from './jobs.js';
import {
  QueueClosedError,
  QueueUnavailableError,
  type EnqueueOptions,
  type EnqueueResult,
  type JobQueue,
  type JobState,
  type JobRun,
  type QueueDepth,
  type RetryOverrides,
} from './job-queue.js';

export interface BullmqQueueConfig {
  url: string;
  /** This deployment's id (src/db/deployment.ts): part of every job id, and stored with each job. */
  deploymentId: string;
  /** Redis key prefix; tests use a unique one to share a Redis. Default "mlcycle". */
  prefix?: string;
  retry?: RetryOverrides;
  /** Upper bound on any producer call (enqueue, depths, ping). Default 1 500 ms. */
  timeoutMs?: number;
  worker?: {
    concurrency?: number;
    /**
     * Stalled-job recovery: a worker holds a lock on each running job, renewed every
     * lockDuration/2. If the worker dies (SIGKILL, OOM, host lost) the lock expires; another
     * worker's stalled check (every stalledInterval) moves the job back to waiting, so it reruns
     * after at most ~lockDuration + stalledInterval. A job that stalls more than maxStalledCount
     * times fails instead (it is probably what kills its worker). Defaults 30 s / 30 s / 2.
     * Processors must therefore be idempotent: a rerun may follow a run that got half-way.
     */
    lockDuration?: number;
    stalledInterval?: number;
    maxStalledCount?: number;
  };
  /** close() waits this long for running jobs (default 30 s), then abandons them to stalled-job recovery. */
  closeTimeoutMs?: number;
  onFailure?: (job: JobRun, error: unknown, willRetry: boolean) => void;
}

/**
 * What is stored in Redis: the payload, a token that tells our add from an earlier one, and the
 * deployment that queued it (a worker never runs another deployment's job on its own database).
 */
interface Envelope {
  payload: unknown;
  token: string;
  deployment?: string;
}

const DAY_S = 86_400;

/**
 * BullMQ adapter. Producers (the API) use one ioredis connection tuned to fail fast: no offline
 * queue, one retry per command, a connect timeout, and a hard timeout around each call, so an
 * API request that enqueues answers within ~1.5 s when Redis is down (ingestion then leaves the
 * window in the outbox). ioredis keeps reconnecting in the background, so enqueues work again as
 * soon as Redis is back. Workers get their own connections with maxRetriesPerRequest: null, as
 * BullMQ requires for blocking commands: a worker waits for Redis rather than failing.
 */
export function createBullmqQueue(config: BullmqQueueConfig): JobQueue {
  const prefix = config.prefix ?? 'mlcycle';
  const timeoutMs = config.timeoutMs ?? 1_500;
  const producer = new Redis(config.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  // ioredis emits 'error' on every failed reconnect; unhandled, that would crash the process.
  producer.on('error', () => {});
  const queues = new Map<QueueName, Queue>();
  const processors = new Map<QueueName, (job: JobRun) => Promise<void>>();
  const workers: Worker[] = [];
  const workerConnections: Redis[] = [];
  let closed = false;

  /**
   * A Queue whose connection set-up failed stays broken (BullMQ caches the failed start), so a
   * queue is cached only once it is ready and is built afresh after a failure.
   */
  const queueFor = async (name: QueueName): Promise<Queue> => {
    let queue = queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: producer, prefix });
      queue.on('error', () => {}); // surfaced through the rejected call instead
      queues.set(name, queue);
    }
    try {
      await queue.waitUntilReady();
      return queue;
    } catch (error) {
      if (queues.get(name) === queue) queues.delete(name);
      void queue.close().catch(() => {});
      throw error;
    }
  };

  /** Bounds a Redis call and turns any failure into QueueUnavailableError. */
  async function guarded<T>(what: string, call: () => Promise<T>): Promise<T> {
    if (closed) throw new QueueClosedError();
    // Between reconnect attempts ioredis knows Redis is down: say so now rather than after the timeout.
    if (producer.status === 'reconnecting' || producer.status === 'close' || producer.status === 'end') {
      throw new QueueUnavailableError(`${what}: Redis is not reachable (connection ${producer.status})`);
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new QueueUnavailableError(`${what}: Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    // The first call after start-up waits for the initial connection (within the timeout).
    let onReady: (() => void) | undefined;
    const connected = producer.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => producer.once('ready', (onReady = () => resolve())));
    try {
      return await Promise.race([connected.then(call), timeout]);
    } catch (error) {
      if (error instanceof QueueUnavailableError) throw error;
      throw new QueueUnavailableError(`${what}: ${error instanceof Error ? error.message : String(error)}`, error);
    } finally {
      clearTimeout(timer);
      if (onReady) producer.off('ready', onReady);
    }
  }

  const policyOf = (name: JobName): RetryPolicy => {
    const override = config.retry?.[name];
    return { attempts: override?.attempts ?? JOBS[name].attempts, backoff: override?.backoff ?? JOBS[name].backoff };
  };

  const isForeign = (job: Job): boolean => (job.data as Envelope | undefined)?.deployment !== config.deploymentId;

  const toRun = (job: Job): JobRun =>
    ({
      name: job.name,
      jobId: job.id!,
      payload: (job.data as Envelope).payload,
      attempt: job.attemptsMade + 1,
      maxAttempts: job.opts.attempts ?? 1,
    }) as JobRun;

  return {
    kind: 'bullmq',
    deploymentId: config.deploymentId,

    async enqueue<N extends JobName>(name: N, payload: JobPayload<N>, options: EnqueueOptions = {}): Promise<EnqueueResult> {
      validatePayload(name, payload);
      const jobId = jobIdFor(name, payload, config.deploymentId);
      const policy = policyOf(name);
      const token = randomUUID();
      const envelope: Envelope = { payload, token, deployment: config.deploymentId };
      return guarded(`enqueue ${name}`, async () => {
        const queue = await queueFor(JOBS[name].queue);
        await queue.add(name, envelope, {
          jobId,
          delay: options.delayMs,
          attempts: policy.attempts,
          backoff: { type: policy.backoff.type, delay: policy.backoff.delayMs },
          // Finished jobs stay a while so a repeated enqueue reports `deduplicated`; the
          // database's unique constraints guard beyond that horizon.
          removeOnComplete: { age: 7 * DAY_S, count: 10_000 },
          removeOnFail: { age: 30 * DAY_S },
        });
        // BullMQ's add returns the same id whether it stored the job or found one with that id:
        // the stored token says which.
        const stored = await Job.fromId(queue, jobId);
        const storedToken = (stored?.data as Envelope | undefined)?.token;
        return { jobId, deduplicated: storedToken !== undefined && storedToken !== token };
      });
    },

    registerProcessor(queue, processor) {
      if (closed) throw new QueueClosedError();
      if (processors.has(queue)) throw new Error(`queue ${queue} already has a processor`);
      processors.set(queue, processor as unknown as (job: JobRun) => Promise<void>);
    },

    async start() {
      if (closed) throw new QueueClosedError();
      for (const [queue, processor] of processors) {
        if (workers.some((w) => w.name === queue)) continue;
        // A template only: BullMQ duplicates it for the worker's own connections, so it never connects itself.
        const connection = new Redis(config.url, { maxRetriesPerRequest: null, lazyConnect: true });
        connection.on('error', () => {});
        workerConnections.push(connection);
        const worker = new Worker(
          queue,
          async (job: Job) => {
            // Another deployment's job (a REDIS_PREFIX shared by two databases, or a job queued
            // before deployment ids existed): its ids mean other rows. Refuse it without a failure
            // callback; its own deployment's sweep re-enqueues what it still needs.
            if (isForeign(job))
              throw new UnrecoverableError(
                `job ${job.id} belongs to deployment ${(job.data as Envelope).deployment ?? '(none)'}, not ${config.deploymentId}: give each deployment its own REDIS_PREFIX`,
              );
            const run = toRun(job);
            try {
              validatePayload(job.name, run.payload);
            } catch (error) {
              // A malformed payload never becomes valid: fail now, no retries.
              throw new UnrecoverableError((error as Error).message);
            }
            await runInJob(run, () => processor(run));
          },
          {
            connection,
            prefix,
            concurrency: config.worker?.concurrency ?? 1,
            lockDuration: config.worker?.lockDuration ?? 30_000,
            stalledInterval: config.worker?.stalledInterval ?? 30_000,
            maxStalledCount: config.worker?.maxStalledCount ?? 2,
          },
        );
        worker.on('error', () => {}); // connection errors: the worker reconnects by itself
        worker.on('failed', (job, error) => {
          if (!job || isForeign(job)) return;
          const willRetry = !(error instanceof UnrecoverableError) && job.attemptsMade < (job.opts.attempts ?? 1);
          const run = { ...toRun(job), attempt: job.attemptsMade };
          // Bookkeeping must never end the worker: a throwing callback is logged by the process guard.
          try {
            runInJob(run, () => config.onFailure?.(run, error, willRetry));
          } catch (callbackError) {
            void Promise.reject(callbackError);
          }
        });
        workers.push(worker);
      }
      await Promise.all(workers.map((w) => w.waitUntilReady()));
    },

    async close() {
      if (closed) return;
      closed = true;
      // Workers first: they finish their running jobs (the lock keeps others off them meanwhile).
      // A job that outlasts the grace period is abandoned: its lock expires and another worker
      // reruns it through stalled-job recovery.
      // With Redis down nothing can finish gracefully (a job cannot even be marked completed), so
      // stop waiting as soon as the (always connected) producer connection is seen down.
      const watch = { stop: false };
      const outcome = await Promise.race([
        Promise.allSettled(workers.map((w) => w.close())).then(() => 'closed' as const),
        until(() => producer.status !== 'ready', watch).then(() => 'redis down' as const),
        sleepUnref(config.closeTimeoutMs ?? 30_000).then(() => 'timeout' as const),
      ]);
      watch.stop = true;
      if (outcome !== 'closed') {
        await settlesWithin(Promise.allSettled(workers.map((w) => w.close(true))), 2_000);
      }
      // With Redis down a queue's close can wait on a connection that never comes back.
      await settlesWithin(Promise.allSettled([...queues.values()].map((q) => q.close())), 2_000);
      for (const connection of workerConnections) connection.disconnect();
      producer.disconnect();
    },

    async jobState(name, payload): Promise<JobState> {
      const jobId = jobIdFor(name, payload, config.deploymentId);
      return guarded(`state of ${jobId}`, async () => stateOf(await queueFor(JOBS[name].queue), jobId));
    },

    async promote(name, payload): Promise<boolean> {
      const jobId = jobIdFor(name, payload, config.deploymentId);
      return guarded(`promote ${jobId}`, async () => promoteDelayed(await queueFor(JOBS[name].queue), jobId));
    },

    async retryFailed(name, payload): Promise<boolean> {
      const jobId = jobIdFor(name, payload, config.deploymentId);
      return guarded(`retry ${jobId}`, async () => retryFailedJob(await queueFor(JOBS[name].queue), jobId));
    },

    async depths() {
      const entries = await Promise.all(
        QUEUE_NAMES.map(async (name) => {
          const counts = await guarded('depths', async () => (await queueFor(name)).getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed'));
          const depth: QueueDepth = {
            waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
            active: counts.active ?? 0,
            delayed: counts.delayed ?? 0,
            failed: counts.failed ?? 0,
          };
          return [name, depth] as const;
        }),
      );
      return Object.fromEntries(entries) as Record<QueueName, QueueDepth>;
    },

    async ping() {
      await guarded('ping', () => producer.ping());
    },
  };
}
