import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import type { SQL } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { AppError } from '../http/errors.js';
import { createMutex, createTransactionContext, type Database, type Db, type Tables } from './database.js';
import * as schema from './schema.sqlite.js';
import { migrationsDir } from './migrations-dir.js';

const MIGRATIONS_DIR = migrationsDir('sqlite');

export interface SqliteOptions {
  /** How long a transaction may wait for another process's write lock before answering 503. */
  lockTimeoutMs: number;
}

export interface SqliteDatabase extends Database {
  /** The raw connections, for the prepared statements of the hot read paths. */
  readonly connections: { writer: BetterSqlite3.Database; reader: BetterSqlite3.Database };
  /** The connection a statement must run on now: the writer inside a transaction, the reader outside. */
  connection(): BetterSqlite3.Database;
}

const isBusy = (error: unknown) => (error as { code?: string })?.code === 'SQLITE_BUSY';

/**
 * SQLite in WAL mode with two connections: a writer, used only inside the unit of work, and a
 * read-only reader for everything else.
 *
 * Why the unit of work is correct although better-sqlite3 is synchronous and callers `await`
 * inside transactions: a FIFO mutex lets one transaction at a time own the writer connection from
 * its BEGIN to its COMMIT/ROLLBACK, so no statement of another transaction can land between them;
 * statements outside any transaction run on the reader, which sees only committed data (WAL
 * snapshot) and cannot write. Across processes, BEGIN IMMEDIATE takes the database's write lock up
 * front, so two writers queue instead of deadlocking on a lock upgrade.
 *
 * Lock waits never block the event loop: the writer's busy timeout is 0, and a busy BEGIN is
 * retried with an async backoff until `lockTimeoutMs`, then fails with 503 DATABASE_BUSY.
 */
export function openSqlite(path: string, options: SqliteOptions): SqliteDatabase {
  const memory = path === ':memory:';
  if (!memory) {
    // Owner-only: SQLite creates its -wal/-shm files with the database file's mode.
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    closeSync(openSync(path, 'a', 0o600));
    chmodSync(path, 0o600);
  }
  const writer = new BetterSqlite3(path);
  writer.pragma('journal_mode = WAL');
  writer.pragma('foreign_keys = ON');
  writer.pragma('synchronous = NORMAL');
  // Sample batches are ~0.2 MB each: checkpoint (and fsync) every ~40 MB of WAL, not every 4 MB.
  writer.pragma('wal_autocheckpoint = 10000');
  // Migrations run before the lock-wait policy applies: a second process starting at the same
  // moment simply waits its turn here.
  writer.pragma('busy_timeout = 5000');
  const writerDb = drizzle(writer, { schema });
  migrate(writerDb, { migrationsFolder: MIGRATIONS_DIR });
  writer.pragma('busy_timeout = 0');

  // ':memory:' is private to its connection, so there the writer reads too.
  const reader = memory ? writer : new BetterSqlite3(path, { readonly: true });
  if (!memory) reader.pragma('busy_timeout = 1000');
  const readerDb = drizzle(reader, { schema });

  const context = createTransactionContext<true>();
  const acquire = createMutex();
  const current = () => (context.current() ? writerDb : readerDb) as unknown as Db;
  const connection = () => (context.current() ? writer : reader);

  async function beginImmediate(): Promise<void> {
    const deadline = Date.now() + options.lockTimeoutMs;
    for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
      try {
        writer.exec('BEGIN IMMEDIATE');
        return;
      } catch (error) {
        if (!isBusy(error)) throw error;
        if (Date.now() + delay > deadline) {
          throw new AppError('DATABASE_BUSY', `the database stayed locked by another process for ${options.lockTimeoutMs} ms`);
        }
        await sleep(delay);
      }
    }
  }

  return {
    dialect: 'sqlite',
    tables: schema as unknown as Tables,
    connections: { writer, reader },
    connection,
    db: current,
    async rows<T>(query: SQL): Promise<T[]> {
      return (context.current() ? writerDb : readerDb).all<T>(query);
    },
    inTransaction: () => context.current() !== undefined,
    async transaction<T>(fn: () => Promise<T>): Promise<T> {
      if (context.current()) return fn();
      const release = await acquire();
      try {
        await beginImmediate();
        try {
          const result = await context.run(true, fn);
          writer.exec('COMMIT');
          return result;
        } catch (error) {
          if (writer.inTransaction) writer.exec('ROLLBACK');
          throw error;
        }
      } finally {
        release();
      }
    },
    async ping() {
      reader.prepare('select 1').get();
    },
    async close() {
      // Wait for a transaction in flight, then close; later transactions fail on the closed handle.
      const release = await acquire();
      if (reader !== writer) reader.close();
      writer.close();
      release();
    },
  };
}
