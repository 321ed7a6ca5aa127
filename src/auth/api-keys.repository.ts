import { and, desc, eq, isNull, lt } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { apiKeys } from '../db/schema.js';

export type ApiKeyRow = typeof apiKeys.$inferSelect;

export function createApiKeysRepository(db: Db) {
  return {
    insert(row: typeof apiKeys.$inferInsert): ApiKeyRow {
      return db.insert(apiKeys).values(row).returning().get();
    },
    findActiveByHash(tokenHash: string): ApiKeyRow | undefined {
      return db.select().from(apiKeys).where(and(eq(apiKeys.tokenHash, tokenHash), isNull(apiKeys.revokedAt))).get();
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
