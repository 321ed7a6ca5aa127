import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { EventsService } from '../events/events.service.js';
import { hostOf, killRunner, processAlive } from './executors/process-group.js';
import type { RetrainJobRow, RetrainJobsRepository } from './retrain-jobs.repository.js';

/**
 * Retrain job leases. A run holds its job by a lease in the database (`leaseOwner` =
 * `host/pid/instance`, `leaseExpiresAt`), renewed by a heartbeat; the job's `attempts` counter is
 * the fencing token: every run knows the attempt it claimed, and the heartbeat, the failure, the
 * version registration and the success of a run whose attempt is no longer the job's current one
 * are refused. When the lease passes (the worker was SIGKILLed, its host is gone, Redis lost its
 * queue job), the next claim or the sweep's `reconcile` takes the job over: it kills the trainer
 * if it runs on this host (the job's `runner` names `host/pgid`), otherwise the attempt bump fences
 * it, and then reruns the job — or fails it once `maxAttempts` runs have been started.
 */
export interface LeaseConfig {
  leaseMs: number;
  heartbeatMs: number;
  maxAttempts: number;
}
export const DEFAULT_LEASE_CONFIG: LeaseConfig = { leaseMs: 60_000, heartbeatMs: 10_000, maxAttempts: 3 };

export const leaseExpiredReason = (attempts: number) => `lease expired after ${attempts} attempt${attempts === 1 ? '' : 's'}`;

type LeaseFields = Pick<RetrainJobRow, 'status' | 'leaseOwner' | 'leaseExpiresAt'>;

/**
 * Whether nobody runs a `running` job any more, as far as this host can tell: its lease has passed
 * (or it never had one), or its holder is a process of this host that is gone. A holder on another
 * host is trusted until its lease passes: only its heartbeat speaks for it.
 */
export function holderGone(job: LeaseFields, now: Date, host: string = hostname()): boolean {
  if (job.status !== 'running') return false;
  if (!job.leaseOwner || !job.leaseExpiresAt || Date.parse(job.leaseExpiresAt) <= now.getTime()) return true;
  if (hostOf(job.leaseOwner) !== host) return false;
  return !processAlive(Number(job.leaseOwner.split('/')[1]));
}

/** Resolves after `ms` or when `signal` aborts, leaving no listener behind. */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

export interface LeaseKeeper {
  /** The lease was taken from this run (fenced) or could not be renewed in time: it must stop and record nothing. */
  readonly lost: boolean;
  stop(): void;
}

export function createLeases(deps: {
  repo: RetrainJobsRepository;
  events: EventsService;
  config?: Partial<LeaseConfig>;
  now?: () => Date;
  log?: (message: string, error?: unknown) => void;
}) {
  const config = { ...DEFAULT_LEASE_CONFIG, ...deps.config };
  const { repo, events } = deps;
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? (() => undefined);
  // The instance part tells this runner from another one in the same process (tests build several).
  const owner = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  const running = new Set<number>();
  const expiry = () => new Date(now().getTime() + config.leaseMs).toISOString();
  /** As holderGone, and also: a lease of this very runner on a job it no longer runs (a run that threw). */
  const gone = (job: RetrainJobRow) => holderGone(job, now()) || (job.status === 'running' && job.leaseOwner === owner && !running.has(job.id));

  /**
   * Ends the run of a locked `running` job whose holder is gone (inside the job's transaction):
   * kills its trainer if it runs here, then honours a cancel request, fails the job once its runs
   * are used up, or answers 'rerun' (the caller claims the next attempt or queues the job).
   */
  async function endDeadRun(job: RetrainJobRow, model: { id: number; name: string }): Promise<'cancelled' | 'failed' | 'rerun'> {
    if (killRunner(job.runner)) log(`retrain job ${job.id}: killed the trainer of attempt ${job.attempts} (${job.runner})`);
    const ended = { activeModelId: null, finishedAt: now().toISOString(), runner: null, leaseOwner: null, leaseExpiresAt: null };
    if (job.cancelRequestedAt) {
      await repo.update(job.id, { status: 'cancelled', error: 'cancelled', ...ended });
      await events.record({ type: 'retrain.cancelled', model, data: { job: job.id, reason: 'cancelled' }, actor: undefined });
      return 'cancelled';
    }
    const last = job.attempts >= config.maxAttempts;
    await events.record({
      type: 'retrain.lease_expired',
      model,
      data: { job: job.id, attempt: job.attempts, holder: job.leaseOwner, trainer: job.runner, outcome: last ? 'failed' : 'rerun' },
      actor: undefined,
    });
    if (!last) return 'rerun';
    const reason = leaseExpiredReason(job.attempts);
    await repo.update(job.id, { status: 'failed', error: reason, ...ended });
    await events.record({ type: 'retrain.failed', model, data: { job: job.id, reason }, actor: undefined });
    return 'failed';
  }

  return {
    config,
    gone,
    endDeadRun,
    /** The lease columns of a run this runner starts now. */
    grant: () => ({ leaseOwner: owner, leaseExpiresAt: expiry() }),

    /**
     * While a run lasts: renews its lease every heartbeat and looks for a cancel request every
     * poll; either aborts `controller` (which kills the trainer). The lease is `lost` when the
     * renewal finds the attempt fenced (taken over, cancelled, finished) or fails for a whole lease
     * duration (the database unreachable: another worker may take the job over meanwhile, so this
     * run stops itself rather than race it).
     */
    keep(jobId: number, attempt: number, controller: AbortController, pollMs: number): LeaseKeeper {
      running.add(jobId);
      let lost = false;
      let stopped = false;
      let renewedAt = Date.now();
      let beatAt = renewedAt;
      const { signal } = controller;
      const loseIt = (why: string) => {
        lost = true;
        log(`retrain job ${jobId}: attempt ${attempt} lost its lease (${why}); stopping it`);
        controller.abort();
      };
      void (async () => {
        while (!stopped && !signal.aborted) {
          await sleep(Math.min(pollMs, config.heartbeatMs), signal);
          if (stopped || signal.aborted) return;
          if (Date.now() - beatAt >= config.heartbeatMs) {
            beatAt = Date.now();
            const renewed = await repo.renewLease(jobId, attempt, expiry()).catch((e: unknown) => log(`retrain job ${jobId}: lease renewal failed`, e));
            if (stopped) return;
            if (renewed === false) return loseIt('fenced: the job is no longer running under this attempt');
            if (renewed) renewedAt = beatAt;
            else if (Date.now() - renewedAt >= config.leaseMs) return loseIt(`not renewed for ${config.leaseMs} ms`);
          }
          if ((await repo.find(jobId).catch(() => undefined))?.cancelRequestedAt) controller.abort();
        }
      })();
      return {
        get lost() {
          return lost;
        },
        stop() {
          stopped = true;
          running.delete(jobId);
        },
      };
    },

    /** A run that failed in a way the queue retries: the job waits `queued` for it, rather than showing `running` meanwhile. */
    async release(jobId: number, attempt: number): Promise<void> {
      await repo.transaction(async () => {
        const job = await repo.lock(jobId);
        if (job?.status !== 'running' || job.attempts !== attempt) return;
        await repo.update(jobId, { status: 'queued', runner: null, leaseOwner: null, leaseExpiresAt: null });
      });
    },

    /**
     * For the sweep: every running job whose holder is gone is ended (cancelled, or failed with
     * the lease reason after its last attempt) or queued again — the outbox sweep that follows
     * enqueues it. Works without the queue: a job Redis lost is found in the database.
     * Returns how many jobs were taken over.
     */
    async reconcile(): Promise<number> {
      let taken = 0;
      for (const { job, model } of await repo.list({ status: 'running', limit: 500 })) {
        if (!gone(job)) continue;
        const outcome = await repo
          .transaction(async () => {
            const current = await repo.lock(job.id);
            if (!current || !gone(current)) return undefined;
            const result = await endDeadRun(current, { id: current.modelId, name: model });
            if (result === 'rerun') await repo.update(job.id, { status: 'queued', runner: null, leaseOwner: null, leaseExpiresAt: null });
            return result;
          })
          .catch((e: unknown) => log(`retrain job ${job.id}: could not take over its expired lease`, e));
        if (outcome) {
          taken++;
          log(`retrain job ${job.id}: lease expired, ${outcome === 'rerun' ? 'queued again' : outcome}`);
        }
      }
      return taken;
    },
  };
}
export type Leases = ReturnType<typeof createLeases>;
