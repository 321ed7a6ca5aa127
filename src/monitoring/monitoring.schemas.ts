import { type Static, Type } from '@sinclair/typebox';
import { Id, Nullable, PageQuery, Timestamp } from '../http/schemas.js';
import { RetrainConfig } from '../retraining/retrain.schemas.js';
import { DriftFloors, DriftMethods, FeatureDriftSettingsMap } from './drift-settings.schemas.js';

const StringEnum = <T extends string>(values: readonly T[]) => Type.Unsafe<T>({ type: 'string', enum: [...values] });

/** PUT /models/{name}/monitor. Every field is optional; what is left out takes its default. */
export const MonitorConfig = Type.Object(
  {
    window: Type.Optional(
      Type.Union([
        Type.Object({ size: Type.Integer({ minimum: 1, maximum: 10_000_000 }) }, { additionalProperties: false }),
        Type.Object(
          {
            every: Type.String({ minLength: 2, maxLength: 32, description: 'ISO-8601 duration, e.g. PT1H' }),
            allowedLateness: Type.Optional(
              Type.String({
                minLength: 2,
                maxLength: 32,
                description: 'how long after its end a window still takes late rows, each revising its report (ISO-8601 duration, default PT1H; PT0S for none)',
              }),
            ),
          },
          { additionalProperties: false },
        ),
      ]),
    ),
    /** A body column holding each row's time (ISO-8601 or epoch ms), instead of or beside `timestamps`. */
    timestampColumn: Type.Optional(
      Type.String({ minLength: 1, maxLength: 256, description: "the body column holding each row's time (ISO-8601 or epoch ms)" }),
    ),
    minSamples: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    methods: Type.Optional(DriftMethods),
    bins: Type.Optional(Type.Integer({ minimum: 2, maximum: 1000 })),
    alpha: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 })),
    correction: Type.Optional(StringEnum(['bonferroni', 'bh', 'none'] as const)),
    psiThreshold: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    driftShare: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
    critical: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 1000 })),
    /** Effect-size floors beside a significant test (docs/drift-semantics.md). */
    floors: Type.Optional(DriftFloors),
    /** Per-feature overrides: methods, alpha, psiThreshold, floors, critical, ignore. */
    features: Type.Optional(FeatureDriftSettingsMap),
    performance: Type.Optional(Type.Object({ tolerance: Type.Number({ minimum: 0, maximum: 1 }) }, { additionalProperties: false })),
    /** The retrain policy (docs/retraining.md); setting an executor needs the admin scope. */
    retrain: Type.Optional(RetrainConfig),
  },
  {
    additionalProperties: false,
    examples: [
      {
        window: { every: 'PT1H' },
        minSamples: 500,
        methods: ['psi', 'ks', 'chi2'],
        psiThreshold: 0.2,
        retrain: { on: ['datasetDrift'], executor: { type: 'command', command: ['python3', 'train.py'] }, promote: { metric: 'accuracy' } },
      },
    ],
  },
);
export type MonitorConfig = Static<typeof MonitorConfig>;

/** The same schema, named for the document (a body schema itself carries no `$id`: the validator compiles it per app). */
const NamedMonitorConfig = { ...MonitorConfig, $id: 'MonitorConfig', title: 'MonitorConfig' };

export const MonitorView = Type.Object(
  {
    model: Type.String(),
    config: NamedMonitorConfig,
    /** The configuration with every default filled in: what the drift jobs use. */
    effective: Type.Record(Type.String(), Type.Unknown(), { description: 'the configuration with every default filled in: what the drift jobs use' }),
    updatedAt: Nullable(Type.String()),
  },
  {
    $id: 'Monitor',
    title: 'Monitor',
    examples: [
      {
        model: 'churn',
        config: { window: { every: 'PT1H' }, minSamples: 500 },
        effective: { window: { every: 'PT1H', allowedLateness: 'PT1H' }, minSamples: 500, alpha: 0.05, correction: 'bh', psiThreshold: 0.2, driftShare: 0.5 },
        updatedAt: '2026-12-01T17:00:00.000Z',
      },
    ],
  },
);

export const ReferenceQuery = Type.Object({}, { additionalProperties: false });

export const ReferenceSummary = Type.Object(
  {
    model: Type.String(),
    version: Type.Integer(),
    rows: Type.Integer(),
    chunks: Type.Integer(),
    sha256: Type.String(),
    size: Type.Integer(),
    updatedAt: Type.String(),
    features: Type.Array(Type.Record(Type.String(), Type.Unknown()), { description: 'per feature: counts, quantiles or frequencies, bin edges' }),
  },
  {
    $id: 'Reference',
    title: 'Reference',
    examples: [
      {
        model: 'churn',
        version: 3,
        rows: 50000,
        chunks: 1,
        sha256: 'a3f5c0de9b1e4f27a3f5c0de9b1e4f27a3f5c0de9b1e4f27a3f5c0de9b1e4f27',
        size: 48213,
        updatedAt: '2026-12-01T16:45:00.000Z',
        features: [{ name: 'age', type: 'numeric', count: 50000, missing: 0 }],
      },
    ],
  },
);

const Column = Type.Array(Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]));
const Outcomes = Type.Array(Type.Union([Type.Number(), Type.String(), Type.Null()]), { description: 'aligned with the rows' });
const BATCH_FIELDS = {
  rows: Type.Optional(Type.Array(Type.Record(Type.String(), Type.Unknown()), { description: 'one object per row, feature → value; or send columns' })),
  columns: Type.Optional(Type.Record(Type.String(), Column, { description: 'feature → values, one per row; or send rows' })),
};

/**
 * Documents the JSON body of POST /models/{name}/samples (the handler reads and checks it in one
 * pass against the version's features: monitoring/ingest-json.ts; this schema validates nothing).
 */
export const SampleBatchDoc = Type.Object(
  {
    ...BATCH_FIELDS,
    predictions: Type.Optional(Outcomes),
    labels: Type.Optional(Outcomes),
    ids: Type.Optional(Type.Array(Type.Union([Type.String({ maxLength: 256 }), Type.Null()]), { description: 'sample ids, for labels posted later' })),
    scores: Type.Optional(Type.Array(Type.Unknown(), { description: 'per row P(positive class), or with classes one probability per class' })),
    classes: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Number()]))),
    timestamps: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Number()]), { description: "each row's time: ISO-8601 with a zone, or epoch ms" })),
    batchId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._:-]{1,200}$' })),
    version: Type.Optional(Type.Integer({ minimum: 1 })),
    alias: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  },
  {
    title: 'SampleBatch',
    description: 'rows or columns, with optional outcomes aligned with them; the target version by version or alias',
    examples: [
      {
        rows: [
          { age: 41, plan: 'pro' },
          { age: 29, plan: 'free' },
        ],
        predictions: [1, 0],
        ids: ['s-1', 's-2'],
        timestamps: ['2026-12-02T07:12:00Z', '2026-12-02T07:13:30Z'],
        alias: 'production',
      },
    ],
  },
);

/** Documents the JSON body of POST …/reference: rows or columns of training data. */
export const ReferenceChunkDoc = Type.Object(BATCH_FIELDS, {
  title: 'ReferenceChunk',
  examples: [{ columns: { age: [41, 29, 35], plan: ['pro', 'free', 'free'] } }],
});

export const SampleTarget = Type.Object(
  {
    version: Type.Optional(Id),
    alias: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  },
  { additionalProperties: false },
);

export const SamplesAccepted = Type.Object(
  {
    accepted: Type.Integer(),
    batchId: Type.String(),
    version: Type.Integer(),
    windowsCompleted: Type.Integer(),
    /** Rows stamped in a time window whose allowed lateness had passed and whose report was final: stored, in no report. */
    late: Type.Integer(),
    /** Reports that late rows of this batch revise (a recompute was requested). */
    reportsUpdated: Type.Array(Type.Integer()),
  },
  {
    $id: 'SamplesAccepted',
    title: 'SamplesAccepted',
    examples: [{ accepted: 1000, batchId: 'b-2026-12-02T08', version: 3, windowsCompleted: 1, late: 0, reportsUpdated: [] }],
  },
);

export const LabelsBody = Type.Object(
  {
    items: Type.Array(
      Type.Object(
        { id: Type.String({ minLength: 1, maxLength: 256 }), label: Type.Union([Type.Number(), Type.String({ maxLength: 256 })]) },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 10_000 },
    ),
  },
  {
    additionalProperties: false,
    examples: [
      {
        items: [
          { id: 's-1', label: 1 },
          { id: 's-2', label: 0 },
        ],
      },
    ],
  },
);
export type LabelsBody = Static<typeof LabelsBody>;
export const LabelsAccepted = Type.Object(
  {
    accepted: Type.Integer(),
    /** Ids a stored sample has. */
    matched: Type.Array(Type.String()),
    /** Ids no stored sample has (yet): kept, joined when the sample arrives. */
    unmatched: Type.Array(Type.String()),
    /** Reports whose performance section these labels change: each gets a new revision. */
    reportsUpdated: Type.Array(Type.Integer()),
  },
  { $id: 'LabelsAccepted', title: 'LabelsAccepted', examples: [{ accepted: 2, matched: ['s-1'], unmatched: ['s-2'], reportsUpdated: [76] }] },
);

export const DriftRangeBody = Type.Object(
  { version: Type.Optional(Id), from: Timestamp, to: Timestamp },
  { additionalProperties: false, examples: [{ version: 3, from: '2026-12-01T00:00:00.000Z', to: '2026-12-02T00:00:00.000Z' }] },
);
export type DriftRangeBody = Static<typeof DriftRangeBody>;

export const ListReportsQuery = Type.Object(
  {
    ...PageQuery,
    version: Type.Optional(Id),
    from: Type.Optional(Timestamp),
    to: Type.Optional(Timestamp),
    drifted: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type ListReportsQuery = Static<typeof ListReportsQuery>;

export const ReportIdParams = Type.Object({ id: Id }, { additionalProperties: false });
export const TimelineQuery = Type.Object(
  {
    feature: Type.Optional(Type.String({ maxLength: 256 })),
    version: Type.Optional(Id),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 200 }),
  },
  { additionalProperties: false },
);
export type TimelineQuery = Static<typeof TimelineQuery>;

/** Why a report failed: no reference on its version or any ancestor, or a job that gave up. */
export const FAILURE_REASONS = ['no_reference', 'job_failed'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];
/**
 * A failed report's reason. Rows failed before the reason was stored carry only the message; the
 * only failure then that was not the job giving up was the missing reference, which said so.
 */
export function failureReasonOf(row: { status: string; failureReason: string | null; error: string | null }): FailureReason | null {
  if (row.status !== 'failed') return null;
  if (row.failureReason !== null) return row.failureReason as FailureReason;
  return row.error?.includes('has no reference data') ? 'no_reference' : 'job_failed';
}
const NullableFailureReason = Type.Unsafe<FailureReason | null>({ type: ['string', 'null'], enum: [...FAILURE_REASONS, null] });

/** A report's summary (lists) or whole (GET /drift-reports/{id}, with per-feature results and histograms). */
export const DriftReportView = Type.Object(
  {
    id: Type.Integer(),
    model: Type.String(),
    version: Type.Integer(),
    window: Type.Object({
      kind: Type.String(),
      key: Type.String(),
      seqFrom: Nullable(Type.Integer()),
      seqTo: Nullable(Type.Integer()),
      from: Nullable(Type.String()),
      to: Nullable(Type.String()),
    }),
    status: StringEnum(['pending', 'done', 'failed'] as const),
    sampleCount: Nullable(Type.Integer()),
    datasetDrift: Nullable(Type.Boolean()),
    driftShare: Nullable(Type.Number()),
    driftedFeatures: Type.Optional(Type.Array(Type.String())),
    performance: Type.Optional(Type.Unknown()),
    features: Type.Optional(Type.Array(Type.Record(Type.String(), Type.Unknown()))),
    options: Type.Optional(Type.Unknown()),
    /** The version whose reference profile the window was compared with: its own, or the nearest ancestor's that has one. */
    referenceVersion: Nullable(Type.Integer()),
    error: Nullable(Type.String()),
    failureReason: NullableFailureReason,
    /** 1 for the first computation, +1 for each recompute after late labels or rows (0 while pending). */
    revision: Type.Integer(),
    /** A newer revision is requested and not computed yet. */
    revisionPending: Type.Boolean(),
    /** When late labels last asked for a revision. */
    labelsUpdatedAt: Nullable(Type.String()),
    createdAt: Type.String(),
    completedAt: Nullable(Type.String()),
  },
  {
    $id: 'DriftReport',
    title: 'DriftReport',
    examples: [
      {
        id: 76,
        model: 'churn',
        version: 3,
        window: { kind: 'time', key: '2026-12-02T07:00:00.000Z', seqFrom: null, seqTo: null, from: '2026-12-02T07:00:00.000Z', to: '2026-12-02T08:00:00.000Z' },
        status: 'done',
        sampleCount: 1200,
        datasetDrift: true,
        driftShare: 0.5,
        driftedFeatures: ['age'],
        referenceVersion: 3,
        error: null,
        failureReason: null,
        revision: 1,
        revisionPending: false,
        labelsUpdatedAt: null,
        createdAt: '2026-12-02T08:00:00.000Z',
        completedAt: '2026-12-02T08:00:02.000Z',
      },
    ],
  },
);
export type DriftReportView = Static<typeof DriftReportView>;

export const TimelinePoint = Type.Object(
  {
    reportId: Type.Integer(),
    /** The report's newest revision, which every value here is from. */
    revision: Type.Integer(),
    performanceDegraded: Nullable(Type.Boolean()),
    version: Type.Integer(),
    referenceVersion: Type.Integer(),
    from: Nullable(Type.String()),
    to: Nullable(Type.String()),
    datasetDrift: Type.Boolean(),
    driftShare: Type.Number(),
    features: Type.Array(
      Type.Object({
        name: Type.String(),
        drifted: Type.Boolean(),
        status: Type.String(),
        psi: Nullable(Type.Number()),
        statistic: Nullable(Type.Number()),
        pValue: Nullable(Type.Number()),
        /** The rules that found drift: `missing`, `psi`, `test+psi`, `test+<effect size>` (e.g. `test+wasserstein`). */
        reasons: Type.Array(Type.String()),
        /** Share of rows with the feature missing, in the reference and in the window. */
        missingRate: Nullable(Type.Object({ reference: Type.Number(), current: Type.Number() })),
      }),
    ),
    /** The window's performance section (status, metrics, baseline), as in the report. */
    performance: Type.Unknown(),
  },
  { $id: 'TimelinePoint', title: 'TimelinePoint' },
);

export const DriftTimeline = Type.Object(
  { model: Type.String(), points: Type.Array(TimelinePoint) },
  {
    $id: 'DriftTimeline',
    title: 'DriftTimeline',
    examples: [
      {
        model: 'churn',
        points: [
          {
            reportId: 76,
            revision: 1,
            performanceDegraded: null,
            version: 3,
            referenceVersion: 3,
            from: '2026-12-02T07:00:00.000Z',
            to: '2026-12-02T08:00:00.000Z',
            datasetDrift: true,
            driftShare: 0.5,
            features: [
              {
                name: 'age',
                drifted: true,
                status: 'drifted',
                psi: 0.31,
                statistic: 0.12,
                pValue: 0.0004,
                reasons: ['test+wasserstein', 'psi'],
                missingRate: { reference: 0, current: 0.01 },
              },
            ],
            performance: { status: 'ok', task: 'classification', labeled: 200, metrics: { accuracy: 0.91 }, degraded: false },
          },
        ],
      },
    ],
  },
);

/** GET /models/{name}/monitor/status: whether the model's windows still end in reports. */
export const MonitorStatus = Type.Object(
  {
    model: Type.String(),
    /** ok: the newest finished report succeeded · stopped: it failed (see reason) · idle: no report finished yet. */
    state: StringEnum(['ok', 'stopped', 'idle'] as const),
    reason: NullableFailureReason,
    /** The failed report's error: what to do about it. */
    message: Nullable(Type.String()),
    /** The newest finished report and its version. */
    reportId: Nullable(Type.Integer()),
    version: Nullable(Type.Integer()),
    /** When the newest successful report finished. */
    lastReportAt: Nullable(Type.String()),
  },
  {
    $id: 'MonitorStatus',
    title: 'MonitorStatus',
    examples: [{ model: 'churn', state: 'ok', reason: null, message: null, reportId: 76, version: 3, lastReportAt: '2026-12-02T08:00:02.000Z' }],
  },
);
export type MonitorStatus = Static<typeof MonitorStatus>;
