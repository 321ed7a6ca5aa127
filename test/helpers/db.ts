import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import type { Database } from '../../src/db/client.js';

/** Which database the integration suite runs on: vitest's projects set TEST_DIALECT (sqlite by default). */
export const TEST_DIALECT: 'sqlite' | 'postgres' = process.env.TEST_DIALECT === 'postgres' ? 'postgres' : 'sqlite';
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The URL of another database on the same server. */
function databaseUrl(name: string, base = TEST_DATABASE_URL): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs one statement on the server's admin database (create and drop databases there). */
async function admin(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  try {
    await client.connect();
  } catch (error) {
    // Said as plainly as a missing Redis: which server, and how to get one.
    throw new Error(
      `PostgreSQL at ${new URL(TEST_DATABASE_URL).host} does not answer (${(error as Error).message}): the postgres test project needs one — ` +
        'start the local server (Debian: pg_ctlcluster <version> main start; .ci/run does it) or set TEST_DATABASE_URL',
    );
  }
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

export interface ScratchDatabase {
  /** What a test app's config needs to use it (empty on SQLite). */
  env: Record<string, string>;
  url: string;
  drop(): Promise<void>;
}

/** A fresh PostgreSQL database on the local server (TEST_DATABASE_URL), whatever TEST_DIALECT says. */
export async function createPostgresDatabase(prefix = 'mlc_test'): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  await admin(`create database ${name}`);
  const url = databaseUrl(name);
  return { env: { DATABASE_URL: url }, url, drop: () => admin(`drop database if exists ${name} with (force)`) };
}

/**
 * A fresh PostgreSQL database on the local server for one test app; `drop` removes it. On SQLite
 * there is nothing to make: each test app gets its own file in its own folder.
 */
export async function createScratchDatabase(): Promise<ScratchDatabase> {
  if (TEST_DIALECT === 'sqlite') return { env: {}, url: '', drop: async () => undefined };
  return createPostgresDatabase();
}

/** Raw rows of a plain SQL statement on whichever dialect runs (SQL the two share). */
export function query<T = Record<string, unknown>>(database: Database, text: string): Promise<T[]> {
  return database.rows<T>(sql.raw(text));
}

/** count(*) as a number (PostgreSQL returns bigint as a string). */
export async function count(database: Database, text: string): Promise<number> {
  const [row] = await query<{ n: number | string }>(database, text);
  return Number(row!.n);
}

/** A second, independent connection to an app's database: another process, as far as the app can tell. */
export async function otherConnection(t: { databaseUrl: string; container: { config: { database: { kind: string; path?: string } } } }) {
  if (TEST_DIALECT === 'postgres') {
    const client = new pg.Client({ connectionString: t.databaseUrl });
    await client.connect();
    return { exec: async (text: string) => void (await client.query(text)), close: () => client.end() };
  }
  const { default: BetterSqlite3 } = await import('better-sqlite3');
  const conn = new BetterSqlite3(t.container.config.database.path!);
  return { exec: async (text: string) => void conn.exec(text), close: async () => void conn.close() };
}

/** How many migrations the PostgreSQL journal lists: what a migrated database has applied. */
export const POSTGRES_MIGRATIONS: number = JSON.parse(readFileSync('migrations/postgres/meta/_journal.json', 'utf8')).entries.length;
