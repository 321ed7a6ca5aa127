import type { Actor } from '../auth/api-keys.service.js';
import { decodeCursor, toPage } from '../http/pagination.js';
import type { EventsRepository } from './events.repository.js';

export interface RecordEvent {
  type: string;
  model?: { id: number; name: string };
  data: Record<string, unknown>;
  actor: Actor | undefined;
}

export interface EventView {
  id: number;
  type: string;
  model: string | null;
  data: Record<string, unknown>;
  actor: { keyId: string; name: string | null } | null;
  createdAt: string;
}

/**
 * The audit log. Services call `record` inside the transaction of the change it describes: an
 * event exists exactly when its change does.
 */
export function createEventsService(deps: { repo: EventsRepository; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  return {
    async record(event: RecordEvent): Promise<void> {
      await deps.repo.insert({
        type: event.type,
        modelId: event.model?.id ?? null,
        modelName: event.model?.name ?? null,
        data: event.data,
        actorKeyId: event.actor?.keyId ?? null,
        actorName: event.actor?.name ?? null,
        createdAt: now().toISOString(),
      });
    },
    async listForModel(modelId: number, query: { limit: number; cursor?: string; type?: string }) {
      const before = decodeCursor<number>(query.cursor, 'number');
      const rows = await deps.repo.listForModel(modelId, query.limit + 1, before, query.type);
      const items: EventView[] = rows.map((r) => ({
        id: r.id,
        type: r.type,
        model: r.modelName,
        data: r.data,
        actor: r.actorKeyId ? { keyId: r.actorKeyId, name: r.actorName } : null,
        createdAt: r.createdAt,
      }));
      return toPage(items, query.limit, (e) => e.id);
    },
  };
}
export type EventsService = ReturnType<typeof createEventsService>;
