import { execFile, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy } from '../helpers/http-fault-proxy.js';
import { startServerProcess } from '../helpers/server-process.js';

/**
 * examples/python against a live server, run by this machine's python3 exactly as a user would:
 * the training script registers a version, uploads its weights and reference data; the serving
 * script posts sample batches through a proxy that loses one answer, so its retry must not
 * double-count.
 */
const TOKEN = 'py-e2e-token-0123456789abcdef';
const dir = join(process.cwd(), '.tmp', 'test', `python-${randomUUID()}`);
let server: ChildProcess;
let base: string;

function python(script: string, args: string[], url: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'python3',
      [join('examples', 'python', script), ...args],
      { env: { ...process.env, MLCYCLE_URL: url, MLCYCLE_TOKEN: TOKEN, PYTHONDONTWRITEBYTECODE: '1' } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? -1) : 0, stdout, stderr });
      },
    );
  });
}
const lastJson = <T>(stdout: string): T => JSON.parse(stdout.trim().split('\n').at(-1)!) as T;
const api = async <T>(path: string): Promise<T> =>
  (await fetch(`${base}/api/v1${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json() as Promise<T>;
function count(sql: string, model: string): number {
  const db = new BetterSqlite3(join(dir, 'data', 'mlcycle.db'), { readonly: true });
  try {
    return (db.prepare(sql).get(model) as { n: number }).n;
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  const started = await startServerProcess({ DATA_DIR: join(dir, 'data'), ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'warn', OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0' });
  server = started.child;
  base = started.base;
});

afterAll(() => {
  if (server?.exitCode === null) server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('examples/python with python3', () => {
  it('train.py registers a version with its metrics, weights and reference; serve.py posts samples once despite a lost answer, then labels', async () => {
    const trained = await python('train.py', ['--model', 'churn', '--out', dir, '--promote', 'production', '--run-id', 'run-1'], base);
    expect(trained.code, trained.stderr).toBe(0);
    const summary = lastJson<{ version: number; metrics: { accuracy: number }; referenceRows: number }>(trained.stdout);
    expect(summary.version).toBe(1);
    // The data is learnable: a broken trainer (or swapped labels) would sit near 0.5.
    expect(summary.metrics.accuracy).toBeGreaterThan(0.7);

    const version = await api<{
      metrics: Record<string, number>;
      params: Record<string, string>;
      aliases: string[];
      features: { name: string }[];
      task: unknown;
    }>('/models/churn/versions/1');
    expect(version.metrics.accuracy).toBe(summary.metrics.accuracy);
    expect(version.params.algorithm).toBe('logistic-regression');
    expect(version.task).toEqual({ type: 'classification', positive: 1 });
    expect(version.aliases).toEqual(['production']);
    expect(version.features.map((f) => f.name)).toEqual(['age', 'monthly_spend', 'plan']);
    const weights = readFileSync(join(dir, 'model.json'));
    const artifacts = await api<{ items: { path: string; sha256: string; size: number }[] }>('/models/churn/versions/1/artifacts');
    expect(artifacts.items).toEqual([
      expect.objectContaining({ path: 'model.json', size: weights.length, sha256: createHash('sha256').update(weights).digest('hex') }),
    ]);
    expect((await api<{ rows: number }>('/models/churn/versions/1/reference')).rows).toBe(3200);

    // The first samples call is stored by the server but its answer never arrives.
    const proxy = await startFaultProxy(base);
    try {
      proxy.add({ match: (req) => req.method === 'POST' && req.url!.endsWith('/models/churn/samples'), times: 1, fault: 'drop-response' });
      const served = await python('serve.py', ['--model', 'churn', '--batches', '4', '--batch-size', '250'], proxy.base);
      expect(served.code, served.stderr).toBe(0);
      const result = lastJson<{ samples: number; labels: number; retries: number; artifactSha256: string }>(served.stdout);
      expect(result).toMatchObject({ samples: 1000, labels: 1000, retries: 1 });
      expect(result.artifactSha256).toBe(createHash('sha256').update(weights).digest('hex'));
      const posts = proxy.seen.filter((s) => s.method === 'POST' && s.url.endsWith('/samples'));
      expect(posts).toHaveLength(5);
      // The retry carried the same key as the lost call, and the server counted that batch once.
      expect(posts[0]!.fault).toBe('drop-response');
      expect(posts[1]!.idempotencyKey).toBe(posts[0]!.idempotencyKey);
      expect(new Set(posts.map((p) => p.idempotencyKey)).size).toBe(4);
    } finally {
      await proxy.close();
    }
    expect(count('select coalesce(sum(b.row_count), 0) as n from sample_batches b join models m on m.id = b.model_id where m.name = ?', 'churn')).toBe(1000);
    expect(count('select count(*) as n from sample_batches b join models m on m.id = b.model_id where m.name = ?', 'churn')).toBe(4);
    expect(count('select count(*) as n from sample_labels l join models m on m.id = l.model_id where m.name = ?', 'churn')).toBe(1000);
  });

  it('the client raises the server’s problem detail: a bad token is UNAUTHENTICATED', async () => {
    const res = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        'python3',
        ['train.py', '--model', 'x', '--out', dir],
        { cwd: join('examples', 'python'), env: { ...process.env, MLCYCLE_URL: base, MLCYCLE_TOKEN: 'wrong', PYTHONDONTWRITEBYTECODE: '1' } },
        (error, _stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code) : 0, stderr }),
      );
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/ApiError: UNAUTHENTICATED \(401\): send "Authorization: Bearer <api key>"/);
  });
});
