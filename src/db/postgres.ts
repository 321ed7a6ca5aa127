import { setTimeout as sleep } from 'node:timers/promises';
import type { SQL } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { createTransactionContext, type Database, type Db, type Tables } from './database.js';
import * as schema from './schema.pg.js';
import { migrationsDir } from './migrations-dir.js';

const MIGRATIONS_DIR = migrationsDir('postgres');
/** Any constant shared by every mlcycle process: the advisory lock that serialises migrations. */
const MIGRATION_LOCK_KEY = 0x6d6c6379; // "mlcy"

export interface PostgresOptions {
  url: string;
  poolSize: number;
  statementTimeoutMs: number;
  /** How long start-up keeps retrying an unreachable server before giving up. */
  connectTimeoutMs: number;
  log?: (message: string) => void;
}

export interface PostgresDatabase extends Database {
  readonly pool: pg.Pool;
  /**
   * A named prepared statement (parsed and planned once per connection) on the current
   * transaction's connection or the pool: for the hot read paths, where drizzle's query building
   * and PostgreSQL's parsing would dominate.
   */
  prepared<T>(name: string, text: string, values: unknown[]): Promise<T[]>;
  /**
   * Counts writes this process completed: every committed transaction, and every write outside
   * one that its caller reports with `noteWrite`. Changes before the write's caller is answered,
   * so a cache validated before it can tell it may be stale (read-your-writes on one process).
   */
  writeEpoch(): number;
  noteWrite(): void;
  /**
   * LISTEN on one channel over a dedicated connection (not the pool's), reconnecting with backoff.
   * `onState(true)` once the LISTEN is in place (again), `onState(false)` when the connection is
   * lost: notifications sent meanwhile are gone, so a listener must distrust what it knew.
   */
  listen(channel: string, onPayload: (payload: string) => void, onState: (listening: boolean) => void): void;
}

/** The URL with its password replaced: what logs and error messages may show. */
export function maskDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}

export class DatabaseConnectError extends Error {
  constructor(url: string, cause: unknown) {
    super(`could not connect to the database at DATABASE_URL=${maskDatabaseUrl(url)}: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'DatabaseConnectError';
  }
}

/** Connects with exponential backoff until `connectTimeoutMs`: a database that starts after us is waited for. */
async function connectWithRetry(options: PostgresOptions): Promise<pg.Client> {
  const deadline = Date.now() + options.connectTimeoutMs;
  for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
    const client = new pg.Client({ connectionString: options.url, connectionTimeoutMillis: 5_000 });
    client.on('error', () => {}); // a dropped connection surfaces on the next query instead
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => {});
      if (Date.now() + delay > deadline) throw new DatabaseConnectError(options.url, error);
      options.log?.(`database not reachable yet (${(error as Error).message}); retrying in ${delay} ms`);
      await sleep(delay);
    }
  }
}

/**
 * Applies the committed migrations under a session-level advisory lock, so ten processes
 * starting at once migrate once: the others wait for the lock, then find nothing left to do.
 */
async function migrateUnderLock(client: pg.Client): Promise<void> {
  await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  try {
    await migrate(drizzle(client, { schema }), { migrationsFolder: MIGRATIONS_DIR });
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
  }
}

/** PostgreSQL through a node-postgres pool; transactions take one pooled connection each. */
export async function openPostgres(options: PostgresOptions): Promise<PostgresDatabase> {
  const client = await connectWithRetry(options);
  try {
    await migrateUnderLock(client);
  } finally {
    await client.end();
  }

  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    statement_timeout: options.statementTimeoutMs,
    // A request waits this long for a free or new connection, then fails as DATABASE_UNAVAILABLE.
    connectionTimeoutMillis: Math.min(options.statementTimeoutMs, 5_000),
    idleTimeoutMillis: 30_000,
  });
  // A client whose server went away emits 'error' — on the pool while idle, on the client while
  // checked out. Without listeners either would crash the process; the query in flight rejects
  // anyway (and becomes a 503), and the pool replaces the connection.
  pool.on('error', (error) => options.log?.(`idle database connection lost: ${error.message}`));
  pool.on('connect', (client) => client.on('error', (error) => options.log?.(`database connection lost: ${error.message}`)));
  const root = drizzle(pool, { schema });
  let writes = 0;
  let closed = false;
  const listeners: pg.Client[] = [];
  function listen(channel: string, onPayload: (payload: string) => void, onState: (listening: boolean) => void): void {
    let delay = 100;
    const connect = async () => {
      if (closed) return;
      const client = new pg.Client({ connectionString: options.url, connectionTimeoutMillis: 5_000, keepAlive: true });
      let lost = false;
      const onLost = (error?: Error) => {
        if (lost) return;
        lost = true;
        onState(false);
        const at = listeners.indexOf(client);
        if (at >= 0) listeners.splice(at, 1);
        client.end().catch(() => {});
        if (closed) return;
        if (error) options.log?.(`LISTEN ${channel} connection lost (${error.message}); reconnecting in ${delay} ms`);
        setTimeout(connect, delay).unref();
        delay = Math.min(delay * 2, 5_000);
      };
      client.on('error', onLost);
      client.on('end', () => onLost());
      client.on('notification', (message) => {
        if (message.channel === channel && message.payload !== undefined) onPayload(message.payload);
      });
      listeners.push(client);
      try {
        await client.connect();
        await client.query(`LISTEN ${channel}`);
        if (lost) return;
        delay = 100;
        onState(true);
      } catch (error) {
        onLost(error as Error);
      }
    };
    void connect();
  }
  const context = createTransactionContext<{ db: Db; client: pg.PoolClient }>();
  const current = () => (context.current()?.db ?? root) as Db;

  return {
    dialect: 'postgres',
    tables: schema as Tables,
    pool,
    db: current,
    async rows<T>(query: SQL): Promise<T[]> {
      return (await current().execute(query)).rows as T[];
    },
    inTransaction: () => context.current() !== undefined,
    /**
     * One pooled connection per transaction, held from BEGIN to COMMIT. Written out rather than
     * drizzle's `transaction` because that one leaks the connection when BEGIN itself fails (the
     * server went away) and returns a broken connection to the pool; here a connection whose
     * ROLLBACK fails is destroyed, so an outage drains out of the pool by itself.
     */
    async transaction<T>(fn: () => Promise<T>): Promise<T> {
      if (context.current()) return fn();
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('begin');
        const result = await context.run({ db: drizzle(client) as unknown as Db, client }, fn);
        await client.query('commit');
        writes++;
        return result;
      } catch (error) {
        await client.query('rollback').catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        throw error;
      } finally {
        client.release(broken);
      }
    },
    async prepared<T>(name: string, text: string, values: unknown[]): Promise<T[]> {
      const result = await (context.current()?.client ?? pool).query({ name, text, values });
      return result.rows as T[];
    },
    writeEpoch: () => writes,
    noteWrite() {
      writes++;
    },
    listen,
    async ping() {
      await pool.query('select 1');
    },
    async close() {
      closed = true;
      await Promise.all(listeners.splice(0).map((c) => c.end().catch(() => {})));
      await pool.end();
    },
  };
}
