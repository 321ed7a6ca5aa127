import { AsyncLocalStorage } from 'node:async_hooks';
import type { SQL } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type * as pgSchema from './schema.pg.js';

/**
 * The query builder repositories write against. At run time it is drizzle on better-sqlite3 with
 * the tables of schema.sqlite.ts, or drizzle on node-postgres with those of schema.pg.ts; both
 * builders take the same calls (`await db.select()…`, `.returning()`, `.onConflictDoUpdate()`),
 * and the two schemas have the same tables and columns (checked by a test), so repositories are
 * typed once — against the PostgreSQL flavour — and stay dialect-neutral.
 */
export type Db = NodePgDatabase<typeof pgSchema>;
export type Tables = typeof pgSchema;
export type Dialect = 'sqlite' | 'postgres';

export interface Database {
  readonly dialect: Dialect;
  readonly tables: Tables;
  /** The handle to query with: the current transaction's inside `transaction`, the shared one outside. */
  db(): Db;
  /** Raw rows of a dialect-specific statement, on the same handle as `db()`. */
  rows<T>(query: SQL): Promise<T[]>;
  /**
   * The unit of work: runs `fn` in one transaction and commits when it resolves, rolls back when
   * it throws. Nested calls join the outer transaction. Writes belong inside one: on SQLite the
   * handle outside a transaction is a read-only connection.
   */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  inTransaction(): boolean;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Which transaction (if any) the current async context runs in. */
export function createTransactionContext<H>() {
  const storage = new AsyncLocalStorage<H>();
  return {
    current: (): H | undefined => storage.getStore(),
    run: <T>(handle: H, fn: () => Promise<T>): Promise<T> => storage.run(handle, fn),
  };
}

/** A FIFO mutex: at most one holder; the others wait in order. */
export function createMutex() {
  let tail: Promise<void> = Promise.resolve();
  return async function acquire(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const previous = tail;
    tail = previous.then(() => held);
    await previous;
    return release;
  };
}
