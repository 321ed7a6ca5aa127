import { and, desc, eq, lt } from 'drizzle-orm';
import type { Database, Tables } from '../db/client.js';

export type EventRow = Tables['events']['$inferSelect'];

export function createEventsRepository(database: Database) {
  const { events } = database.tables;
  return {
    async insert(row: Tables['events']['$inferInsert']): Promise<void> {
      await database.db().insert(events).values(row);
    },
    listForModel(modelId: number, limit: number, beforeId?: number, type?: string): Promise<EventRow[]> {
      return database
        .db()
        .select()
        .from(events)
        .where(and(eq(events.modelId, modelId), beforeId ? lt(events.id, beforeId) : undefined, type ? eq(events.type, type) : undefined))
        .orderBy(desc(events.id))
        .limit(limit);
    },
  };
}
export type EventsRepository = ReturnType<typeof createEventsRepository>;
