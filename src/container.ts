import { join } from 'node:path';
import { createArtifactStore } from './artifacts/index.js';
import type { ArtifactStore } from './artifacts/artifact-store.js';
import { createApiKeysRepository } from './auth/api-keys.repository.js';
import { createApiKeysService } from './auth/api-keys.service.js';
import type { Config } from './config.js';
import { openDatabase, type Database } from './db/client.js';
import { ensureDeploymentId } from './db/deployment.js';
import { createEventsRepository } from './events/events.repository.js';
import { createEventsService } from './events/events.service.js';
import { createOutboundPolicy, type ResolveHost } from './events/outbound.js';
import { createWebhooksRepository } from './events/webhooks.repository.js';
import { createWebhooksService, withWebhookOutbox } from './events/webhooks.service.js';
import { createRetraining } from './retraining/index.js';
import { createMetrics } from './metrics/metrics.js';
import { metricsSources } from './metrics/sources.js';
import { createDriftReportsService, type DriftReportsService } from './monitoring/drift-reports.service.js';
import { createMaintenance } from './monitoring/maintenance.js';
import { createMonitoringRepository } from './monitoring/monitoring.repository.js';
import { createMonitorStatusService } from './monitoring/monitor-status.service.js';
import { createReportJobFailures } from './monitoring/report-job-failures.js';
import { createMonitorsService } from './monitoring/monitors.service.js';
import { createReferenceService } from './monitoring/reference.service.js';
import { createReportStateRepository } from './monitoring/report-state.repository.js';
import { createSamplesService } from './monitoring/samples.service.js';
import { createJobQueue, type JobQueue, type RetryOverrides } from './queue/index.js';
import { createAliasesService } from './registry/aliases.service.js';
import { createArtifactsService } from './registry/artifacts.service.js';
import { createModelsService } from './registry/models.service.js';
import { createRegistryRepository } from './registry/registry.repository.js';
import { watchModelChanges } from './registry/model-changes.js';
import { createVersionsService } from './registry/versions.service.js';
import { createMlflowRegistry } from './mlflow/registry.service.js';
import { createTrackingRepository } from './mlflow/tracking.repository.js';
import { createTrackingService } from './mlflow/tracking.service.js';
import { createLoggedModelsService } from './mlflow/logged-models.service.js';
import { createMlflowArtifacts } from './mlflow/artifacts.service.js';
import { createRegistryViews } from './registry/views.js';
import { createSummaryService } from './ui/summary.service.js';

export interface ContainerOverrides {
  store?: ArtifactStore;
  /** A queue, or a factory given the deployment id and the configured retries (tests bring their own BullMQ prefix). */
  queue?: JobQueue | ((options: { deploymentId: string; retry: RetryOverrides }) => JobQueue);
  /** Outbound HTTP for webhook deliveries (tests point it at their receiver). */
  fetch?: typeof fetch;
  /** Host resolution of the outbound URL policy (tests stage a DNS rebinding with it). */
  resolveHost?: ResolveHost;
  /** How often a running retrain job checks for cancellation and external completion. */
  retrainPollMs?: number;
  now?: () => Date;
  log?: (message: string, error?: unknown) => void;
}

/** Wires the database, the stores and the services once; the API and the workers share it. */
export async function createContainer(config: Config, overrides: ContainerOverrides = {}) {
  const database: Database = await openDatabase(config.database, overrides.log);
  const deploymentId = await ensureDeploymentId(database);
  const store = overrides.store ?? createArtifactStore(config.artifacts);
  const now = overrides.now;

  const auditLog = createEventsService({ repo: createEventsRepository(database), now });
  const apiKeys = createApiKeysService({ repo: createApiKeysRepository(database), events: auditLog, now });
  const repo = createRegistryRepository(database);
  const views = createRegistryViews(repo);
  const log = overrides.log ?? (() => undefined);
  // BullMQ when REDIS_URL is set (the API produces, `npm run worker` consumes); otherwise the
  // in-process queue runs the same processors inside the API process.
  let reports: DriftReportsService | undefined;
  const monitoringRepo = createMonitoringRepository(database);
  const reportFailures = createReportJobFailures({ repo: monitoringRepo, reports: () => reports, log });
  const driftRetry = { attempts: config.monitoring.driftJobAttempts, backoff: { type: 'exponential' as const, delayMs: config.monitoring.driftJobBackoffMs } };
  // On BullMQ the producer sets a job's attempts and backoff: API processes need this as much as workers.
  const retry: RetryOverrides = { 'drift.report': driftRetry, 'drift.window': driftRetry };
  const queue =
    (typeof overrides.queue === 'function' ? overrides.queue({ deploymentId, retry }) : overrides.queue) ??
    createJobQueue({
      ...(config.redisUrl ? { redisUrl: config.redisUrl } : {}),
      deploymentId,
      prefix: config.monitoring.redisPrefix,
      retry,
      worker: {
        concurrency: config.monitoring.workerConcurrency,
        lockDuration: config.monitoring.workerLockDurationMs,
        stalledInterval: config.monitoring.workerStalledIntervalMs,
      },
      onFailure: (job, error, willRetry) => {
        log(`job ${job.jobId} failed (attempt ${job.attempt} of ${job.maxAttempts}${willRetry ? ', will retry' : ', giving up'})`, error);
        // A report whose job gave up says why instead of staying pending (handled: never rejects).
        void reportFailures.onFailure(job, error, willRetry);
      },
    });
  // Every event subscribed webhooks want gets its delivery rows in the event's own transaction
  // (an outbox); the queue delivers them.
  // Webhook and executor targets never reach private addresses (unless OUTBOUND_ALLOW_PRIVATE).
  const outbound = createOutboundPolicy({
    allowPrivate: config.outboundAllowPrivate,
    ...(overrides.resolveHost ? { resolve: overrides.resolveHost } : {}),
  });
  const reportState = createReportStateRepository(database);
  // Prometheus metrics of this process; shared state (queue depths, drift scores) is read at scrape time.
  const metrics = createMetrics(metricsSources({ queue, repo: monitoringRepo, reportState }));
  const webhooks = createWebhooksService({
    repo: createWebhooksRepository(database),
    queue,
    fetch: overrides.fetch ?? outbound.fetch,
    checkUrl: outbound.check,
    onOutcome: (outcome) => metrics.webhookDeliveries.inc({ outcome }),
    ...(now ? { now } : {}),
  });
  const events = withWebhookOutbox(auditLog, webhooks, now);
  // PostgreSQL: model changes pushed by LISTEN/NOTIFY, so alias cache hits need no round trip.
  const modelChanges = watchModelChanges(database);
  const aliases = createAliasesService({
    repo,
    views,
    events,
    now,
    ...(modelChanges ? { changes: modelChanges } : {}),
    trustMs: config.aliasCacheTtlMs ?? 1_000,
  });
  const versions = createVersionsService({ repo, views, events, now });
  const references = createReferenceService({
    repo: monitoringRepo,
    views,
    store,
    registry: repo,
    now,
    maxValues: config.monitoring.referenceMaxValues,
    cacheBytes: config.monitoring.profileCacheBytes,
  });
  const samples = createSamplesService({
    repo: monitoringRepo,
    registry: repo,
    views,
    aliases,
    queue,
    log,
    now,
    enqueueBudgetMs: config.monitoring.enqueueBudgetMs,
    onLateRows: (model, rows) => metrics.lateRows.inc({ model }, rows),
  });

  const retraining = createRetraining({
    database,
    registry: repo,
    views,
    monitoring: monitoringRepo,
    store,
    events,
    versions,
    aliases,
    queue,
    enqueueBudgetMs: config.monitoring.enqueueBudgetMs,
    referenceMaxValues: config.monitoring.referenceMaxValues,
    workDir: join(config.dataDir, 'retrain'),
    lease: { leaseMs: config.retraining.leaseMs, heartbeatMs: config.retraining.heartbeatMs, maxAttempts: config.retraining.maxLeaseAttempts },
    outbound,
    onJobStatus: (status) => metrics.retrainJobs.inc({ status }),
    ...(config.publicUrl ? { publicBaseUrl: `${config.publicUrl}/api/v1` } : {}),
    ...(overrides.retrainPollMs ? { pollMs: overrides.retrainPollMs } : {}),
    ...(now ? { now } : {}),
    log,
  });
  reports = createDriftReportsService({
    repo: monitoringRepo,
    registry: repo,
    views,
    references,
    samples,
    events,
    now,
    // After a report commits, the model's retrain policy decides (and audits) what to do.
    onReportDone: (modelId) => retraining.jobs.onReportCompleted(modelId),
    onReportFailed: (labels) => metrics.driftReportsFailed.inc(labels),
  });
  metrics.setRetrainJobCounts(() => retraining.repo.countByStatus());
  const maintenance = createMaintenance({
    repo: monitoringRepo,
    registry: repo,
    samples,
    queue,
    retentionDays: config.monitoring.sampleRetentionDays,
    log,
    now,
  });

  const models = createModelsService({ repo, views, events, store, now });
  const trackingRepo = createTrackingRepository(database);
  const tracking = createTrackingService({ repo: trackingRepo, ...(now ? { now } : {}) });
  const loggedModels = createLoggedModelsService({ repo: trackingRepo, requireExperiment: tracking.requireExperiment, ...(now ? { now } : {}) });
  const mlflowArtifacts = createMlflowArtifacts({ repo: trackingRepo, store, ...(now ? { now } : {}), log });
  const mlflowRegistry = createMlflowRegistry({
    models,
    versions,
    aliases,
    repo,
    views,
    events,
    store,
    runs: { runData: tracking.runData, runArtifactUri: tracking.runArtifactUri, loggedModel: loggedModels.loggedModel },
    artifacts: mlflowArtifacts,
    ...(now ? { now } : {}),
    log,
  });
  const monitors = createMonitorsService({ repo: monitoringRepo, registry: repo, views, events, checkUrl: outbound.check, now });
  const monitorStatus = createMonitorStatusService({ views, registry: repo, state: reportState });

  return {
    config,
    deploymentId,
    database,
    store,
    events,
    apiKeys,
    /** The one registry repository and its views (modules built outside the container take these). */
    registryRepo: repo,
    views,
    models,
    mlflow: { registry: mlflowRegistry, tracking, loggedModels, trackingRepo, artifacts: mlflowArtifacts },
    versions,
    aliases,
    artifacts: createArtifactsService({ repo, views, events, store, now, log }),
    queue,
    monitoringRepo,
    references,
    samples,
    monitors,
    monitorStatus,
    /** The dashboard's read model over registry, monitoring and retraining. */
    summaries: createSummaryService({ models, monitorStatus, monitors, reports, retrainJobs: retraining.jobs, ...(now ? { now } : {}) }),
    reports,
    maintenance,
    webhooks,
    retraining,
    metrics,
    readiness: {
      database: () => database.ping(),
      artifactStore: () => store.ping(),
    },
    async close(): Promise<void> {
      await queue.close();
      await database.close();
    },
  };
}
export type Container = Awaited<ReturnType<typeof createContainer>>;
