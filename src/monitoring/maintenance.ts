import type { JobQueue } from '../queue/index.js';
import { requeueLost } from '../queue/requeue.js';
import type { RegistryRepository } from '../registry/registry.repository.js';
import { monitorSettings } from './monitor-config.js';
import type { MonitoringRepository } from './monitoring.repository.js';
import { type SamplesService, TIME_WINDOW_GRACE_MS, timeReportRow, timeWindowKey } from './samples.service.js';
import { timeWindowInterval, timeWindowOf } from './window.js';

const DAY_MS = 86_400_000;
/** A pending report younger than this was just written; its own request is still enqueueing it. */
const OUTBOX_GRACE_MS = 2_000;
/** A monitor that was off for long catches up over several sweeps. */
const MAX_WINDOWS_PER_SWEEP = 100;

/**
 * Background upkeep shared by the API and the workers: the outbox sweep (pending reports whose
 * enqueue was lost — Redis down, a crash between commit and enqueue — go to the queue again;
 * job ids make a repeat harmless), closing time windows, and sample retention.
 */
export function createMaintenance(deps: {
  repo: MonitoringRepository;
  registry: RegistryRepository;
  samples: SamplesService;
  queue: JobQueue;
  retentionDays: number;
  log: (message: string, error?: unknown) => void;
  now?: () => Date;
}) {
  const { repo, registry, samples, queue } = deps;
  const now = deps.now ?? (() => new Date());
  let lastPrune = 0;

  /**
   * Every time window that has ended (plus a grace period for late samples) and holds samples
   * newer than the model's last time-window report gets a `drift.window` job; its deterministic id
   * and the report's unique window key make asking again harmless.
   */
  async function scheduleTimeWindows(): Promise<void> {
    const t = now().getTime();
    for (const modelId of await repo.monitoredModelIds()) {
      const settings = await monitorSettings(repo, modelId);
      if (settings.window.kind !== 'time') continue;
      const lastEnded = timeWindowOf(settings.window, t - TIME_WINDOW_GRACE_MS) - 1;
      const since = (await repo.lastTimeWindowEnd(modelId)) ?? new Date(0).toISOString();
      const first = await repo.firstObservedAfter(modelId, since);
      if (first === undefined) continue;
      const from = timeWindowOf(settings.window, Date.parse(first));
      // Oldest first: the window of the first unreported sample always gets a report, so the next
      // sweep starts after it — a long gap without samples is jumped, never walked.
      // A queue error (Redis down) ends this sweep's scheduling; the next sweep asks again.
      for (let k = from; k <= Math.min(lastEnded, from + MAX_WINDOWS_PER_SWEEP - 1); k++) {
        const payload = { monitorId: modelId, windowIndex: k };
        // A window job that failed for good (an outage longer than its retries) would hold its id
        // for the failed-job retention and the window would never close: run it again instead.
        if ((await queue.jobState('drift.window', payload)) === 'failed') await queue.retryFailed('drift.window', payload);
        else await queue.enqueue('drift.window', payload);
      }
    }
  }

  /**
   * Every pending report older than the grace period whose queue job is not waiting or running
   * goes to the queue again under a new generation (see requeueLost); one in backoff runs now.
   * So a report whose job finished, failed for good (an outage longer than its retries, a failure
   * that could not even be recorded) or vanished (a wiped Redis, a restart) is pending at most one
   * sweep interval plus its run time once the queue and the database answer.
   */
  async function requeuePendingReports(): Promise<number> {
    const before = new Date(now().getTime() - OUTBOX_GRACE_MS).toISOString();
    let requeued = 0;
    for (const { id, generation } of await repo.pendingReports(before, 500)) {
      const outcome = await requeueLost(
        queue,
        'drift.report',
        { current: { reportId: id, generation }, next: { reportId: id, generation: generation + 1 } },
        () => repo.transaction(() => repo.bumpReportGeneration(id, generation)),
        { promoteDelayed: true },
      );
      if (outcome === 'requeued') requeued += 1;
    }
    return requeued;
  }

  return {
    /** `enqueued`: pending reports handed to the queue again (under a new generation). */
    async sweepOnce(): Promise<{ enqueued: number }> {
      const enqueued = await requeuePendingReports();
      await scheduleTimeWindows().catch((e: unknown) => deps.log('time windows not scheduled this sweep: queue unavailable', e));
      if (now().getTime() - lastPrune > 3_600_000) {
        lastPrune = now().getTime();
        const pruned = await repo.transaction(() => repo.pruneBatches(new Date(now().getTime() - deps.retentionDays * DAY_MS).toISOString()));
        if (pruned) deps.log(`pruned ${pruned} sample batches older than ${deps.retentionDays} days`);
      }
      return { enqueued };
    },

    /** Writes the pending report of time window k for the version(s) that received samples in it, and hands them on. */
    async closeTimeWindow(modelId: number, k: number): Promise<void> {
      const settings = await monitorSettings(repo, modelId);
      if (settings.window.kind !== 'time') return;
      const interval = timeWindowInterval(settings.window, k);
      const from = new Date(interval.start).toISOString();
      const to = new Date(interval.end - 1).toISOString();
      const ids: number[] = [];
      for (const versionId of await repo.versionsWithSamples(modelId, from, to)) {
        const version = await registry.findVersionById(versionId);
        if (!version) continue;
        const spec = settings.window;
        const id = await repo.transaction(async () => {
          // Ordered against the version's ingests (see lockSequence), and created after every batch committed before it.
          await repo.lockSequence(versionId);
          const at = now().toISOString();
          return repo.insertPendingReport(timeReportRow(modelId, versionId, timeWindowKey(settings.windowLabel, versionId, k), interval, spec.latenessMs, at));
        });
        if (id !== undefined) ids.push(id);
      }
      await samples.enqueueReports(ids);
    },
  };
}
export type Maintenance = ReturnType<typeof createMaintenance>;

/**
 * Asks for one outbox sweep per interval. The slot number (with the deployment id) is the job id,
 * so however many API and worker processes of one deployment tick, each slot is swept once, and
 * another deployment on the same Redis sweeps its own; a tick while Redis is down is skipped.
 */
export function startSweepTicker(queue: JobQueue, intervalMs: number): () => void {
  const tick = () => void queue.enqueue('outbox.sweep', { slot: Math.floor(Date.now() / intervalMs) }).catch(() => undefined);
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  tick();
  return () => clearInterval(timer);
}
