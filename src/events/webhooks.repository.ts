import { and, asc, desc, eq, isNull, lt } from 'drizzle-orm';
import type { Database, Tables } from '../db/client.js';

type T = Tables;
export type WebhookRow = T['webhooks']['$inferSelect'];
export type DeliveryRow = T['webhookDeliveries']['$inferSelect'];
const parseJson = <V>(value: unknown): V => (typeof value === 'string' ? JSON.parse(value) : value) as V;

/** Webhook subscriptions and their delivery outbox; dialect-neutral, composes inside `transaction`. */
export function createWebhooksRepository(database: Database) {
  const { webhooks, webhookDeliveries } = database.tables;
  const db = () => database.db();
  const hook = (r: WebhookRow) => ({ ...r, eventTypes: parseJson<string[]>(r.eventTypes) });
  const delivery = (r: DeliveryRow) => ({ ...r, payload: parseJson<Record<string, unknown>>(r.payload) });
  const tx = <R>(fn: () => Promise<R>) => database.transaction(fn);

  return {
    transaction: tx,
    insertWebhook: (row: T['webhooks']['$inferInsert']) => tx(async () => hook((await db().insert(webhooks).values(row).returning())[0]!)),
    async findWebhook(id: number) {
      const [row] = await db().select().from(webhooks).where(eq(webhooks.id, id));
      return row && hook(row);
    },
    async activeWebhooks() {
      return (await db().select().from(webhooks).where(isNull(webhooks.disabledAt)).orderBy(asc(webhooks.id))).map(hook);
    },
    async listWebhooks(limit: number, afterId?: number) {
      const rows = await db()
        .select()
        .from(webhooks)
        .where(and(isNull(webhooks.disabledAt), afterId !== undefined ? lt(webhooks.id, afterId) : undefined))
        .orderBy(desc(webhooks.id))
        .limit(limit);
      return rows.map(hook);
    },
    disableWebhook: (id: number, at: string) =>
      tx(
        async () =>
          (
            await db()
              .update(webhooks)
              .set({ disabledAt: at })
              .where(and(eq(webhooks.id, id), isNull(webhooks.disabledAt)))
              .returning({ id: webhooks.id })
          ).length > 0,
      ),

    async insertDeliveries(rows: T['webhookDeliveries']['$inferInsert'][]): Promise<number[]> {
      if (rows.length === 0) return [];
      return tx(async () => (await db().insert(webhookDeliveries).values(rows).returning({ id: webhookDeliveries.id })).map((r) => r.id));
    },
    async findDelivery(id: number) {
      const [row] = await db().select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id));
      return row && delivery(row);
    },
    updateDelivery: (id: number, patch: Partial<T['webhookDeliveries']['$inferInsert']>) =>
      tx(async () => void (await db().update(webhookDeliveries).set(patch).where(eq(webhookDeliveries.id, id)))),
    async listDeliveries(webhookId: number, limit: number, beforeId?: number) {
      const rows = await db()
        .select()
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.webhookId, webhookId), beforeId !== undefined ? lt(webhookDeliveries.id, beforeId) : undefined))
        .orderBy(desc(webhookDeliveries.id))
        .limit(limit);
      return rows.map(delivery);
    },
    async pendingDeliveryIds(limit: number): Promise<number[]> {
      const rows = await db()
        .select({ id: webhookDeliveries.id })
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.status, 'pending'))
        .orderBy(asc(webhookDeliveries.id))
        .limit(limit);
      return rows.map((r) => r.id);
    },
  };
}
export type WebhooksRepository = ReturnType<typeof createWebhooksRepository>;
