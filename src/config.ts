import { join, resolve } from 'node:path';
import type { ArtifactStoreConfig } from './artifacts/index.js';

/**
 * The only reader of process.env. Every variable is typed, validated and has an embedded
 * default, so `npm start` works on a fresh clone; a bad value stops start-up with a message
 * that names every offending variable at once (fail fast, fix once).
 */
export interface Config {
  host: string;
  port: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  dataDir: string;
  database: DatabaseConfig;
  artifacts: ArtifactStoreConfig;
  adminToken: string | undefined;
  bodyLimitBytes: number;
  shutdownTimeoutMs: number;
  redisUrl: string | undefined;
  /** The base URL clients reach this service at (callbacks for external retrain pipelines). */
  publicUrl: string | undefined;
  /** Take the client address from X-Forwarded-For (only behind a proxy that sets it). */
  trustProxy: boolean;
  /** PostgreSQL: how long a pushed-valid alias cache entry is served without a round trip (ALIAS_CACHE_TTL_MS). */
  aliasCacheTtlMs?: number;
  /** Webhooks and webhook executors may target loopback/private addresses (src/events/outbound.ts). */
  outboundAllowPrivate: boolean;
  /** Removal of temp files, unfinished multipart uploads and unreferenced artifact objects. */
  sweep: { intervalMs: number; graceMs: number };
  /** Drift monitoring: ingestion limits, retention, the outbox sweep, worker concurrency. */
  monitoring: {
    batchMaxRows: number;
    sampleBodyLimitBytes: number;
    referenceBodyLimitBytes: number;
    sampleRetentionDays: number;
    outboxSweepIntervalMs: number;
    workerConcurrency: number;
    /** BullMQ stalled-job recovery: a dead worker's job is rerun after about lock + check interval. */
    workerLockDurationMs: number;
    workerStalledIntervalMs: number;
    /** Redis key prefix of the queues (several deployments may share one Redis). */
    redisPrefix: string;
    /** A worker serves its own Prometheus /metrics on this port (0: off); see src/metrics/metrics-server.ts. */
    workerMetricsPort: number;
    /** Retry budget of the drift jobs: runs in all, and the first backoff (doubling). */
    driftJobAttempts: number;
    driftJobBackoffMs: number;
    /** How long a request waits, in all, for the queue after its commit before leaving the rest to the outbox sweep. */
    enqueueBudgetMs: number;
    /** Numeric values a reference keeps per feature; past it, a seeded uniform sample of this size (0: no cap). */
    referenceMaxValues: number;
    /** Bytes of decoded reference profiles a process keeps for its drift jobs (LRU by sha256). */
    profileCacheBytes: number;
  };
  /** Retrain job leases (see src/retraining/lease.ts). */
  retraining: {
    /** A running job's lease lasts this long past each heartbeat; an expired one is taken over. */
    leaseMs: number;
    heartbeatMs: number;
    /** Runs a job may start before an expired lease fails it instead of rerunning it. */
    maxLeaseAttempts: number;
  };
  /** Slow and abusive clients (see src/http/limits.ts). */
  http: {
    idleTimeoutMs: number;
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    maxConnections: number;
    /** A request body slower than this, averaged over minBodyRateWindowMs, is cut with 408 (0: off). */
    minBodyBytesPerS: number;
    minBodyRateWindowMs: number;
    authFailureLimit: number;
    authFailureWindowMs: number;
    maxEventLoopDelayMs: number;
    maxHeapUsedBytes: number;
  };
}

/** SQLite file (embedded default) or PostgreSQL (DATABASE_URL), with their tuning. */
export type DatabaseConfig =
  | { kind: 'sqlite'; path: string; lockTimeoutMs: number }
  | { kind: 'postgres'; url: string; poolSize: number; statementTimeoutMs: number; connectTimeoutMs: number };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    // One problem, one line (what a log collector shows best); several, a list.
    super(problems.length === 1 ? `invalid configuration: ${problems[0]}` : `invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Documented in README "Configuration"; keep the two in step. */
export const ENV_VARS = [
  'HOST',
  'PORT',
  'LOG_LEVEL',
  'DATA_DIR',
  'DATABASE_PATH',
  'DATABASE_URL',
  'DATABASE_POOL_SIZE',
  'ALIAS_CACHE_TTL_MS',
  'DATABASE_STATEMENT_TIMEOUT_MS',
  'DATABASE_CONNECT_TIMEOUT_MS',
  'DATABASE_LOCK_TIMEOUT_MS',
  'ARTIFACT_STORE',
  'ARTIFACTS_DIR',
  'S3_ENDPOINT',
  'S3_BUCKET',
  'S3_REGION',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
  'S3_FORCE_PATH_STYLE',
  'S3_PREFIX',
  'ADMIN_TOKEN',
  'BODY_LIMIT_BYTES',
  'SHUTDOWN_TIMEOUT_MS',
  'REDIS_URL',
  'S3_REQUEST_TIMEOUT_MS',
  'ARTIFACT_SWEEP_INTERVAL_MS',
  'ARTIFACT_SWEEP_GRACE_MS',
  'HTTP_IDLE_TIMEOUT_MS',
  'HTTP_HEADERS_TIMEOUT_MS',
  'HTTP_REQUEST_TIMEOUT_MS',
  'HTTP_MAX_CONNECTIONS',
  'HTTP_MIN_BODY_BYTES_PER_S',
  'TRUST_PROXY',
  'OUTBOUND_ALLOW_PRIVATE',
  'AUTH_FAILURE_LIMIT',
  'AUTH_FAILURE_WINDOW_MS',
  'OVERLOAD_MAX_EVENT_LOOP_DELAY_MS',
  'OVERLOAD_MAX_HEAP_USED_BYTES',
  'SAMPLE_BATCH_MAX_ROWS',
  'SAMPLE_BODY_LIMIT_BYTES',
  'REFERENCE_BODY_LIMIT_BYTES',
  'SAMPLE_RETENTION_DAYS',
  'PUBLIC_URL',
  'OUTBOX_SWEEP_INTERVAL_MS',
  'WORKER_CONCURRENCY',
  'WORKER_LOCK_DURATION_MS',
  'WORKER_STALLED_INTERVAL_MS',
  'REDIS_PREFIX',
  'WORKER_METRICS_PORT',
  'RETRAIN_LEASE_MS',
  'RETRAIN_HEARTBEAT_MS',
  'RETRAIN_MAX_ATTEMPTS',
  'DRIFT_JOB_ATTEMPTS',
  'DRIFT_JOB_BACKOFF_MS',
  'ENQUEUE_BUDGET_MS',
  'REFERENCE_MAX_VALUES',
  'WORKER_PROFILE_CACHE_BYTES',
] as const;

type Env = Partial<Record<string, string | undefined>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
      problems.push(`${name}: expected an integer in [${min}, ${max}], got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const boolean = (name: string, fallback: boolean): boolean => {
    const raw = read(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['1', 'true', 'yes'].includes(raw)) return true;
    if (['0', 'false', 'no'].includes(raw)) return false;
    problems.push(`${name}: expected true or false, got "${raw}"`);
    return fallback;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    problems.push(`${name}: expected one of ${allowed.join(', ')}, got "${raw}"`);
    return fallback;
  };

  const dataDir = resolve(read('DATA_DIR') ?? './data');
  const storeKind = oneOf('ARTIFACT_STORE', ['fs', 's3'] as const, read('S3_BUCKET') ? 's3' : 'fs');
  let artifacts: ArtifactStoreConfig;
  if (storeKind === 's3') {
    const bucket = read('S3_BUCKET');
    if (!bucket) problems.push('S3_BUCKET: required when ARTIFACT_STORE=s3');
    const endpoint = read('S3_ENDPOINT');
    if (endpoint && !/^https?:\/\/[^\s]+$/.test(endpoint)) {
      problems.push(`S3_ENDPOINT: expected an http(s) URL, got "${endpoint}"`);
    }
    const accessKeyId = read('S3_ACCESS_KEY_ID');
    const secretAccessKey = read('S3_SECRET_ACCESS_KEY');
    if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
      problems.push('S3_ACCESS_KEY_ID/S3_SECRET_ACCESS_KEY: set both or neither');
    }
    artifacts = {
      kind: 's3',
      bucket: bucket ?? '',
      region: read('S3_REGION') ?? 'us-east-1',
      forcePathStyle: boolean('S3_FORCE_PATH_STYLE', true),
      ...(endpoint ? { endpoint } : {}),
      ...(accessKeyId ? { accessKeyId } : {}),
      ...(secretAccessKey ? { secretAccessKey } : {}),
      ...(read('S3_PREFIX') ? { prefix: read('S3_PREFIX') } : {}),
      requestTimeoutMs: integer('S3_REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
    };
  } else {
    artifacts = { kind: 'fs', root: resolve(read('ARTIFACTS_DIR') ?? join(dataDir, 'artifacts')) };
  }

  const adminToken = read('ADMIN_TOKEN');
  if (adminToken !== undefined && adminToken.length < 16) {
    problems.push('ADMIN_TOKEN: must be at least 16 characters');
  }
  const publicUrl = read('PUBLIC_URL');
  if (publicUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(publicUrl)) problems.push(`PUBLIC_URL: expected an http(s) URL, got "${publicUrl}"`);
  const redisUrl = read('REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    problems.push(`REDIS_URL: expected redis:// or rediss://, got "${redisUrl}"`);
  }

  const databaseUrl = read('DATABASE_URL');
  let database: DatabaseConfig;
  if (databaseUrl !== undefined) {
    if (!/^postgres(ql)?:\/\/[^\s]+$/.test(databaseUrl)) {
      // Never echo the value: it may carry a password.
      problems.push('DATABASE_URL: expected a postgres:// or postgresql:// URL');
    }
    database = {
      kind: 'postgres',
      url: databaseUrl,
      poolSize: integer('DATABASE_POOL_SIZE', 10, 1, 1000),
      statementTimeoutMs: integer('DATABASE_STATEMENT_TIMEOUT_MS', 30_000, 100, 3_600_000),
      connectTimeoutMs: integer('DATABASE_CONNECT_TIMEOUT_MS', 30_000, 0, 3_600_000),
    };
  } else {
    database = {
      kind: 'sqlite',
      path: resolve(read('DATABASE_PATH') ?? join(dataDir, 'mlcycle.db')),
      lockTimeoutMs: integer('DATABASE_LOCK_TIMEOUT_MS', 5_000, 0, 600_000),
    };
  }

  const config: Config = {
    host: read('HOST') ?? '127.0.0.1',
    port: integer('PORT', 8080, 0, 65535),
    logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    dataDir,
    database,
    artifacts,
    adminToken,
    bodyLimitBytes: integer('BODY_LIMIT_BYTES', 16 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    shutdownTimeoutMs: integer('SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    redisUrl,
    publicUrl: publicUrl?.replace(/\/+$/, ''),
    trustProxy: boolean('TRUST_PROXY', false),
    aliasCacheTtlMs: integer('ALIAS_CACHE_TTL_MS', 1_000, 0, 60_000),
    outboundAllowPrivate: boolean('OUTBOUND_ALLOW_PRIVATE', false),
    sweep: {
      intervalMs: integer('ARTIFACT_SWEEP_INTERVAL_MS', 15 * 60_000, 1_000, 7 * 86_400_000),
      graceMs: integer('ARTIFACT_SWEEP_GRACE_MS', 6 * 3_600_000, 0, 30 * 86_400_000),
    },
    monitoring: {
      batchMaxRows: integer('SAMPLE_BATCH_MAX_ROWS', 10_000, 1, 10_000_000),
      sampleBodyLimitBytes: integer('SAMPLE_BODY_LIMIT_BYTES', 10 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
      referenceBodyLimitBytes: integer('REFERENCE_BODY_LIMIT_BYTES', 256 * 1024 * 1024, 1024, 4 * 1024 * 1024 * 1024),
      sampleRetentionDays: integer('SAMPLE_RETENTION_DAYS', 30, 1, 36_500),
      outboxSweepIntervalMs: integer('OUTBOX_SWEEP_INTERVAL_MS', 5_000, 100, 3_600_000),
      workerConcurrency: integer('WORKER_CONCURRENCY', 2, 1, 256),
      workerLockDurationMs: integer('WORKER_LOCK_DURATION_MS', 30_000, 1_000, 3_600_000),
      workerStalledIntervalMs: integer('WORKER_STALLED_INTERVAL_MS', 30_000, 500, 3_600_000),
      redisPrefix: read('REDIS_PREFIX') ?? 'mlcycle',
      workerMetricsPort: integer('WORKER_METRICS_PORT', 0, 0, 65_535),
      driftJobAttempts: integer('DRIFT_JOB_ATTEMPTS', 5, 1, 100),
      driftJobBackoffMs: integer('DRIFT_JOB_BACKOFF_MS', 2_000, 10, 3_600_000),
      enqueueBudgetMs: integer('ENQUEUE_BUDGET_MS', 100, 0, 60_000),
      // 1 M, from bench/reference-scale.ts on 2 cores: a 20-feature reference is then 160 MB decoded
      // and its cold report took 1.0 s (2 M: 320 MB, 3.7 s, over the 2 s goal); a 1 M sample's
      // CDF is within ~1/√(1 M) ≈ 0.001 of the population's, far below any KS critical D.
      referenceMaxValues: integer('REFERENCE_MAX_VALUES', 1_000_000, 0, 1_000_000_000),
      profileCacheBytes: integer('WORKER_PROFILE_CACHE_BYTES', 512 * 1024 * 1024, 0, Number.MAX_SAFE_INTEGER),
    },
    retraining: {
      leaseMs: integer('RETRAIN_LEASE_MS', 60_000, 1_000, 86_400_000),
      heartbeatMs: integer('RETRAIN_HEARTBEAT_MS', 10_000, 100, 3_600_000),
      maxLeaseAttempts: integer('RETRAIN_MAX_ATTEMPTS', 3, 1, 100),
    },
    http: {
      idleTimeoutMs: integer('HTTP_IDLE_TIMEOUT_MS', 30_000, 1_000, 3_600_000),
      headersTimeoutMs: integer('HTTP_HEADERS_TIMEOUT_MS', 10_000, 1_000, 600_000),
      requestTimeoutMs: integer('HTTP_REQUEST_TIMEOUT_MS', 3_600_000, 0, 86_400_000),
      maxConnections: integer('HTTP_MAX_CONNECTIONS', 1_024, 1, 1_000_000),
      minBodyBytesPerS: integer('HTTP_MIN_BODY_BYTES_PER_S', 1_024, 0, 1024 * 1024 * 1024),
      minBodyRateWindowMs: 10_000,
      authFailureLimit: integer('AUTH_FAILURE_LIMIT', 20, 1, 1_000_000),
      authFailureWindowMs: integer('AUTH_FAILURE_WINDOW_MS', 60_000, 1_000, 86_400_000),
      maxEventLoopDelayMs: integer('OVERLOAD_MAX_EVENT_LOOP_DELAY_MS', 1_000, 0, 600_000),
      maxHeapUsedBytes: integer('OVERLOAD_MAX_HEAP_USED_BYTES', 0, 0, Number.MAX_SAFE_INTEGER),
    },
  };
  // A lease renewed less than twice per duration expires under a live runner at the first slow write.
  if (config.retraining.heartbeatMs * 2 > config.retraining.leaseMs)
    problems.push(`RETRAIN_HEARTBEAT_MS: must be at most half of RETRAIN_LEASE_MS (${config.retraining.leaseMs}), got ${config.retraining.heartbeatMs}`);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
