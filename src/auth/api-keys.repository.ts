import { and, desc, eq, isNull, lt } from 'drizzle-orm';
import type { Database, Tables } from '../db/client.js';
import type { PostgresDatabase } from '../db/postgres.js';
import type { SqliteDatabase } from '../db/sqlite.js';

export type ApiKeyRow = Tables['apiKeys']['$inferSelect'];

const ACTIVE_BY_HASH = `select id, name, token_hash as "tokenHash", scopes, created_at as "createdAt",
  last_used_at as "lastUsedAt", revoked_at as "revokedAt" from api_keys where token_hash = $1 and revoked_at is null`;

export function createApiKeysRepository(database: Database) {
  const { apiKeys } = database.tables;
  const db = () => database.db();
  // Every authenticated request runs this lookup: on SQLite a prepared statement on the reader
  // connection, not a rebuilt query.
  const activeByHash = (() => {
    if (database.dialect === 'sqlite') {
      const { writer, reader } = (database as SqliteDatabase).connections;
      const [onWriter, onReader] = [writer, reader].map((c) => c.prepare<[string], Record<string, unknown>>(ACTIVE_BY_HASH.replace('$1', '?')));
      return async (hash: string) => (database.inTransaction() ? onWriter! : onReader!).get(hash);
    }
    return async (hash: string) => (await (database as PostgresDatabase).prepared<Record<string, unknown>>('api_key_by_hash', ACTIVE_BY_HASH, [hash]))[0];
  })();

  return {
    transaction: <R>(fn: () => Promise<R>): Promise<R> => database.transaction(fn),
    async insert(row: Tables['apiKeys']['$inferInsert']): Promise<ApiKeyRow> {
      const [inserted] = await db().insert(apiKeys).values(row).returning();
      return inserted!;
    },
    async findActiveByHash(tokenHash: string): Promise<ApiKeyRow | undefined> {
      const row = await activeByHash(tokenHash);
      return row ? ({ ...row, scopes: typeof row.scopes === 'string' ? JSON.parse(row.scopes) : row.scopes } as ApiKeyRow) : undefined;
    },
    /** Active or revoked: start-up must tell a revoked bootstrap token from an unknown one. */
    async findByHash(tokenHash: string): Promise<ApiKeyRow | undefined> {
      const [row] = await db().select().from(apiKeys).where(eq(apiKeys.tokenHash, tokenHash));
      return row;
    },
    async findById(id: string): Promise<ApiKeyRow | undefined> {
      const [row] = await db().select().from(apiKeys).where(eq(apiKeys.id, id));
      return row;
    },
    listActive(limit: number, afterId?: string): Promise<ApiKeyRow[]> {
      const conditions = [isNull(apiKeys.revokedAt), afterId ? lt(apiKeys.id, afterId) : undefined];
      return db()
        .select()
        .from(apiKeys)
        .where(and(...conditions))
        .orderBy(desc(apiKeys.id))
        .limit(limit);
    },
    async countActiveAdmins(): Promise<number> {
      const rows = await db().select().from(apiKeys).where(isNull(apiKeys.revokedAt));
      return rows.filter((k) => k.scopes.includes('admin')).length;
    },
    async revoke(id: string, at: string): Promise<void> {
      await db().update(apiKeys).set({ revokedAt: at }).where(eq(apiKeys.id, id));
    },
    async touch(id: string, at: string): Promise<void> {
      await db().update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, id));
    },
  };
}
export type ApiKeysRepository = ReturnType<typeof createApiKeysRepository>;
