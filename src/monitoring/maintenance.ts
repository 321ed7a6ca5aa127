import type { JobQueue } from '../queue/index.js';
import type { RegistryRepository } from '../registry/registry.repository.js';
import { monitorSettings } from './monitor-config.js';
import type { MonitoringRepository } from './monitoring.repository.js';
import type { SamplesService } from './samples.service.js';
import { timeWindowInterval, timeWindowOf } from './window.js';

const DAY_MS = 86_400_000;
/** A pending report younger than this was just written; its own request is still enqueueing it. */
const OUTBOX_GRACE_MS = 2_000;
/** Samples may arrive a little after their window ends (clock skew, retries) before it is closed. */
const TIME_WINDOW_GRACE_MS = 5_000;
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
      for (let k = from; k <= Math.min(lastEnded, from + MAX_WINDOWS_PER_SWEEP - 1); k++) {
        await queue.enqueue('drift.window', { monitorId: modelId, windowIndex: k }).catch(() => undefined);
      }
    }
  }

  return {
    async sweepOnce(): Promise<{ enqueued: number }> {
      const before = new Date(now().getTime() - OUTBOX_GRACE_MS).toISOString();
      const pending = await repo.pendingReports(before, 500);
      await samples.enqueueReports(pending.map((p) => p.id));
      await scheduleTimeWindows();
      if (now().getTime() - lastPrune > 3_600_000) {
        lastPrune = now().getTime();
        const pruned = await repo.transaction(() => repo.pruneBatches(new Date(now().getTime() - deps.retentionDays * DAY_MS).toISOString()));
        if (pruned) deps.log(`pruned ${pruned} sample batches older than ${deps.retentionDays} days`);
      }
      return { enqueued: pending.length };
    },

    /** Writes the pending report of time window k for the version(s) that received samples in it, and hands them on. */
    async closeTimeWindow(modelId: number, k: number): Promise<void> {
      const settings = await monitorSettings(repo, modelId);
      if (settings.window.kind !== 'time') return;
      const interval = timeWindowInterval(settings.window, k);
      const from = new Date(interval.start).toISOString();
      const to = new Date(interval.end - 1).toISOString();
      const at = now().toISOString();
      const ids: number[] = [];
      for (const versionId of await repo.versionsWithSamples(modelId, from, to)) {
        const version = await registry.findVersionById(versionId);
        if (!version) continue;
        const id = await repo.transaction(() =>
          repo.insertPendingReport({
            modelId,
            versionId,
            windowKey: `v${versionId}:${settings.windowLabel}:${k}`,
            kind: 'time',
            fromTime: from,
            toTime: to,
            status: 'pending',
            createdAt: at,
          }),
        );
        if (id !== undefined) ids.push(id);
      }
      await samples.enqueueReports(ids);
    },
  };
}
export type Maintenance = ReturnType<typeof createMaintenance>;

/**
 * Asks for one outbox sweep per interval. The slot number is the job id, so however many API and
 * worker processes tick, each slot is swept once; a tick while Redis is down is simply skipped.
 */
export function startSweepTicker(queue: JobQueue, intervalMs: number): () => void {
  const tick = () => void queue.enqueue('outbox.sweep', { slot: Math.floor(Date.now() / intervalMs) }).catch(() => undefined);
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  tick();
  return () => clearInterval(timer);
}
