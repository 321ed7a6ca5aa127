import { type Static, Type } from '@sinclair/typebox';
import { Id, Nullable, Timestamp } from '../http/schemas.js';
import { Task } from '../registry/registry.schemas.js';
import { PROMOTE_METRICS } from './paired-tests.js';

/** A union of literals (not Type.Unsafe) so TypeCompiler and Value.Default understand it too. */
const StringEnum = <T extends string>(values: readonly T[], options: Record<string, unknown> = {}) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  ) as unknown as TLiteralUnion<T>;
type TLiteralUnion<T extends string> = ReturnType<typeof Type.Unsafe<T>>;

export const RETRAIN_TRIGGERS = ['datasetDrift', 'criticalFeature', 'performanceDegraded'] as const;
export type RetrainTrigger = (typeof RETRAIN_TRIGGERS)[number];

/** http(s) only: a webhook or executor URL must never reach file:, gopher: or similar schemes. */
export const HTTP_URL_PATTERN = '^https?://[^\\s/$.?#][^\\s]*$';

/**
 * Optional: ajv fills no defaults inside the executor union (anyOf), so a required property with
 * a default would be demanded from every client. `withExecutorDefaults` fills it in instead.
 */
export const DEFAULT_EXECUTOR_TIMEOUT_S = 3600;
const ExecutorTimeout = Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 86_400, default: DEFAULT_EXECUTOR_TIMEOUT_S }));

export const CommandExecutor = Type.Object(
  {
    type: Type.Literal('command'),
    /** argv, run without a shell: no quoting bugs, no injection through model names. */
    command: Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), { minItems: 1, maxItems: 256 }),
    cwd: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    env: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' }), Type.String({ maxLength: 32_768 }), { maxProperties: 100 })),
    timeoutSeconds: ExecutorTimeout,
  },
  {
    additionalProperties: false,
    $id: 'CommandExecutor',
    title: 'CommandExecutor',
    examples: [{ type: 'command', command: ['python3', 'train.py'], timeoutSeconds: 3600 }],
  },
);
export type CommandExecutor = Static<typeof CommandExecutor>;

export const WebhookExecutor = Type.Object(
  {
    type: Type.Literal('webhook'),
    url: Type.String({ pattern: HTTP_URL_PATTERN, maxLength: 2048 }),
    /** Signs the request (Standard Webhooks); at least 128 bits if it is random text. */
    secret: Type.String({ minLength: 16, maxLength: 512 }),
    timeoutSeconds: ExecutorTimeout,
  },
  {
    additionalProperties: false,
    $id: 'WebhookExecutor',
    title: 'WebhookExecutor',
    examples: [{ type: 'webhook', url: 'https://ci.internal/hooks/train', secret: 'whsec-0123456789abcdef', timeoutSeconds: 3600 }],
  },
);
export type WebhookExecutor = Static<typeof WebhookExecutor>;

export const ExecutorConfig = Type.Union([CommandExecutor, WebhookExecutor]);
export type ExecutorConfig = Static<typeof ExecutorConfig>;

export const PromoteConfig = Type.Object(
  {
    alias: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$', default: 'production' }),
    /** Computed by mlcycle on the holdout (never read from metrics.json); its direction is the metric's own. */
    metric: StringEnum(PROMOTE_METRICS),
    /** Optional; when given it must agree with the metric (max: accuracy, f1, precision, recall; min: error_rate, mae, rmse). */
    mode: Type.Optional(StringEnum(['max', 'min'] as const)),
    minImprovement: Type.Number({ minimum: 0, default: 0 }),
    /** Significance level of the paired test (exact McNemar for accuracy/error_rate, seeded paired bootstrap otherwise). */
    alpha: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.05 }),
  },
  {
    additionalProperties: false,
    $id: 'PromoteConfig',
    title: 'PromoteConfig',
    examples: [{ alias: 'production', metric: 'accuracy', minImprovement: 0, alpha: 0.05 }],
  },
);
export type PromoteConfig = Static<typeof PromoteConfig>;

/** The monitor body's `retrain` field (PUT /models/{name}/monitor). */
export const RetrainConfig = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    on: Type.Array(StringEnum(RETRAIN_TRIGGERS), { minItems: 1, uniqueItems: true, default: ['datasetDrift'] }),
    consecutiveWindows: Type.Integer({ minimum: 1, maximum: 1000, default: 1 }),
    cooldown: Type.String({ minLength: 2, maxLength: 32, default: 'PT6H', description: 'ISO-8601 duration, e.g. PT6H' }),
    executor: ExecutorConfig,
    promote: Type.Optional(PromoteConfig),
    /** How many windows of the base version, up to the triggering one, train.csv and holdout.csv are cut from. */
    trainingWindows: Type.Integer({ minimum: 1, maximum: 100, default: 1 }),
    /** Share of the eligible samples (labelled, with a posted prediction) that goes to holdout.csv, by a hash of the sample id. */
    holdoutShare: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.2 }),
    /** Fewer labelled rows than this in those windows: no job is started (`retrain.skipped`). */
    minLabelledRows: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 100 }),
  },
  {
    additionalProperties: false,
    $id: 'RetrainConfig',
    title: 'RetrainConfig',
    examples: [{ on: ['datasetDrift'], cooldown: 'PT6H', executor: { type: 'command', command: ['python3', 'train.py'] }, promote: { metric: 'accuracy' } }],
  },
);
export type RetrainConfig = Static<typeof RetrainConfig>;

/** mlcycle's own scoring of champion and challenger on the same holdout rows, and what it decided. */
export const Evaluation = Type.Object(
  {
    /** Holdout rows scored (rows the trainer never saw labelled). */
    rows: Type.Integer(),
    metric: Type.String(),
    /** The champion's predictions are the ones serving code posted for those samples. */
    champion: Nullable(Type.Number()),
    challenger: Nullable(Type.Number()),
    pValue: Nullable(Type.Number()),
    test: Type.Union([Type.Literal('mcnemar'), Type.Literal('bootstrap'), Type.Null()]),
    alpha: Type.Number(),
    minImprovement: Type.Number(),
    championVersion: Nullable(Type.Integer()),
    decision: StringEnum(['promoted', 'challenger'] as const),
    alias: Type.String(),
    reason: Type.String(),
  },
  { $id: 'Evaluation', title: 'Evaluation' },
);
export type Evaluation = Static<typeof Evaluation>;

export const RETRAIN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type RetrainStatus = (typeof RETRAIN_STATUSES)[number];
export const ACTIVE_STATUSES: readonly RetrainStatus[] = ['queued', 'running'];

export const RetrainJobView = Type.Object(
  {
    id: Type.Integer(),
    model: Type.String(),
    baseVersion: Nullable(Type.Integer()),
    trigger: StringEnum(['drift', 'manual'] as const),
    triggerReportId: Nullable(Type.Integer()),
    requestedBy: Nullable(Type.String()),
    status: StringEnum(RETRAIN_STATUSES),
    attempts: Type.Integer(),
    executor: Type.Object({ type: Type.String() }, { additionalProperties: true }),
    datasetUri: Nullable(Type.String()),
    resultVersion: Nullable(Type.Integer()),
    evaluation: Nullable(Evaluation),
    logTail: Nullable(Type.String()),
    error: Nullable(Type.String()),
    createdAt: Timestamp,
    startedAt: Nullable(Type.String({ format: 'date-time' })),
    finishedAt: Nullable(Type.String({ format: 'date-time' })),
  },
  {
    $id: 'RetrainJob',
    title: 'RetrainJob',
    examples: [
      {
        id: 17,
        model: 'churn',
        baseVersion: 3,
        trigger: 'drift',
        triggerReportId: 76,
        requestedBy: null,
        status: 'succeeded',
        attempts: 1,
        executor: { type: 'command' },
        datasetUri: 'mlcycle://retrain-jobs/17/dataset',
        resultVersion: 4,
        evaluation: {
          rows: 412,
          metric: 'accuracy',
          champion: 0.874,
          challenger: 0.912,
          pValue: 0.003,
          test: 'mcnemar',
          alpha: 0.05,
          minImprovement: 0,
          championVersion: 3,
          decision: 'promoted',
          alias: 'production',
          reason: 'challenger better than champion at p=0.003 < alpha 0.05',
        },
        logTail: 'training on 2048 rows\nwrote model.pkl',
        error: null,
        createdAt: '2026-12-02T08:00:00.000Z',
        startedAt: '2026-12-02T08:00:01.000Z',
        finishedAt: '2026-12-02T08:03:40.000Z',
      },
    ],
  },
);
export type RetrainJobView = Static<typeof RetrainJobView>;

export const ManualRetrainBody = Type.Object(
  {
    /** Defaults to the version holding the promote alias (default `production`), else the latest. */
    baseVersion: Type.Optional(Id),
    /** Overrides the monitor's executor for this run (admin only: it runs a command). */
    executor: Type.Optional(ExecutorConfig),
  },
  { additionalProperties: false, examples: [{ baseVersion: 3 }] },
);
export type ManualRetrainBody = Static<typeof ManualRetrainBody>;

export const ListRetrainJobsQuery = Type.Object(
  {
    model: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' })),
    status: Type.Optional(StringEnum(RETRAIN_STATUSES)),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);
export type ListRetrainJobsQuery = Static<typeof ListRetrainJobsQuery>;

export const RetrainJobParams = Type.Object({ id: Id }, { additionalProperties: false });

/** The external pipeline's callback: artifacts were uploaded already to `version` … or are listed here. */
export const CompleteBody = Type.Object(
  {
    status: StringEnum(['succeeded', 'failed'] as const, { default: 'succeeded' }),
    /** The `attempt` of the request the pipeline answers: a completion for an attempt no longer the job's is refused (409). */
    attempt: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647 })),
    metrics: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 256 }), Type.Number(), { maxProperties: 1000 })),
    /** The new version's task; left out, it inherits the base version's. */
    task: Type.Optional(Task),
    /** Artifacts the pipeline wrote to the store through the artifacts API of the staging area. */
    artifacts: Type.Optional(
      Type.Array(
        Type.Object(
          { path: Type.String({ minLength: 1, maxLength: 1024 }), uri: Type.Optional(Type.String({ maxLength: 4096 })) },
          { additionalProperties: false },
        ),
        { maxItems: 10_000 },
      ),
    ),
    error: Type.Optional(Type.String({ maxLength: 8192 })),
  },
  { additionalProperties: false, examples: [{ status: 'succeeded', attempt: 1, metrics: { accuracy: 0.912 }, artifacts: [{ path: 'model.pkl' }] }] },
);
export type CompleteBody = Static<typeof CompleteBody>;

export const LineageLink = Type.Object(
  {
    version: Type.Integer(),
    parentVersion: Nullable(Type.Integer()),
    driftReportId: Nullable(Type.Integer()),
    retrainJob: Nullable(Type.Object({ id: Type.Integer(), trigger: Type.String(), status: Type.String(), createdAt: Timestamp })),
    createdAt: Timestamp,
  },
  { $id: 'LineageLink', title: 'LineageLink' },
);
export const Lineage = Type.Object(
  { model: Type.String(), version: Type.Integer(), chain: Type.Array(LineageLink, { description: 'from this version back to the first' }) },
  {
    $id: 'Lineage',
    title: 'Lineage',
    examples: [
      {
        model: 'churn',
        version: 4,
        chain: [
          {
            version: 4,
            parentVersion: 3,
            driftReportId: 76,
            retrainJob: { id: 17, trigger: 'drift', status: 'succeeded', createdAt: '2026-12-02T08:00:00.000Z' },
            createdAt: '2026-12-02T08:03:39.000Z',
          },
          { version: 3, parentVersion: null, driftReportId: null, retrainJob: null, createdAt: '2026-12-01T16:40:12.000Z' },
        ],
      },
    ],
  },
);
export type Lineage = Static<typeof Lineage>;
