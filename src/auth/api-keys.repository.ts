import { and, desc, eq, isNull, lt } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { apiKeys } from '../db/schema.js';

export type ApiKeyRow = typeof apiKeys.$inferSelect;

export function createApiKeysRepository(db: Db) {
  // Every authenticated request runs this lookup: a prepared statement, not a rebuilt query.
  const activeByHash = db.$client.prepare<[string], Record<string, unknown>>(
    `select id, name, token_hash as tokenHash, scopes, created_at as createdAt,
            last_used_at as lastUsedAt, revoked_at as revokedAt from api_keys where token_hash = ? and revoked_at is null`,
  );
  return {
    insert(row: typeof apiKeys.$inferInsert): ApiKeyRow {
      return db.insert(apiKeys).values(row).returning().get();
    },
    findActiveByHash(tokenHash: string): ApiKeyRow | undefined {
      const row = activeByHash.get(tokenHash);
      return row ? ({ ...row, scopes: JSON.parse(row.scopes as string) } as ApiKeyRow) : undefined;
    },
    /** Active or revoked: start-up must tell a revoked bootstrap token from an unknown one. */
    findByHash(tokenHash: string): ApiKeyRow | undefined {
      return db.select().from(apiKeys).where(eq(apiKeys.tokenHash, tokenHash)).get();
    },
    findById(id: string): ApiKeyRow | undefined {
      return db.select().from(apiKeys).where(eq(apiKeys.id, id)).get();
    },
    listActive(limit: number, afterId?: string): ApiKeyRow[] {
      const conditions = [isNull(apiKeys.revokedAt), afterId ? lt(apiKeys.id, afterId) : undefined];
      return db.select().from(apiKeys).where(and(...conditions)).orderBy(desc(apiKeys.id)).limit(limit).all();
    },
    countActiveAdmins(): number {
      return db
        .select()
        .from(apiKeys)
        .where(isNull(apiKeys.revokedAt))
        .all()
        .filter((k) => k.scopes.includes('admin')).length;
    },
    revoke(id: string, at: string): void {
      db.update(apiKeys).set({ revokedAt: at }).where(eq(apiKeys.id, id)).run();
    },
    touch(id: string, at: string): void {
      db.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, id)).run();
    },
  };
}
export type ApiKeysRepository = ReturnType<typeof createApiKeysRepository>;
