import { and, desc, eq, inArray, isNull, lt, or, type SQL } from 'drizzle-orm';
import type { Database, Tables } from '../db/client.js';

export type EventRow = Tables['events']['$inferSelect'];

/** Filters of the audit log; `includeDeleted: false` hides events of models that no longer exist. */
export interface EventFilter {
  modelId?: number;
  /** Every incarnation of a name (events keep model_name; there is no FK, so they outlive the model). */
  modelName?: string;
  type?: string;
  includeDeleted?: boolean;
  beforeId?: number;
}

export function createEventsRepository(database: Database) {
  const { events, models } = database.tables;
  return {
    async insert(row: Tables['events']['$inferInsert']): Promise<void> {
      await database.db().insert(events).values(row);
    },
    list(filter: EventFilter, limit: number): Promise<EventRow[]> {
      const conditions: (SQL | undefined)[] = [
        filter.modelId !== undefined ? eq(events.modelId, filter.modelId) : undefined,
        filter.modelName !== undefined ? eq(events.modelName, filter.modelName) : undefined,
        filter.type ? eq(events.type, filter.type) : undefined,
        filter.beforeId ? lt(events.id, filter.beforeId) : undefined,
      ];
      if (filter.includeDeleted === false) {
        const live = database.db().select({ id: models.id }).from(models);
        conditions.push(or(isNull(events.modelId), inArray(events.modelId, live)));
      }
      return database
        .db()
        .select()
        .from(events)
        .where(and(...conditions))
        .orderBy(desc(events.id))
        .limit(limit);
    },
  };
}
export type EventsRepository = ReturnType<typeof createEventsRepository>;
