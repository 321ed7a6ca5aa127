import { sql } from 'drizzle-orm';
import { blob, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * Registry metadata. Timestamps are ISO-8601 UTC strings (sortable as text, readable in SQL).
 * Every dedupe the service relies on is backed by a unique constraint here, so a retry or a
 * race can never produce a second row.
 */
const createdAt = () => text('created_at').notNull().default(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`);

export const models = sqliteTable(
  'models',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    name: text('name').notNull(),
    description: text('description'),
    /** Highest version number ever issued; versions are numbered from it so numbers are never reused. */
    lastVersion: integer('last_version').notNull().default(0),
    /**
     * Bumped by triggers (migrations/0001) on any change to the model's versions, tags, params,
     * metrics or aliases, so readers can validate a cached view with one indexed lookup — from
     * any process writing the same database.
     */
    revision: integer('revision').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [uniqueIndex('models_name_unique').on(t.name)],
);

export const modelTags = sqliteTable(
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

export const versions = sqliteTable(
  'versions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    modelId: integer('model_id')
      .notNull()
      .references(() => models.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    description: text('description'),
    features: text('features', { mode: 'json' }).notNull().$type<{ name: string; type: 'numeric' | 'categorical' }[]>(),
    artifactUri: text('artifact_uri'),
    runId: text('run_id'),
    gitCommit: text('git_commit'),
    parentVersion: integer('parent_version'),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    updatedAt: text('updated_at').notNull(),
    /** Lineage of a retrained version; unique so a rerun of a crashed job never registers a second one. */
    retrainJobId: integer('retrain_job_id'),
    driftReportId: integer('drift_report_id'),
    /** The declared task ({type: 'classification', positive?} | {type: 'regression'}); null: performance is off. */
    task: text('task', { mode: 'json' }).$type<{ type: 'classification'; positive?: number | string } | { type: 'regression' }>(),
  },
  (t) => [uniqueIndex('versions_model_version_unique').on(t.modelId, t.version), uniqueIndex('versions_retrain_job_unique').on(t.retrainJobId)],
);

export const versionTags = sqliteTable(
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

export const versionParams = sqliteTable(
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

export const versionMetrics = sqliteTable(
  'version_metrics',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    versionId: integer('version_id')
      .notNull()
      .references(() => versions.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    value: real('value').notNull(),
    step: integer('step').notNull().default(0),
    timestamp: text('timestamp').notNull(),
  },
  (t) => [index('version_metrics_series').on(t.versionId, t.key, t.step)],
);

export const aliases = sqliteTable(
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

export const artifacts = sqliteTable(
  'artifacts',
  {
    versionId: integer('version_id')
      .notNull()
      .references(() => versions.id, { onDelete: 'cascade' }),
    path: text('path').notNull(),
    storageKey: text('storage_key').notNull(),
    size: integer('size').notNull(),
    sha256: text('sha256').notNull(),
    contentType: text('content_type').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.versionId, t.path] })],
);

/** Audit log. No foreign key: the trail of a deleted model must survive the model. */
export const events = sqliteTable(
  'events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    modelId: integer('model_id'),
    modelName: text('model_name'),
    type: text('type').notNull(),
    data: text('data', { mode: 'json' }).notNull().$type<Record<string, unknown>>(),
    actorKeyId: text('actor_key_id'),
    actorName: text('actor_name'),
    createdAt: createdAt(),
  },
  (t) => [index('events_model').on(t.modelId, t.id), index('events_model_name').on(t.modelName, t.id)],
);

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    /** sha256 of the whole token: tokens are 256-bit random, so a slow KDF buys nothing here. */
    tokenHash: text('token_hash').notNull(),
    // token_prefix dropped (migration 0002): for a user-chosen ADMIN_TOKEN it was half the secret.
    scopes: text('scopes', { mode: 'json' }).notNull().$type<string[]>(),
    createdAt: createdAt(),
    lastUsedAt: text('last_used_at'),
    revokedAt: text('revoked_at'),
  },
  (t) => [uniqueIndex('api_keys_token_hash_unique').on(t.tokenHash)],
);

/** Remembered responses for Idempotency-Key retries, scoped per operation. */
export const idempotencyKeys = sqliteTable(
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

// --- monitoring (drift): see docs/architecture.md for where each kind of data lives

/** A model's monitor configuration; a model without a row is monitored with the defaults. */
export const monitors = sqliteTable('monitors', {
  modelId: integer('model_id')
    .primaryKey()
    .references(() => models.id, { onDelete: 'cascade' }),
  config: text('config', { mode: 'json' }).notNull().$type<Record<string, unknown>>(),
  updatedAt: text('updated_at').notNull(),
});

/**
 * A version's reference (training) profile: the serialized profile lives in the artifact store
 * under `storageKey` (a fresh key per revision); its sha256 lets workers cache decoded profiles.
 */
export const referenceProfiles = sqliteTable('reference_profiles', {
  versionId: integer('version_id')
    .primaryKey()
    .references(() => versions.id, { onDelete: 'cascade' }),
  storageKey: text('storage_key').notNull(),
  sha256: text('sha256').notNull(),
  size: integer('size').notNull(),
  rowCount: integer('row_count').notNull(),
  chunks: integer('chunks').notNull(),
  /** Compare-and-set counter: concurrent appends never lose a chunk. */
  revision: integer('revision').notNull(),
  summary: text('summary', { mode: 'json' }).notNull().$type<Record<string, unknown>>(),
  updatedAt: text('updated_at').notNull(),
  /** Where the profile came from: `uploaded` (POST …/reference), `trainer-output` or `training-data` (a retrain job). */
  source: text('source').notNull().default('uploaded'),
});

/** Samples seen per version: the sequence that count windows are cut from. */
export const sampleCounters = sqliteTable('sample_counters', {
  versionId: integer('version_id')
    .primaryKey()
    .references(() => versions.id, { onDelete: 'cascade' }),
  total: integer('total').notNull(),
});

/** One record per accepted batch: a columnar binary payload, never one row per sample. */
export const sampleBatches = sqliteTable(
  'sample_batches',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    modelId: integer('model_id')
      .notNull()
      .references(() => models.id, { onDelete: 'cascade' }),
    versionId: integer('version_id')
      .notNull()
      .references(() => versions.id, { onDelete: 'cascade' }),
    batchKey: text('batch_key').notNull(),
    requestHash: text('request_hash').notNull(),
    seqStart: integer('seq_start').notNull(),
    rowCount: integer('row_count').notNull(),
    /** The batch's earliest row time (its `timestamp`, else the receive time when no row carries one). */
    observedAt: text('observed_at').notNull(),
    /** The batch's latest row time when rows carry their own timestamps (NULL: every row is at observed_at). */
    observedUntil: text('observed_until'),
    receivedAt: text('received_at').notNull(),
    payload: blob('payload', { mode: 'buffer' }).notNull(),
    /** 'number' or 'string': the type of the batch's predictions (what a later label must match); null without predictions. */
    predictionKind: text('prediction_kind'),
  },
  (t) => [
    uniqueIndex('sample_batches_key_unique').on(t.modelId, t.batchKey),
    index('sample_batches_seq').on(t.versionId, t.seqStart),
    index('sample_batches_observed').on(t.modelId, t.observedAt),
  ],
);

/** Which batch holds a sample id: what delayed labels are matched against. */
export const sampleIds = sqliteTable(
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
  (t) => [
    primaryKey({ columns: [t.modelId, t.sampleId] }),
    // Pruning deletes batches; the cascade finds their ids through this index instead of a scan.
    index('sample_ids_batch').on(t.batchId),
  ],
);

/** Delayed ground truth, by sample id (a later label replaces an earlier one). */
export const sampleLabels = sqliteTable(
  'sample_labels',
  {
    modelId: integer('model_id')
      .notNull()
      .references(() => models.id, { onDelete: 'cascade' }),
    sampleId: text('sample_id').notNull(),
    label: text('label', { mode: 'json' }).notNull().$type<number | string>(),
    createdAt: text('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.modelId, t.sampleId] })],
);

/**
 * Drift reports. A row is written `pending` in the same transaction as the batch that completes
 * its window (the outbox), and the unique window key makes "one report per window" a constraint.
 */
export const driftReports = sqliteTable(
  'drift_reports',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    modelId: integer('model_id')
      .notNull()
      .references(() => models.id, { onDelete: 'cascade' }),
    versionId: integer('version_id')
      .notNull()
      .references(() => versions.id, { onDelete: 'cascade' }),
    windowKey: text('window_key').notNull(),
    kind: text('kind').notNull(),
    seqFrom: integer('seq_from'),
    seqTo: integer('seq_to'),
    fromTime: text('from_time'),
    toTime: text('to_time'),
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    /** Bumped by the outbox sweep when it re-enqueues the report: part of its queue job id (a job of an older generation is ignored). */
    generation: integer('generation').notNull().default(0),
    sampleCount: integer('sample_count'),
    drifted: integer('drifted', { mode: 'boolean' }),
    driftShare: real('drift_share'),
    result: text('result', { mode: 'json' }).$type<Record<string, unknown>>(),
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

// --- retraining and outbound webhooks (issue 11)

/**
 * Retrain jobs. `active_model_id` is the model id while the job is queued or running and NULL
 * otherwise; its unique index is "at most one active retrain per model" as a constraint that
 * works on both dialects (NULLs never collide), without a partial index.
 */
export const retrainJobs = sqliteTable(
  'retrain_jobs',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
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
    executor: text('executor', { mode: 'json' }).notNull().$type<Record<string, unknown>>(),
    createdAt: text('created_at').notNull(),
    startedAt: text('started_at'),
    finishedAt: text('finished_at'),
    /** A cancel asked for while running: the runner polls it and kills the trainer's process group. */
    cancelRequestedAt: text('cancel_requested_at'),
    /** `host/pid` of the trainer's process group, so a rerun after a crash (or a cancel) on that host kills an orphan. */
    runner: text('runner'),
    logTail: text('log_tail'),
    error: text('error'),
    resultVersion: integer('result_version'),
    datasetUri: text('dataset_uri'),
    /** What an external pipeline reported through POST /retrain-jobs/{id}/complete (webhook executor). */
    completion: text('completion', { mode: 'json' }).$type<Record<string, unknown>>(),
    /** The run holding the job (`host/pid/instance`): a worker on that host can tell a dead holder at once. */
    leaseOwner: text('lease_owner'),
    /** Renewed by the running worker's heartbeat; once past, the next worker's reconcile takes the job over. */
    leaseExpiresAt: text('lease_expires_at'),
    /** mlcycle's own scoring of champion and challenger on the holdout, and the promotion decision it led to. */
    evaluation: text('evaluation', { mode: 'json' }).$type<Record<string, unknown>>(),
  },
  (t) => [
    uniqueIndex('retrain_jobs_active_unique').on(t.activeModelId),
    index('retrain_jobs_model').on(t.modelId, t.id),
    index('retrain_jobs_status').on(t.status, t.id),
  ],
);

/** Outbound webhook subscriptions. The secret is kept (it signs every delivery) and shown once. */
export const webhooks = sqliteTable('webhooks', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  url: text('url').notNull(),
  secret: text('secret').notNull(),
  eventTypes: text('event_types', { mode: 'json' }).notNull().$type<string[]>(),
  description: text('description'),
  createdAt: text('created_at').notNull(),
  disabledAt: text('disabled_at'),
});

/** One row per (event, webhook): written in the event's transaction (the outbox), then delivered by the queue. */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    webhookId: integer('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    eventId: integer('event_id'),
    /** The Standard Webhooks `webhook-id` (null: `msg_{id}`); a redelivery copies it so receivers dedupe. */
    messageId: text('message_id'),
    eventType: text('event_type').notNull(),
    payload: text('payload', { mode: 'json' }).notNull().$type<Record<string, unknown>>(),
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
export const deployment = sqliteTable('deployment', {
  singleton: integer('singleton').primaryKey(),
  deploymentId: text('deployment_id').notNull(),
  createdAt: text('created_at').notNull(),
});

/**
 * MLflow tracking (src/mlflow/): experiments, runs and their params, tags and metric series, as
 * MLflow's tracking server keeps them. Times are epoch milliseconds, as MLflow sends them.
 * Experiment 0 is MLflow's "Default", created on first use.
 */
export const mlflowExperiments = sqliteTable(
  'mlflow_experiments',
  {
    id: integer('id').primaryKey(),
    name: text('name').notNull(),
    artifactLocation: text('artifact_location').notNull(),
    lifecycleStage: text('lifecycle_stage').notNull(),
    creationTime: integer('creation_time').notNull(),
    lastUpdateTime: integer('last_update_time').notNull(),
  },
  (t) => [uniqueIndex('mlflow_experiments_name_unique').on(t.name)],
);

export const mlflowExperimentTags = sqliteTable(
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

export const mlflowRuns = sqliteTable(
  'mlflow_runs',
  {
    runId: text('run_id').primaryKey(),
    experimentId: integer('experiment_id')
      .notNull()
      .references(() => mlflowExperiments.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    userId: text('user_id').notNull(),
    status: text('status').notNull(),
    startTime: integer('start_time').notNull(),
    endTime: integer('end_time'),
    lifecycleStage: text('lifecycle_stage').notNull(),
    artifactUri: text('artifact_uri').notNull(),
    /** runs/outputs: the logged models this run produced, `[{model_id, step}]`. */
    outputs: text('outputs', { mode: 'json' }).notNull().$type<{ model_id: string; step: number }[]>(),
  },
  (t) => [index('mlflow_runs_experiment').on(t.experimentId, t.startTime)],
);

export const mlflowRunParams = sqliteTable(
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

export const mlflowRunTags = sqliteTable(
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

/** Every logged point of every metric (the history); a run's "latest" is its highest step, then newest timestamp. */
export const mlflowRunMetrics = sqliteTable(
  'mlflow_run_metrics',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    runId: text('run_id')
      .notNull()
      .references(() => mlflowRuns.runId, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    value: real('value').notNull(),
    step: integer('step').notNull(),
    timestamp: integer('timestamp').notNull(),
    modelId: text('model_id'),
  },
  (t) => [index('mlflow_run_metrics_series').on(t.runId, t.key, t.step)],
);

/** MLflow 3 logged models (`m-<32 hex>`): a model's artifacts before (and apart from) its registration. */
export const mlflowLoggedModels = sqliteTable(
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
    tags: text('tags', { mode: 'json' }).notNull().$type<Record<string, string>>(),
    params: text('params', { mode: 'json' }).notNull().$type<Record<string, string>>(),
    creationTime: integer('creation_time').notNull(),
    lastUpdateTime: integer('last_update_time').notNull(),
  },
  (t) => [index('mlflow_logged_models_experiment').on(t.experimentId)],
);

/**
 * Files under `mlflow-artifacts:/…`: the path the client uses → the object holding its bytes (a
 * fresh key per upload under `mlflow/`, outside the registry sweeper's prefix), size and sha256.
 */
export const mlflowArtifacts = sqliteTable('mlflow_artifacts', {
  path: text('path').primaryKey(),
  storageKey: text('storage_key').notNull(),
  size: integer('size').notNull(),
  sha256: text('sha256').notNull(),
  contentType: text('content_type').notNull(),
  createdAt: text('created_at').notNull(),
});
