import type { Actor } from '../actor.js';
import { decodeCursor, toPage } from '../http/pagination.js';
import type { EventType } from './event-types.js';
import type { EventFilter, EventRow, EventsRepository } from './events.repository.js';
import { redactSecrets } from './redact.js';

export interface RecordEvent {
  type: EventType;
  model?: { id: number; name: string };
  data: Record<string, unknown>;
  actor: Actor | undefined;
}

export interface EventView {
  id: number;
  type: string;
  model: string | null;
  /** Tells incarnations of a reused name apart (a deleted model's events keep their id). */
  modelId: number | null;
  data: Record<string, unknown>;
  actor: { keyId: string; name: string | null } | null;
  createdAt: string;
}

export interface EventsQuery {
  limit: number;
  cursor?: string;
  type?: string;
}

function view(r: EventRow): EventView {
  return {
    id: r.id,
    type: r.type,
    model: r.modelName,
    modelId: r.modelId,
    data: redactSecrets(r.data),
    actor: r.actorKeyId ? { keyId: r.actorKeyId, name: r.actorName } : null,
    createdAt: r.createdAt,
  };
}

/**
 * The audit log. Services call `record` inside the transaction of the change it describes: an
 * event exists exactly when its change does. Events have no foreign key to their model, so a
 * deleted model's history stays readable (`list` with `includeDeleted`).
 */
export function createEventsService(deps: { repo: EventsRepository; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  async function page(filter: Omit<EventFilter, 'beforeId' | 'type'>, query: EventsQuery) {
    const beforeId = decodeCursor<number>(query.cursor, 'number');
    const rows = await deps.repo.list({ ...filter, type: query.type, beforeId }, query.limit + 1);
    return toPage(rows.map(view), query.limit, (e) => e.id);
  }
  return {
    async record(event: RecordEvent): Promise<void> {
      await deps.repo.insert({
        type: event.type,
        modelId: event.model?.id ?? null,
        modelName: event.model?.name ?? null,
        data: redactSecrets(event.data),
        actorKeyId: event.actor?.keyId ?? null,
        actorName: event.actor?.name ?? null,
        createdAt: now().toISOString(),
      });
    },
    /** Webhook deliveries were written in SQL beside an event (see withWebhookOutbox); the bare log has none. */
    deliveriesWritten(_count: number): void {},
    /** Events of one live model (GET /models/{name}/events). */
    listForModel(modelId: number, query: EventsQuery) {
      return page({ modelId }, query);
    },
    /** The whole log, or one name's (every incarnation with includeDeleted; only the live model's without). */
    list(query: EventsQuery & { model?: string; includeDeleted: boolean }) {
      return page({ ...(query.model !== undefined ? { modelName: query.model } : {}), includeDeleted: query.includeDeleted }, query);
    },
  };
}
export type EventsService = ReturnType<typeof createEventsService>;
