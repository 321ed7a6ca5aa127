import { type Static, Type } from '@sinclair/typebox';
import { Id, Nullable, Timestamp } from '../http/schemas.js';

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

export const CommandExecutor = Type.Object(
  {
    type: Type.Literal('command'),
    /** argv, run without a shell: no quoting bugs, no injection through model names. */
    command: Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), { minItems: 1, maxItems: 256 }),
    cwd: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    env: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' }), Type.String({ maxLength: 32_768 }), { maxProperties: 100 })),
    timeoutSeconds: Type.Integer({ minimum: 1, maximum: 7 * 86_400, default: 3600 }),
  },
  { additionalProperties: false },
);
export type CommandExecutor = Static<typeof CommandExecutor>;

export const WebhookExecutor = Type.Object(
  {
    type: Type.Literal('webhook'),
    url: Type.String({ pattern: HTTP_URL_PATTERN, maxLength: 2048 }),
    /** Signs the request (Standard Webhooks); at least 128 bits if it is random text. */
    secret: Type.String({ minLength: 16, maxLength: 512 }),
    timeoutSeconds: Type.Integer({ minimum: 1, maximum: 7 * 86_400, default: 3600 }),
  },
  { additionalProperties: false },
);
export type WebhookExecutor = Static<typeof WebhookExecutor>;

export const ExecutorConfig = Type.Union([CommandExecutor, WebhookExecutor]);
export type ExecutorConfig = Static<typeof ExecutorConfig>;

export const PromoteConfig = Type.Object(
  {
    alias: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$', default: 'production' }),
    metric: Type.String({ minLength: 1, maxLength: 256 }),
    mode: StringEnum(['max', 'min'] as const, { default: 'max' }),
    minImprovement: Type.Number({ minimum: 0, default: 0 }),
  },
  { additionalProperties: false },
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
  },
  { additionalProperties: false },
);
export type RetrainConfig = Static<typeof RetrainConfig>;

export const RETRAIN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type RetrainStatus = (typeof RETRAIN_STATUSES)[number];
export const ACTIVE_STATUSES: readonly RetrainStatus[] = ['queued', 'running'];

export const RetrainJobView = Type.Object({
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
  logTail: Nullable(Type.String()),
  error: Nullable(Type.String()),
  createdAt: Timestamp,
  startedAt: Nullable(Type.String({ format: 'date-time' })),
  finishedAt: Nullable(Type.String({ format: 'date-time' })),
});
export type RetrainJobView = Static<typeof RetrainJobView>;

export const ManualRetrainBody = Type.Object(
  {
    /** Defaults to the latest version. */
    baseVersion: Type.Optional(Id),
    /** Overrides the monitor's executor for this run (admin only: it runs a command). */
    executor: Type.Optional(ExecutorConfig),
  },
  { additionalProperties: false },
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
    metrics: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 256 }), Type.Number(), { maxProperties: 1000 })),
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
  { additionalProperties: false },
);
export type CompleteBody = Static<typeof CompleteBody>;

export const LineageLink = Type.Object({
  version: Type.Integer(),
  parentVersion: Nullable(Type.Integer()),
  driftReportId: Nullable(Type.Integer()),
  retrainJob: Nullable(Type.Object({ id: Type.Integer(), trigger: Type.String(), status: Type.String(), createdAt: Timestamp })),
  createdAt: Timestamp,
});
export const Lineage = Type.Object({ model: Type.String(), version: Type.Integer(), chain: Type.Array(LineageLink) });
export type Lineage = Static<typeof Lineage>;
