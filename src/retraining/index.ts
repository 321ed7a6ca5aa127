import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { Database } from '../db/client.js';
import type { EventsService } from '../events/events.service.js';
import type { OutboundPolicy } from '../events/outbound.js';
import type { MonitoringRepository } from '../monitoring/monitoring.repository.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { AliasesService } from '../registry/aliases.service.js';
import type { RegistryRepository } from '../registry/registry.repository.js';
import type { VersionsService } from '../registry/versions.service.js';
import type { RegistryViews } from '../registry/views.js';
import { createLeases, type LeaseConfig } from './lease.js';
import { createRetrainJobsRepository } from './retrain-jobs.repository.js';
import { createRetrainJobsService } from './retrain-jobs.service.js';
import { createRetrainRunner } from './retrain-runner.js';

export { retrainConfigOf, validateRetrainConfig } from './retrain-config.js';
export { decideRetrain, type ReportVerdict } from './policy.js';
export { RetrainConfig } from './retrain.schemas.js';
export { retrainingRoutes } from './retraining.routes.js';

export interface RetrainingDeps {
  database: Database;
  /** The container's registry and monitoring repositories and views: wired once, shared. */
  registry: RegistryRepository;
  views: RegistryViews;
  monitoring: MonitoringRepository;
  store: ArtifactStore;
  events: EventsService;
  versions: VersionsService;
  aliases: AliasesService;
  queue: Pick<JobQueue, 'enqueue' | 'jobState' | 'promote'>;
  /** ENQUEUE_BUDGET_MS (see retrain-jobs.service.ts). */
  enqueueBudgetMs?: number;
  /** REFERENCE_MAX_VALUES for the references retrained versions are registered with. */
  referenceMaxValues?: number;
  /** Local scratch space for exports and trainer outputs (e.g. `${DATA_DIR}/retrain`). */
  workDir: string;
  /** Public …/api/v1 URL handed to external pipelines (webhook executor). */
  publicBaseUrl?: string;
  /** Webhook executors post through it, and a manual retrain's executor URL is checked by it. */
  outbound?: OutboundPolicy;
  pollMs?: number;
  /** Lease duration, heartbeat and attempts (config.ts `retraining`). */
  lease?: Partial<LeaseConfig>;
  now?: () => Date;
  log?: (message: string, error?: unknown) => void;
  /** Every status a job is written into (the retrain-jobs counter). */
  onJobStatus?: (status: string) => void;
}

/** Everything retraining needs, wired once; the container calls this and the API and workers share it. */
export function createRetraining(deps: RetrainingDeps) {
  const repo = createRetrainJobsRepository(deps.database, deps.onJobStatus);
  const { registry, views, monitoring } = deps;
  const monitorConfig = (modelId: number) => monitoring.monitorConfig(modelId);
  const common = {
    repo,
    registry,
    views,
    events: deps.events,
    store: deps.store,
    monitorConfig,
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.log ? { log: deps.log } : {}),
  };
  const leases = createLeases({
    repo,
    events: deps.events,
    ...(deps.lease ? { config: deps.lease } : {}),
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.log ? { log: deps.log } : {}),
  });
  const jobs = createRetrainJobsService({
    ...common,
    monitoring,
    queue: deps.queue,
    ...(deps.outbound ? { checkUrl: deps.outbound.check } : {}),
    ...(deps.enqueueBudgetMs !== undefined ? { enqueueBudgetMs: deps.enqueueBudgetMs } : {}),
  });
  const runner = createRetrainRunner({
    ...common,
    monitoring,
    versions: deps.versions,
    aliases: deps.aliases,
    workDir: deps.workDir,
    leases,
    ...(deps.publicBaseUrl ? { publicBaseUrl: deps.publicBaseUrl } : {}),
    ...(deps.outbound ? { fetch: deps.outbound.fetch } : {}),
    ...(deps.pollMs ? { pollMs: deps.pollMs } : {}),
    ...(deps.referenceMaxValues !== undefined ? { referenceMaxValues: deps.referenceMaxValues } : {}),
  });
  return { jobs, runner, repo, leases };
}
export type Retraining = ReturnType<typeof createRetraining>;
