import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { QueueDepth } from '../queue/job-queue.js';

/** Where the scrape-time gauges read from: the queue backend and the database, never a process's memory. */
export interface MetricsSources {
  queueDepths: () => Promise<Record<string, QueueDepth>>;
  /** The newest finished drift report of up to `limit` models (most recently reported first). */
  latestReports: (limit: number) => Promise<LatestReport[]>;
  /** Per model with a successful report: when its newest one finished (ISO). */
  lastReportTimes: () => Promise<{ model: string; at: string }[]>;
}

export interface LatestReport {
  model: string;
  drifted: boolean;
  driftShare: number;
  features: { name: string; psi: number | null }[];
}

export interface MetricsLimits {
  /** At most this many models get drift-score series (the most recently reported ones). */
  maxModels: number;
  /** Per model, at most this many features: the highest PSI first, so drifted ones are never cut. */
  maxFeatures: number;
}

export const DEFAULT_METRICS_LIMITS: MetricsLimits = { maxModels: 50, maxFeatures: 20 };

/**
 * One prom-client registry per container (not the global one): tests build several apps in one
 * process, and each must count only its own requests. Counters and histograms move where things
 * happen; gauges that describe shared state (queue depths, latest drift scores) are read at scrape
 * time from the queue and the database, so in scaled mode any API replica reports the same truth.
 */
export function createMetrics(sources: MetricsSources, limits: MetricsLimits = DEFAULT_METRICS_LIMITS) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  dropMisnamedDefaultGauges(registry);

  const httpDuration = new Histogram({
    name: 'mlcycle_http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern (never the raw URL) and status class',
    labelNames: ['method', 'route', 'status_class'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const batchesIngested = new Counter({
    name: 'mlcycle_ingest_batches_total',
    help: 'Sample and reference batches accepted (an idempotent replay counts again)',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const rowsIngested = new Counter({
    name: 'mlcycle_ingest_rows_total',
    help: 'Rows in accepted sample and reference batches',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const batchesRejected = new Counter({
    name: 'mlcycle_ingest_batches_rejected_total',
    help: 'Sample and reference batches refused, by error code (a batch is stored whole or not at all)',
    labelNames: ['kind', 'code'] as const,
    registers: [registry],
  });
  const rowsRejected = new Counter({
    name: 'mlcycle_ingest_rows_rejected_total',
    help: 'Rows of refused batches whose body could still be counted (an unparseable body counts a batch, no rows)',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const driftJobDuration = new Histogram({
    name: 'mlcycle_drift_job_duration_seconds',
    help: 'Time to compute one drift report, in the process that ran the job, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  const lateRows = new Counter({
    name: 'mlcycle_ingest_late_rows_total',
    help: 'Sample rows stamped in a time window past its allowed lateness whose report was final: stored, in no report',
    labelNames: ['model'] as const,
    registers: [registry],
  });
  const driftReportsFailed = new Counter({
    name: 'mlcycle_drift_reports_failed_total',
    help: 'Drift reports that ended failed, by model and reason (no_reference: no reference on the version or any ancestor; job_failed: the job gave up)',
    labelNames: ['model', 'reason'] as const,
    registers: [registry],
  });
  const retrainJobs = new Counter({
    name: 'mlcycle_retrain_jobs_total',
    help: 'Retrain job transitions into each status (queued, running, succeeded, failed, cancelled)',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const webhookDeliveries = new Counter({
    name: 'mlcycle_webhook_deliveries_total',
    help: 'Outbound webhook delivery attempts by outcome (success; retry: failed, tried again; gave_up: the last attempt failed; refused: outbound policy)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });

  // Retrain jobs live in a table another module owns; it plugs its count query in here.
  let retrainCounts: (() => Promise<Record<string, number>>) | undefined;
  // Not `mlcycle_retrain_jobs`: under OpenMetrics that is the family name of the counter above.
  new Gauge({
    name: 'mlcycle_retrain_jobs_current',
    help: 'Retrain jobs currently in each status (from the database)',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      if (!retrainCounts) return;
      for (const [status, count] of Object.entries(await retrainCounts())) this.set({ status }, count);
    },
  });

  new Gauge({
    name: 'mlcycle_queue_jobs',
    help: 'Jobs per queue and state (waiting, active, delayed, failed)',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const depths = await sources.queueDepths();
      for (const [queue, depth] of Object.entries(depths)) {
        for (const state of ['waiting', 'active', 'delayed', 'failed'] as const) this.set({ queue, state }, depth[state]);
      }
    },
  });

  new Gauge({
    name: 'mlcycle_monitor_last_report_timestamp_seconds',
    help: 'Unix time the newest successful drift report of a model finished (alert on time() minus this to catch a monitor gone quiet)',
    labelNames: ['model'] as const,
    registers: [registry],
    async collect() {
      const times = await sources.lastReportTimes();
      this.reset();
      for (const { model, at } of times) this.set({ model }, Date.parse(at) / 1000);
    },
  });

  // One database read per scrape feeds the four drift gauges: prom-client starts every
  // collect() in the same tick, so they share the promise in flight; it is dropped once settled.
  let pending: Promise<DriftSnapshot> | undefined;
  const snapshot = (): Promise<DriftSnapshot> =>
    (pending ??= sources
      .latestReports(limits.maxModels)
      .then((reports) => toSnapshot(reports, limits.maxFeatures))
      .finally(() => {
        pending = undefined;
      }));
  new Gauge({
    name: 'mlcycle_drift_psi',
    help: `PSI of each feature in the latest finished report of a model (at most ${limits.maxModels} models x ${limits.maxFeatures} features, highest PSI first)`,
    labelNames: ['model', 'feature'] as const,
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      for (const p of s.psi) this.set({ model: p.model, feature: p.feature }, p.value);
    },
  });
  new Gauge({
    name: 'mlcycle_drift_share_ratio',
    help: 'Share of drifted features in the latest finished report of a model',
    labelNames: ['model'] as const,
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      for (const r of s.reports) this.set({ model: r.model }, r.driftShare);
    },
  });
  new Gauge({
    name: 'mlcycle_drift_detected',
    help: '1 when the latest finished report of a model flags dataset drift, else 0',
    labelNames: ['model'] as const,
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      for (const r of s.reports) this.set({ model: r.model }, r.drifted ? 1 : 0);
    },
  });
  new Gauge({
    name: 'mlcycle_drift_psi_series_omitted',
    help: 'Feature series left out of mlcycle_drift_psi by the per-model feature bound',
    registers: [registry],
    async collect() {
      this.set((await snapshot()).omitted);
    },
  });

  return {
    registry,
    httpDuration,
    ingest: { batchesIngested, rowsIngested, batchesRejected, rowsRejected },
    driftJobDuration,
    /** Rows beyond allowed lateness, by model: `metrics.lateRows.inc({ model }, n)`. */
    lateRows,
    /** Increment once per report that ends failed: `metrics.driftReportsFailed.inc({ model, reason: 'no_reference' })`. */
    driftReportsFailed,
    /** The retrain-jobs repository increments it on every status it writes (container wiring). */
    retrainJobs,
    /** The webhooks service increments it once per delivery attempt, by outcome (container wiring). */
    webhookDeliveries,
    /** Lets the retraining module report how many jobs sit in each status, read at scrape time. */
    setRetrainJobCounts(source: () => Promise<Record<string, number>>): void {
      retrainCounts = source;
    },
    contentType: registry.contentType,
    render: () => registry.metrics(),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * prom-client's default `nodejs_active_{handles,requests,resources}_total` are gauges with a
 * counter's suffix, which `promtool check metrics` rejects. They duplicate its
 * `nodejs_active_{handles,requests,resources}` gauges (counts by type; sum them for the total), so
 * they are dropped.
 */
function dropMisnamedDefaultGauges(registry: Registry): void {
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    if (registry.getSingleMetric(name)) registry.removeSingleMetric(name);
  }
}

interface DriftSnapshot {
  reports: LatestReport[];
  psi: { model: string; feature: string; value: number }[];
  omitted: number;
}

function toSnapshot(reports: LatestReport[], maxFeatures: number): DriftSnapshot {
  const psi: DriftSnapshot['psi'] = [];
  let omitted = 0;
  for (const report of reports) {
    const scored = report.features.filter((f): f is { name: string; psi: number } => typeof f.psi === 'number' && Number.isFinite(f.psi));
    scored.sort((a, b) => b.psi - a.psi);
    for (const f of scored.slice(0, maxFeatures)) psi.push({ model: report.model, feature: f.name, value: f.psi });
    omitted += Math.max(0, scored.length - maxFeatures);
  }
  return { reports, psi, omitted };
}
