import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresDatabase } from '../helpers/db.js';
import { startServerProcess } from '../helpers/server-process.js';

/**
 * Two real API processes posting samples into one model at once, on each database: no sample
 * lost, no window doubled. Each process runs the drift jobs of the windows it completed (the
 * in-process queue), so every window also ends with exactly one finished report.
 */
const TOKEN = 'e2e-monitor-token-0123456789abcdef';
const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const features = [
  { name: 'x', type: 'numeric' },
  { name: 'c', type: 'categorical' },
];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

/** A fresh PostgreSQL database and a query function on it. */
async function scratchPostgres() {
  const database = await createPostgresDatabase('mlc_e2e');
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  return {
    url: database.url,
    query: async <T>(text: string): Promise<T[]> => (await client.query(text)).rows as T[],
    drop: async () => {
      await client.end().catch(() => undefined);
      await database.drop();
    },
  };
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`two API processes ingesting into one model (${dialect})`, () => {
    it('2 000 samples posted concurrently through both: no sample lost, 20 windows, 20 reports', async () => {
      const dataDir = join(process.cwd(), '.tmp', 'test', `e2e-mon-${randomUUID()}`);
      mkdirSync(dataDir, { recursive: true });
      const postgres = dialect === 'postgres' ? await scratchPostgres() : undefined;
      const env = {
        DATA_DIR: dataDir,
        ADMIN_TOKEN: TOKEN,
        LOG_LEVEL: 'warn',
        OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
        ...(postgres ? { DATABASE_URL: postgres.url } : {}),
      };
      try {
        const a = await startServerProcess(env);
        children.push(a.child);
        const b = await startServerProcess(env);
        children.push(b.child);
        const api = (base: string) => `${base}/api/v1`;
        const post = (base: string, path: string, body: unknown) => fetch(`${api(base)}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
        await post(a.base, '/models', { name: 'shared' });
        await post(a.base, '/models/shared/versions', { features });
        const rows = Array.from({ length: 500 }, (_, i) => ({ x: (i % 50) / 7, c: `k${i % 5}` }));
        expect((await post(b.base, '/models/shared/versions/1/reference', { rows })).status).toBe(200);
        await fetch(`${api(a.base)}/models/shared/monitor`, { method: 'PUT', headers, body: JSON.stringify({ window: { size: 100 } }) });

        const batch = (i: number) => ({ version: 1, rows: rows.slice(0, 100).map((r) => ({ ...r, x: r.x + (i % 3) })) });
        const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => post(i % 2 ? a.base : b.base, '/models/shared/samples', batch(i))));
        expect(responses.map((r) => r.status)).toEqual(Array(20).fill(202));
        const completed = (await Promise.all(responses.map((r) => r.json() as Promise<{ windowsCompleted: number }>))).reduce(
          (n, r) => n + r.windowsCompleted,
          0,
        );
        expect(completed).toBe(20);

        const query = postgres
          ? postgres.query
          : async <T>(text: string): Promise<T[]> => {
              const db = new BetterSqlite3(join(dataDir, 'mlcycle.db'), { readonly: true });
              try {
                return db.prepare(text).all() as T[];
              } finally {
                db.close();
              }
            };
        const batches = await query<{ seq_start: number | string; row_count: number }>('select seq_start, row_count from sample_batches order by seq_start');
        let next = 0;
        for (const row of batches) {
          expect(Number(row.seq_start)).toBe(next); // contiguous, disjoint: no sample lost or numbered twice
          next += row.row_count;
        }
        expect(next).toBe(2000);

        let reports: { window_key: string; status: string }[] = [];
        for (let i = 0; i < 200; i++) {
          reports = await query<{ window_key: string; status: string }>('select window_key, status from drift_reports');
          if (reports.length === 20 && reports.every((r) => r.status === 'done')) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        expect(reports.filter((r) => r.status === 'done')).toHaveLength(20);
        expect(new Set(reports.map((r) => r.window_key)).size).toBe(20);
      } finally {
        for (const c of children.splice(0)) c.kill('SIGKILL');
        await new Promise((r) => setTimeout(r, 200));
        await postgres?.drop();
      }
    });
  });
}
