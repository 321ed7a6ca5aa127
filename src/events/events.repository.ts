import { and, desc, eq, lt } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { events } from '../db/schema.js';

export type EventRow = typeof events.$inferSelect;

export function createEventsRepository(db: Db) {
  return {
    insert(row: typeof events.$inferInsert): void {
      db.insert(events).values(row).run();
    },
    listForModel(modelId: number, limit: number, beforeId?: number, type?: string): EventRow[] {
      return db
        .select()
        .from(events)
        .where(and(eq(events.modelId, modelId), beforeId ? lt(events.id, beforeId) : undefined, type ? eq(events.type, type) : undefined))
        .orderBy(desc(events.id))
        .limit(limit)
        .all();
    },
  };
}
export type EventsRepository = ReturnType<typeof createEventsRepository>;
