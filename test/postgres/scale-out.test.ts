import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_MIGRATIONS, createScratchDatabase } from '../helpers/db.js';
import { type ServerProcess, startServerProcess } from '../helpers/server-process.js';

/**
 * The scaled deployment for real: several API processes on one PostgreSQL database, each with its
 * own pool, registering versions of one model at once.
 */
const TOKEN = 'pg-admin-token-0123456789abcdef';
const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const children: ChildProcess[] = [];
let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let servers: ServerProcess[];

beforeAll(async () => {
  scratch = await createScratchDatabase();
  const dataDir = join(process.cwd(), '.tmp', 'test', `pg-scale-${randomUUID()}`);
  mkdirSync(dataDir, { recursive: true });
  // Four processes starting at once also exercise the migration advisory lock.
  servers = await Promise.all(
    Array.from({ length: 4 }, (_, i) =>
      startServerProcess({ DATABASE_URL: scratch.url, DATA_DIR: join(dataDir, String(i)), ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'warn', DATABASE_POOL_SIZE: '5' }),
    ),
  );
  children.push(...servers.map((s) => s.child));
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 200));
  await scratch.drop();
});

const register = (base: string, model: string, i: number) =>
  fetch(`${base}/api/v1/models/${model}/versions`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ features: [{ name: 'x', type: 'numeric' }], runId: `run-${i}` }),
  });

async function dbRows<T>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: scratch.url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

const firstRow = async <T>(text: string): Promise<T> => (await dbRows<T>(text))[0]!;

describe('four API processes on one PostgreSQL database', () => {
  it('migrated once although four processes started at once', async () => {
    const { n } = await firstRow<{ n: string }>('select count(*) as n from drizzle.__drizzle_migrations');
    expect(Number(n)).toBe(POSTGRES_MIGRATIONS);
  });

  it('200 concurrent registrations of one model get 1…200 with no gap or duplicate, and 200 audit events', async () => {
    expect((await fetch(`${servers[0]!.base}/api/v1/models`, { method: 'POST', headers, body: JSON.stringify({ name: 'shared' }) })).status).toBe(201);
    const responses = await Promise.all(Array.from({ length: 200 }, (_, i) => register(servers[i % 4]!.base, 'shared', i)));
    expect(responses.map((r) => r.status)).toEqual(Array(200).fill(201));
    const numbers = (await Promise.all(responses.map((r) => r.json() as Promise<{ version: number }>))).map((v) => v.version).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const { n } = await firstRow<{ n: string }>("select count(*) as n from events where type = 'version.created' and model_name = 'shared'");
    expect(Number(n)).toBe(200);
  });

  it('database connections killed mid-run leave no half-written version, and service resumes by itself', async () => {
    expect((await fetch(`${servers[1]!.base}/api/v1/models`, { method: 'POST', headers, body: JSON.stringify({ name: 'crash' }) })).status).toBe(201);
    const storm = Promise.all(Array.from({ length: 120 }, (_, i) => register(servers[i % 4]!.base, 'crash', i)));
    await new Promise((r) => setTimeout(r, 40));
    // What a server restart does to every open session: terminate all of this database's backends.
    await dbRows('select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
    const responses = await storm.catch((e) => {
      throw new Error(`${e}\n${servers.map((s) => s.output().slice(-3000)).join('\n----\n')}`);
    });
    const statuses = responses.map((r) => r.status);
    // Every request either registered a version or failed cleanly as unavailable: never a 500.
    expect(
      statuses.every((s) => s === 201 || s === 503),
      statuses.join(','),
    ).toBe(true);
    const created = (await Promise.all(responses.filter((r) => r.status === 201).map((r) => r.json() as Promise<{ version: number }>))).map((v) => v.version);

    const versions = (
      await dbRows<{ version: number }>("select v.version from versions v join models m on m.id = v.model_id where m.name = 'crash' order by 1")
    ).map((r) => r.version);
    const { last } = await firstRow<{ last: number }>("select last_version as last from models where name = 'crash'");
    const { n } = await firstRow<{ n: string }>("select count(*) as n from events where type = 'version.created' and model_name = 'crash'");
    // No gap (a rolled-back registration also rolled back its number), no version without its event.
    expect(versions).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    expect(Number(n)).toBe(versions.length);
    expect(created.sort((a, b) => a - b)).toEqual(versions);

    // The pools replace the killed connections: the next registrations succeed on every process.
    const after = await Promise.all(servers.map((s, i) => register(s.base, 'crash', 1000 + i)));
    expect(after.map((r) => r.status)).toEqual([201, 201, 201, 201]);
  });
});
