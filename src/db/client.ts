import type { DatabaseConfig } from '../config.js';
import type { Database } from './database.js';
import { openPostgres } from './postgres.js';
import { openSqlite } from './sqlite.js';

export type { Database, Db, Dialect, Tables } from './database.js';

/**
 * Opens the configured database and applies its migrations: SQLite (the embedded default) or
 * PostgreSQL when DATABASE_URL is set. Everything above this line is dialect-neutral.
 */
export async function openDatabase(config: DatabaseConfig, log?: (message: string) => void): Promise<Database> {
  if (config.kind === 'postgres') {
    return openPostgres({
      url: config.url,
      poolSize: config.poolSize,
      statementTimeoutMs: config.statementTimeoutMs,
      connectTimeoutMs: config.connectTimeoutMs,
      ...(log ? { log } : {}),
    });
  }
  return openSqlite(config.path, { lockTimeoutMs: config.lockTimeoutMs });
}
