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

export const ModelSummary = Type.Object(
  {
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
  },
  {
    $id: 'ModelSummary',
    title: 'ModelSummary',
    examples: [
      {
        name: 'churn',
        description: 'Monthly churn classifier',
        latestVersion: 3,
        aliases: { production: 3 },
        health: { state: 'healthy', reason: null, message: null, reportId: 76, lastReportAt: '2026-12-02T08:00:04.000Z', staleAfterSeconds: 7200 },
        drift: {
          reportId: 76,
          version: 3,
          from: '2026-12-02T07:00:00.000Z',
          to: '2026-12-02T08:00:00.000Z',
          datasetDrift: true,
          driftShare: 0.5,
          driftedFeatures: ['age'],
          driftingSince: '2026-12-02T05:00:00.000Z',
          driftingWindows: 3,
        },
        performance: { status: 'ok', task: 'classification', labeled: 200, metrics: { accuracy: 0.91 }, degraded: false },
        retrain: {
          id: 12,
          status: 'succeeded',
          resultVersion: 3,
          decision: 'promoted',
          error: null,
          createdAt: '2026-12-01T22:00:00.000Z',
          finishedAt: '2026-12-01T22:03:10.000Z',
        },
      },
    ],
  },
);
export type ModelSummary = Static<typeof ModelSummary>;
