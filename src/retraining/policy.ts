import { parseIsoDuration } from '../monitoring/duration.js';
import type { RetrainStatus, RetrainTrigger } from './retrain.schemas.js';

/**
 * The retrain policy: PURE (no I/O, the clock is an argument), so every branch is unit-tested and
 * the caller can log the exact reason of each decision to the audit log.
 *
 * Decision order — the first rule that applies wins:
 *   1. `enabled: false`                                  → skip "disabled"
 *   2. no completed report                               → skip "no drift reports"
 *   3. the newest window matches none of `on`            → skip "no trigger matched"
 *   4. fewer than `consecutiveWindows` matching windows,
 *      counted from the newest back to the first miss    → skip "2 of 3 consecutive drifted windows"
 *   5. a job of the model is queued or running           → skip "job 12 still running"
 *   6. the last job was created less than `cooldown` ago → skip "cooldown until 2026-…"
 *   7.                                                   → retrain, triggered by the newest report
 *
 * Triggers are checked before jobs and cooldown so that a "cooldown" or "still running" reason is
 * only ever logged when drift actually asked for a retrain. The cooldown runs from the last job's
 * creation whatever its outcome (manual runs and failures count too): a broken trainer must not be
 * restarted on every window. "Consecutive" means consecutive reports as the caller lists them; a
 * window without a report (too few samples) does not break a run.
 */

export interface PolicyConfig {
  enabled: boolean;
  on: readonly RetrainTrigger[];
  /** Default 1. */
  consecutiveWindows?: number;
  /** ISO-8601 duration; default PT6H. */
  cooldown?: string;
}

/** One completed drift report, as the policy sees it. */
export interface ReportVerdict {
  reportId: number;
  datasetDrift: boolean;
  criticalDrifted: boolean;
  performanceDegraded: boolean;
  completedAt: string;
}

export interface LastJob {
  id: number;
  status: RetrainStatus;
  createdAt: string;
}

export type PolicyDecision = { action: 'retrain'; reason: string; triggerReportId: number; matched: RetrainTrigger[] } | { action: 'skip'; reason: string };

export const DEFAULT_COOLDOWN = 'PT6H';
export const DEFAULT_CONSECUTIVE_WINDOWS = 1;

/** Which of the configured triggers a report's verdict fires. */
export function matchedTriggers(on: readonly RetrainTrigger[], v: ReportVerdict): RetrainTrigger[] {
  return on.filter((t) => (t === 'datasetDrift' ? v.datasetDrift : t === 'criticalFeature' ? v.criticalDrifted : v.performanceDegraded));
}

/**
 * Decides whether the model's latest reports call for a retrain now.
 * @param verdicts the model's most recent completed reports, NEWEST FIRST (at least
 *   `consecutiveWindows` of them when that many exist).
 * @param lastJob the model's most recently created retrain job, if any.
 * @param now the current time (the clock is an argument: this function is pure).
 * @throws DurationError when `cooldown` is not a usable duration (validated on PUT /monitor).
 */
export function decideRetrain(input: { config: PolicyConfig; verdicts: readonly ReportVerdict[]; lastJob?: LastJob | undefined; now: Date }): PolicyDecision {
  const { config, verdicts, lastJob, now } = input;
  if (!config.enabled) return { action: 'skip', reason: 'disabled' };
  const newest = verdicts[0];
  if (!newest) return { action: 'skip', reason: 'no drift reports' };
  const matched = matchedTriggers(config.on, newest);
  if (matched.length === 0) return { action: 'skip', reason: 'no trigger matched' };

  const needed = config.consecutiveWindows ?? DEFAULT_CONSECUTIVE_WINDOWS;
  let run = 0;
  while (run < verdicts.length && run < needed && matchedTriggers(config.on, verdicts[run]!).length > 0) run++;
  if (run < needed) return { action: 'skip', reason: `${run} of ${needed} consecutive drifted windows` };

  if (lastJob && (lastJob.status === 'queued' || lastJob.status === 'running')) {
    return { action: 'skip', reason: `job ${lastJob.id} still ${lastJob.status}` };
  }
  if (lastJob) {
    const until = Date.parse(lastJob.createdAt) + parseIsoDuration(config.cooldown ?? DEFAULT_COOLDOWN);
    if (now.getTime() < until) return { action: 'skip', reason: `cooldown until ${new Date(until).toISOString()}` };
  }
  return { action: 'retrain', reason: `${run} of ${needed} consecutive drifted windows (${matched.join(', ')})`, triggerReportId: newest.reportId, matched };
}

/**
 * The second gate, after {@link decideRetrain} said retrain: enough labelled rows in the
 * training windows (labelledRows ≥ minLabelledRows), else skip "37 labelled rows < 100". It
 * belongs here, before a job exists, so nothing is queued (let alone left `running`) that could
 * only fail; the runner checks again for manual jobs.
 */
export function decideTrainingData(input: { labelledRows: number; minLabelledRows: number }): { action: 'train' } | { action: 'skip'; reason: string } {
  if (input.labelledRows < input.minLabelledRows) return { action: 'skip', reason: `${input.labelledRows} labelled rows < ${input.minLabelledRows}` };
  return { action: 'train' };
}
