import { sql } from 'drizzle-orm';
import { bigint, boolean, customType, doublePrecision, index, integer, json, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * The PostgreSQL twin of schema.sqlite.ts: same tables, same column names, same constraints.
 * drizzle has no dialect-neutral table builder, so the shape is written twice and
 * test/unit/db/schema-parity.test.ts fails when the two disagree on a table or a column.
 *
 * Timestamps stay ISO-8601 text (as on SQLite) so ordering and API output are byte-identical;
 * keys that lists page on are collated "C" by migrations/postgres/0001 so PostgreSQL orders them
 * byte-wise, as SQLite's BINARY collation does.
 */
const createdAt = () => text('created_at').notNull().default(sql`to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);
const id = () => integer('id').primaryKey().generatedByDefaultAsIdentity();

export const models = pgTable(
  'models',
  {
    id: id(),
    name: text('name').notNull(),
    description: text('description'),
    lastVersion: integer('last_version').notNull().default(0),
    revision: integer('revision').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [uniqueIndex('models_name_unique').on(t.name)],
);

export const modelTags = pgTable(
  'model_tags',
  {
    modelId: integer('model_id')
      .notNull()
      .references(() => models.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    value: text('value').notNull(),
  },
  (t) => [primaryKey({ columns: [t.modelId, t.key] }), index('model_tags_kv').on(t.key, t.value)],
);

export const versions = pgTable(
  'versions',
  {
    id: id(),
    modelId: integer('model_id')
      .notNull()
      .references(() => models.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    description: text('description'),
    features: json('features').notNull().$type<{ name: string; type: 'numeric' | 'categorical' }[]>(),
    artifactUri: text('artifact_uri'),
    runId: text('run_id'),
    gitCommit: text('git_commit'),
    parentVersion: integer('parent_version'),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    updatedAt: text('updated_at').notNull(),
    retrainJobId: integer('retrain_job_id'),
    driftReportId: integer('drift_report_id'),
    /** The declared task ({type: 'classification', positive?} | {type: 'regression'}); null: performance is off. */
    task: json('task').$type<{ type: 'classification'; positive?: number | string } | { type: 'regression' }>(),
  },
  (t) => [uniqueIndex('versions_model_version_unique').on(t.modelId, t.version), uniqueIndex('versions_retrain_job_unique').on(t.retrainJobId)],
);

export const versionTags = pgTable(
  'version_tags',
  {
    versionId: integer('version_id')
      .notNull()
      .references(() => versions.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    value: text('value').notNull(),
  },
  (t) => [primaryKey({ columns: [t.versionId, t.key] })],
);

export const versionParams = pgTable(
  'version_params',
  {
    versionId: integer('version_id')
      .notNull()
      .references(() => versions.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    /** The value as text: a string as sent, a number or boolean as its JSON text (migration 0004). */
    value: text('value').notNull(),
    /** 'string' | 'number' | 'boolean': params keep the JSON scalar type they were sent with. */
    valueType: text('value_type').notNull().default('string'),
  },
  (t) => [primaryKey({ columns: [t.versionId, t.key] })],
);

export const versionMetrics = pgTable(
  'version_metrics',
  {
    id: id(),
    versionId: integer('version_id')
      .notNull()
      .references(() => versions.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    value: doublePrecision('value').notNull(),
    step: integer('step').notNull().default(0),
    timestamp: text('timestamp').notNull(),
  },
  (t) => [index('version_metrics_series').on(t.versionId, t.key, t.step)],
);

export const aliases = pgTable(
  'aliases',
  {
    modelId: integer('model_id')
      .notNull()
      .references(() => models.id, { onDelete: 'cascade' }),
    alias: text('alias').notNull(),
    versionId: integer('version_id')
      .notNull()
      .references(() => versions.id, { onDelete: 'cascade' }),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.modelId, t.alias] })],
);

export const artifacts = pgTable(
  'artifacts',
  {
    versionId: integer('version_id')
      .notNull()
      .references(() => versions.id, { onDelete: 'cascade' }),
    path: text('path').notNull(),
    storageKey: text('storage_key').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    sha256: text('sha256').notNull(),
    contentType: text('content_type').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.versionId, t.path] })],
);

export const events = pgTable(
  'events',
  {
    id: id(),
    modelId: integer('model_id'),
    modelName: text('model_name'),
    type: text('type').notNull(),
    data: json('data').notNull().$type<Record<string, unknown>>(),
    actorKeyId: text('actor_key_id'),
    actorName: text('actor_name'),
    createdAt: createdAt(),
  },
  (t) => [index('events_model').on(t.modelId, t.id), index('events_model_name').on(t.modelName, t.id)],
);

export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull(),
    scopes: json('scopes').notNull().$type<string[]>(),
    createdAt: createdAt(),
    lastUsedAt: text('last_used_at'),
    revokedAt: text('revoked_at'),
  },
  (t) => [uniqueIndex('api_keys_token_hash_unique').on(t.tokenHash)],
);

export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    resourceId: integer('resource_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] })],
);

// --- monitoring (drift): the twin of schema.sqlite.ts's section

/** node-postgres reads and writes bytea as Buffer. */
const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

export const monitors = pgTable('monitors', {
  modelId: integer('model_id')
    .primaryKey()
    .references(() => models.id, { onDelete: 'cascade' }),
  config: json('config').notNull().$type<Record<string, unknown>>(),
  updatedAt: text('updated_at').notNull(),
});

export const referenceProfiles = pgTable('reference_profiles', {
  versionId: integer('version_id')
    .primaryKey()
    .references(() => versions.id, { onDelete: 'cascade' }),
  storageKey: text('storage_key').notNull(),
  sha256: text('sha256').notNull(),
  size: bigint('size', { mode: 'number' }).notNull(),
  rowCount: bigint('row_count', { mode: 'number' }).notNull(),
  chunks: integer('chunks').notNull(),
  revision: integer('revision').notNull(),
  summary: json('summary').notNull().$type<Record<string, unknown>>(),
  updatedAt: text('updated_at').notNull(),
  /** Where the profile came from: `uploaded` (POST …/reference), `trainer-output` or `training-data` (a retrain job). */
  source: text('source').notNull().default('uploaded'),
});

export const sampleCounters = pgTable('sample_counters', {
  versionId: integer('version_id')
    .primaryKey()
    .references(() => versions.id, { onDelete: 'cascade' }),
  total: bigint('total', { mode: 'number' }).notNull(),
});

export const sampleBatches = pgTable(
  'sample_batches',
  {
    id: id(),
    modelId: integer('model_id')
      .notNull()
      .references(() => models.id, { onDelete: 'cascade' }),
    versionId: integer('version_id')
      .notNull()
      .references(() => versions.id, { onDelete: 'cascade' }),
    batchKey: text('batch_key').notNull(),
    requestHash: text('request_hash').notNull(),
    seqStart: bigint('seq_start', { mode: 'number' }).notNull(),
    rowCount: integer('row_count').notNull(),
    /** The batch's earliest row time (its `timestamp`, else the receive time when no row carries one). */
    observedAt: text('observed_at').notNull(),
    /** The batch's latest row time when rows carry their own timestamps (NULL: every row is at observed_at). */
    observedUntil: text('observed_until'),
    receivedAt: text('received_at').notNull(),
    payload: bytea('payload').notNull(),
    /** 'number' or 'string': the type of the batch's predictions (what a later label must match); null without predictions. */
    predictionKind: text('prediction_kind'),
  },
  (t) => [
    uniqueIndex('sample_batches_key_unique').on(t.modelId, t.batchKey),
    index('sample_batches_seq').on(t.versionId, t.seqStart),
    index('sample_batches_observed').on(t.modelId, t.observedAt),
  ],
);

export const sampleIds = pgTable(
  'sample_ids',
  {
    modelId: integer('model_id')
      .notNull()
      .references(() => models.id, { onDelete: 'cascade' }),
    sampleId: text('sample_id').notNull(),
    batchId: integer('batch_id')
      .notNull()
      .references(() => sampleBatches.id, { onDelete: 'cascade' }),
    /** The sample's row in its batch (NULL for ids indexed before rows were recorded): which window holds it. */
    rowIndex: integer('row_index'),
  },
  (t) => [primaryKey({ columns: [t.modelId, t.sampleId] }), index('sample_ids_batch').on(t.batchId)],
);

export const sampleLabels = pgTable(
  'sample_labels',
  {
    modelId: integer('model_id')
      .notNull()
      .references(() => models.id, { onDelete: 'cascade' }),
    sampleId: text('sample_id').notNull(),
    label: json('label').notNull().$type<number | string>(),
    createdAt: text('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.modelId, t.sampleId] })],
);

export const driftReports = pgTable(
  'drift_reports',
  {
    id: id(),
    modelId: integer('model_id')
      .notNull()
      .references(() => models.id, { onDelete: 'cascade' }),
    versionId: integer('version_id')
      .notNull()
      .references(() => versions.id, { onDelete: 'cascade' }),
    windowKey: text('window_key').notNull(),
    kind: text('kind').notNull(),
    seqFrom: bigint('seq_from', { mode: 'number' }),
    seqTo: bigint('seq_to', { mode: 'number' }),
    fromTime: text('from_time'),
    toTime: text('to_time'),
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    /** Bumped by the outbox sweep when it re-enqueues the report: part of its queue job id (a job of an older generation is ignored). */
    generation: integer('generation').notNull().default(0),
    sampleCount: integer('sample_count'),
    drifted: boolean('drifted'),
    driftShare: doublePrecision('drift_share'),
    result: json('result').$type<Record<string, unknown>>(),
    error: text('error'),
    /** The version whose reference profile the report was computed against: its own, or the nearest ancestor's. */
    referenceVersion: integer('reference_version'),
    /** Why a failed report failed: 'no_reference' or 'job_failed' (NULL unless status is failed). */
    failureReason: text('failure_reason'),
    /** How many times the result was computed: 1 for the first, +1 per revision (late labels or rows). */
    revision: integer('revision').notNull().default(0),
    /** Late-data requests for a recompute, and how many of them the stored result reflects: a revision is due while requests > requests_seen. */
    requests: integer('requests').notNull().default(0),
    requestsSeen: integer('requests_seen').notNull().default(0),
    /** What the due revision recomputes: 'labels' (performance only) or 'full' (late rows changed the window). */
    recompute: text('recompute'),
    /** When the due revision was requested (the sweep's grace period starts there); NULL when none is due. */
    requestedAt: text('requested_at'),
    /** When late labels last asked for a revision of the performance section. */
    labelsUpdatedAt: text('labels_updated_at'),
    /** Time and range reports: only batches received up to here belong to it (its window's end + allowed lateness, or its creation if later). */
    dataCutoff: text('data_cutoff'),
    createdAt: text('created_at').notNull(),
    completedAt: text('completed_at'),
  },
  (t) => [
    uniqueIndex('drift_reports_window_unique').on(t.modelId, t.windowKey),
    index('drift_reports_model').on(t.modelId, t.id),
    index('drift_reports_status').on(t.status, t.createdAt),
    index('drift_reports_requested').on(t.requestedAt),
  ],
);

// --- retraining and outbound webhooks: the twin of schema.sqlite.ts's section

export const retrainJobs = pgTable(
  'retrain_jobs',
  {
    id: id(),
    modelId: integer('model_id')
      .notNull()
      .references(() => models.id, { onDelete: 'cascade' }),
    activeModelId: integer('active_model_id'),
    baseVersionId: integer('base_version_id').references(() => versions.id, { onDelete: 'set null' }),
    triggerReportId: integer('trigger_report_id'),
    trigger: text('trigger').notNull(),
    requestedBy: text('requested_by'),
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    /** Bumped by the outbox sweep when it re-enqueues a queued job: part of its queue job id (a job of an older generation is ignored). */
    generation: integer('generation').notNull().default(0),
    executor: json('executor').notNull().$type<Record<string, unknown>>(),
    createdAt: text('created_at').notNull(),
    startedAt: text('started_at'),
    finishedAt: text('finished_at'),
    cancelRequestedAt: text('cancel_requested_at'),
    runner: text('runner'),
    logTail: text('log_tail'),
    error: text('error'),
    resultVersion: integer('result_version'),
    datasetUri: text('dataset_uri'),
    completion: json('completion').$type<Record<string, unknown>>(),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: text('lease_expires_at'),
    /** mlcycle's own scoring of champion and challenger on the holdout, and the promotion decision it led to. */
    evaluation: json('evaluation').$type<Record<string, unknown>>(),
  },
  (t) => [
    uniqueIndex('retrain_jobs_active_unique').on(t.activeModelId),
    index('retrain_jobs_model').on(t.modelId, t.id),
    index('retrain_jobs_status').on(t.status, t.id),
  ],
);

export const webhooks = pgTable('webhooks', {
  id: id(),
  url: text('url').notNull(),
  secret: text('secret').notNull(),
  eventTypes: json('event_types').notNull().$type<string[]>(),
  description: text('description'),
  createdAt: text('created_at').notNull(),
  disabledAt: text('disabled_at'),
});

export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: id(),
    webhookId: integer('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    eventId: integer('event_id'),
    /** The Standard Webhooks `webhook-id` (null: `msg_{id}`); a redelivery copies it so receivers dedupe. */
    messageId: text('message_id'),
    eventType: text('event_type').notNull(),
    payload: json('payload').notNull().$type<Record<string, unknown>>(),
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    responseCode: integer('response_code'),
    latencyMs: integer('latency_ms'),
    lastError: text('last_error'),
    createdAt: text('created_at').notNull(),
    deliveredAt: text('delivered_at'),
  },
  (t) => [index('webhook_deliveries_webhook').on(t.webhookId, t.id), index('webhook_deliveries_status').on(t.status, t.id)],
);

/**
 * One row, written once at first start-up: the id of this deployment (a UUID), part of every
 * queue job id, so a fresh or restored database on a Redis used before never meets its jobs.
 */
export const deployment = pgTable('deployment', {
  singleton: integer('singleton').primaryKey(),
  deploymentId: text('deployment_id').notNull(),
  createdAt: text('created_at').notNull(),
});

/** MLflow tracking (src/mlflow/): see schema.sqlite.ts. */
export const mlflowExperiments = pgTable(
  'mlflow_experiments',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity({ startWith: 1 }),
    name: text('name').notNull(),
    artifactLocation: text('artifact_location').notNull(),
    lifecycleStage: text('lifecycle_stage').notNull(),
    creationTime: bigint('creation_time', { mode: 'number' }).notNull(),
    lastUpdateTime: bigint('last_update_time', { mode: 'number' }).notNull(),
  },
  (t) => [uniqueIndex('mlflow_experiments_name_unique').on(t.name)],
);

export const mlflowExperimentTags = pgTable(
  'mlflow_experiment_tags',
  {
    experimentId: integer('experiment_id')
      .notNull()
      .references(() => mlflowExperiments.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    value: text('value').notNull(),
  },
  (t) => [primaryKey({ columns: [t.experimentId, t.key] })],
);

export const mlflowRuns = pgTable(
  'mlflow_runs',
  {
    runId: text('run_id').primaryKey(),
    experimentId: integer('experiment_id')
      .notNull()
      .references(() => mlflowExperiments.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    userId: text('user_id').notNull(),
    status: text('status').notNull(),
    startTime: bigint('start_time', { mode: 'number' }).notNull(),
    endTime: bigint('end_time', { mode: 'number' }),
    lifecycleStage: text('lifecycle_stage').notNull(),
    artifactUri: text('artifact_uri').notNull(),
    outputs: json('outputs').notNull().$type<{ model_id: string; step: number }[]>(),
  },
  (t) => [index('mlflow_runs_experiment').on(t.experimentId, t.startTime)],
);

export const mlflowRunParams = pgTable(
  'mlflow_run_params',
  {
    runId: text('run_id')
      .notNull()
      .references(() => mlflowRuns.runId, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    value: text('value').notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.key] })],
);

export const mlflowRunTags = pgTable(
  'mlflow_run_tags',
  {
    runId: text('run_id')
      .notNull()
      .references(() => mlflowRuns.runId, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    value: text('value').notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.key] })],
);

export const mlflowRunMetrics = pgTable(
  'mlflow_run_metrics',
  {
    id: id(),
    runId: text('run_id')
      .notNull()
      .references(() => mlflowRuns.runId, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    value: doublePrecision('value').notNull(),
    step: bigint('step', { mode: 'number' }).notNull(),
    timestamp: bigint('timestamp', { mode: 'number' }).notNull(),
    modelId: text('model_id'),
  },
  (t) => [index('mlflow_run_metrics_series').on(t.runId, t.key, t.step)],
);

export const mlflowLoggedModels = pgTable(
  'mlflow_logged_models',
  {
    modelId: text('model_id').primaryKey(),
    experimentId: integer('experiment_id')
      .notNull()
      .references(() => mlflowExperiments.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    sourceRunId: text('source_run_id'),
    modelType: text('model_type'),
    status: text('status').notNull(),
    artifactUri: text('artifact_uri').notNull(),
    tags: json('tags').notNull().$type<Record<string, string>>(),
    params: json('params').notNull().$type<Record<string, string>>(),
    creationTime: bigint('creation_time', { mode: 'number' }).notNull(),
    lastUpdateTime: bigint('last_update_time', { mode: 'number' }).notNull(),
  },
  (t) => [index('mlflow_logged_models_experiment').on(t.experimentId)],
);

export const mlflowArtifacts = pgTable('mlflow_artifacts', {
  path: text('path').primaryKey(),
  storageKey: text('storage_key').notNull(),
  size: bigint('size', { mode: 'number' }).notNull(),
  sha256: text('sha256').notNull(),
  contentType: text('content_type').notNull(),
  createdAt: text('created_at').notNull(),
});
