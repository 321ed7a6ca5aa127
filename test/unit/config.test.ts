import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('config', () => {
  it('runs on embedded defaults: SQLite and filesystem artifacts under ./data', () => {
    const config = loadConfig({});
    expect(config.port).toBe(8080);
    expect(config.database).toMatchObject({ kind: 'sqlite', path: expect.stringMatching(/data\/mlcycle\.db$/) });
    expect(config.artifacts).toEqual({ kind: 'fs', root: expect.stringMatching(/data\/artifacts$/) });
    expect(config.adminToken).toBeUndefined();
  });

  it('switches to S3 when a bucket is configured', () => {
    const config = loadConfig({
      S3_BUCKET: 'models',
      S3_ENDPOINT: 'http://127.0.0.1:9000',
      S3_ACCESS_KEY_ID: 'a',
      S3_SECRET_ACCESS_KEY: 'b',
      S3_FORCE_PATH_STYLE: 'false',
    });
    expect(config.artifacts).toEqual({
      kind: 's3',
      bucket: 'models',
      endpoint: 'http://127.0.0.1:9000',
      region: 'us-east-1',
      accessKeyId: 'a',
      secretAccessKey: 'b',
      forcePathStyle: false,
      requestTimeoutMs: 30_000,
    });
    expect(loadConfig({ S3_BUCKET: 'models', S3_REQUEST_TIMEOUT_MS: '1500' }).artifacts).toMatchObject({ requestTimeoutMs: 1500 });
  });

  it("bounds the enqueue wait of a request and the drift jobs' retry budget", () => {
    expect(loadConfig({}).monitoring).toMatchObject({ enqueueBudgetMs: 100, driftJobAttempts: 5, driftJobBackoffMs: 2_000 });
    expect(loadConfig({ ENQUEUE_BUDGET_MS: '50', DRIFT_JOB_ATTEMPTS: '2', DRIFT_JOB_BACKOFF_MS: '100' }).monitoring).toMatchObject({
      enqueueBudgetMs: 50,
      driftJobAttempts: 2,
      driftJobBackoffMs: 100,
    });
    expect(() => loadConfig({ ENQUEUE_BUDGET_MS: '-1', DRIFT_JOB_ATTEMPTS: '0' })).toThrow(
      /ENQUEUE_BUDGET_MS[\s\S]*DRIFT_JOB_ATTEMPTS|DRIFT_JOB_ATTEMPTS[\s\S]*ENQUEUE_BUDGET_MS/,
    );
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        LOG_LEVEL: 'loud',
        ARTIFACT_STORE: 's3',
        S3_ACCESS_KEY_ID: 'only-one',
        ADMIN_TOKEN: 'short',
        BODY_LIMIT_BYTES: '-1',
        REDIS_URL: 'http://x',
        HTTP_MAX_CONNECTIONS: '0',
        ARTIFACT_SWEEP_GRACE_MS: 'soon',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of [
      'PORT',
      'LOG_LEVEL',
      'S3_BUCKET',
      'S3_ACCESS_KEY_ID',
      'ADMIN_TOKEN',
      'BODY_LIMIT_BYTES',
      'REDIS_URL',
      'HTTP_MAX_CONNECTIONS',
      'ARTIFACT_SWEEP_GRACE_MS',
    ])
      expect(message).toContain(name);
  });

  it('selects PostgreSQL from DATABASE_URL, with its pool and timeouts', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgresql://u:p@db:5432/mlcycle',
      DATABASE_POOL_SIZE: '25',
      DATABASE_STATEMENT_TIMEOUT_MS: '5000',
      DATABASE_CONNECT_TIMEOUT_MS: '0',
    });
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgresql://u:p@db:5432/mlcycle', poolSize: 25, statementTimeoutMs: 5000, connectTimeoutMs: 0 });
  });

  it('rejects a non-postgres DATABASE_URL without echoing it (it may hold a password)', () => {
    let message = '';
    try {
      loadConfig({ DATABASE_URL: 'mysql://root:topsecret@db/x', DATABASE_POOL_SIZE: '0' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('DATABASE_URL');
    expect(message).toContain('DATABASE_POOL_SIZE');
    expect(message).not.toContain('topsecret');
  });
});
