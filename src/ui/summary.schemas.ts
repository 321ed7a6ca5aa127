import { type Static, Type } from '@sinclair/typebox';
import { Nullable, Timestamp } from '../http/schemas.js';

const StringEnum = <T extends string>(values: readonly T[]) => Type.Unsafe<T>({ type: 'string', enum: [...values] });

/**
 * Monitoring health of a model, for the dashboard: healthy (reports keep coming), stale (none for
 * longer than `staleAfterSeconds`), failing (the newest finished report failed: see reason and
 * message), no_reference (it failed because no version up the lineage has reference data),
 * idle (no report has finished yet).
 */
export const HEALTH_STATES = ['healthy', 'stale', 'failing', 'no_reference', 'idle'] as const;
export type HealthState = (typeof HEALTH_STATES)[number];

export const ModelSummary = Type.Object({
  name: Type.String(),
  description: Nullable(Type.String()),
  latestVersion: Nullable(Type.Integer()),
  aliases: Type.Record(Type.String(), Type.Integer()),
  health: Type.Object({
    state: StringEnum(HEALTH_STATES),
    /** no_reference or job_failed when failing; null otherwise. */
    reason: Nullable(Type.String()),
    /** The failed report's error (what to do about it), or why the monitor is stale. */
    message: Nullable(Type.String()),
    /** The newest finished report (failed or done). */
    reportId: Nullable(Type.Integer()),
    /** When the newest successful report finished. */
    lastReportAt: Nullable(Type.String()),
    /** No successful report for longer than this is stale: twice a time window, 6 h for count windows. */
    staleAfterSeconds: Type.Integer(),
  }),
  /** The newest successful report: the window it covers and its verdict. */
  drift: Nullable(
    Type.Object({
      reportId: Type.Integer(),
      version: Type.Integer(),
      from: Nullable(Type.String()),
      to: Nullable(Type.String()),
      datasetDrift: Type.Boolean(),
      driftShare: Type.Number(),
      driftedFeatures: Type.Array(Type.String()),
      /** Start of the first window of the current unbroken run of drifted windows (null when the newest is not drifted). */
      driftingSince: Nullable(Type.String()),
      /** How many windows that run holds. */
      driftingWindows: Type.Integer(),
    }),
  ),
  /** The newest report's performance section (status, metrics, baseline, degraded), as the report has it. */
  performance: Type.Unknown(),
  /** The newest retrain job: its outcome or error. */
  retrain: Nullable(
    Type.Object({
      id: Type.Integer(),
      status: Type.String(),
      resultVersion: Nullable(Type.Integer()),
      decision: Nullable(Type.String()),
      error: Nullable(Type.String()),
      createdAt: Timestamp,
      finishedAt: Nullable(Type.String()),
    }),
  ),
});
export type ModelSummary = Static<typeof ModelSummary>;
