import type { Actor } from '../actor.js';
import { AppError, invalidField } from '../http/errors.js';
import { decodeCursor, toPage } from '../http/pagination.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { EventsService, RecordEvent } from './events.service.js';
import { isOutboundRefused } from './outbound.js';
import { generateWebhookSecret, signedHeaders } from './webhook-signing.js';
import type { DeliveryRow, WebhooksRepository } from './webhooks.repository.js';
import { WEBHOOK_EVENT_TYPES, webhookEventName, type CreateWebhookBody, type DeliveryView, type WebhookView } from './webhooks.schemas.js';

export interface WebhooksDeps {
  repo: WebhooksRepository;
  queue: Pick<JobQueue, 'enqueue'>;
  now?: () => Date;
  fetch?: typeof fetch;
  /** The outbound URL policy: a subscription to a private address is refused when it is created. */
  checkUrl?: (url: string, field: string) => Promise<void>;
  /** Per-attempt timeout of a delivery. */
  timeoutMs?: number;
  log?: (message: string, error?: unknown) => void;
  /**
   * Each attempt's outcome: `success`, `retry` (failed, the queue tries again), `gave_up` (the last
   * attempt failed), `refused` (the outbound policy stopped it). Feeds mlcycle_webhook_deliveries_total.
   */
  onOutcome?: (outcome: DeliveryOutcome) => void;
}

export type DeliveryOutcome = 'success' | 'retry' | 'gave_up' | 'refused';
/** The `webhook-id` of a delivery: stable across its retries and its manual redeliveries. */
const messageIdOf = (d: Pick<DeliveryRow, 'id' | 'messageId'>) => d.messageId ?? `msg_${d.id}`;

const webhookView = (r: { id: number; url: string; eventTypes: string[]; description: string | null; createdAt: string }): WebhookView => ({
  id: r.id,
  url: r.url,
  events: r.eventTypes,
  description: r.description,
  createdAt: r.createdAt,
});
const deliveryView = (r: DeliveryRow): DeliveryView => ({
  id: r.id,
  webhookId: r.webhookId,
  messageId: messageIdOf(r),
  eventType: r.eventType,
  status: r.status,
  attempts: r.attempts,
  responseCode: r.responseCode,
  latencyMs: r.latencyMs,
  lastError: r.lastError,
  createdAt: r.createdAt,
  deliveredAt: r.deliveredAt,
});

/** A delivery that should be retried: the `webhook.deliver` job rethrows it so the queue backs off. */
export class DeliveryFailed extends Error {}

/**
 * Outbound webhooks. Deliveries are an outbox: `withWebhookOutbox` writes one row per subscribed
 * webhook in the transaction of the audit event, so a delivery exists exactly when its change
 * does; `dispatchPending` (after commit, and from the periodic outbox sweep) enqueues what is
 * committed and pending; `deliver` is the `webhook.deliver` processor.
 */
export function createWebhooksService(deps: WebhooksDeps) {
  const { repo } = deps;
  const now = deps.now ?? (() => new Date());
  const doFetch = deps.fetch ?? fetch;
  const log = deps.log ?? (() => undefined);
  const onOutcome = deps.onOutcome ?? (() => undefined);
  let scheduled: NodeJS.Timeout | undefined;

  function scheduleDispatch(deliveries: number): void {
    if (deliveries === 0) return;
    scheduled ??= setTimeout(() => {
      scheduled = undefined;
      dispatchPending().catch((e: unknown) => log('webhook dispatch failed; the outbox sweep retries', e));
    }, 50);
    scheduled.unref?.();
  }

  async function dispatchPending(): Promise<number> {
    const ids = await repo.pendingDeliveryIds(500);
    for (const deliveryId of ids) await deps.queue.enqueue('webhook.deliver', { deliveryId });
    return ids.length;
  }

  async function requireWebhook(id: number) {
    const hook = await repo.findWebhook(id);
    if (!hook || hook.disabledAt) throw new AppError('WEBHOOK_NOT_FOUND', `webhook ${id} does not exist`);
    return hook;
  }

  return {
    async create(body: CreateWebhookBody, _actor: Actor | undefined) {
      let url: URL;
      try {
        url = new URL(body.url);
      } catch {
        throw invalidField('url', 'is not a URL');
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidField('url', 'must be http or https');
      if (url.username || url.password) throw invalidField('url', 'must not carry credentials; verify the signature instead');
      await deps.checkUrl?.(url.toString(), 'url');
      const secret = generateWebhookSecret();
      const row = await repo.insertWebhook({
        url: url.toString(),
        secret,
        eventTypes: [...new Set(body.events.map(webhookEventName))],
        description: body.description ?? null,
        createdAt: now().toISOString(),
      });
      return { ...webhookView(row), secret };
    },
    async list(query: { limit: number; cursor?: string }) {
      const before = decodeCursor<number>(query.cursor, 'number');
      const page = toPage(await repo.listWebhooks(query.limit + 1, before), query.limit, (r) => r.id);
      return { items: page.items.map(webhookView), nextCursor: page.nextCursor };
    },
    async remove(id: number): Promise<void> {
      // Disabled, not deleted: its delivery log stays readable by id.
      if (!(await repo.disableWebhook(id, now().toISOString()))) throw new AppError('WEBHOOK_NOT_FOUND', `webhook ${id} does not exist`);
    },
    async deliveries(id: number, query: { limit: number; cursor?: string }) {
      await requireWebhook(id);
      const before = decodeCursor<number>(query.cursor, 'number');
      const page = toPage(await repo.listDeliveries(id, query.limit + 1, before), query.limit, (r) => r.id);
      return { items: page.items.map(deliveryView), nextCursor: page.nextCursor };
    },
    /**
     * A new delivery of the same payload: a new row id, so the queue's dedupe of the old job does
     * not swallow it, but the same `webhook-id`, so a receiver that dedupes processes it once.
     */
    async redeliver(id: number, deliveryId: number): Promise<DeliveryView> {
      await requireWebhook(id);
      const old = await repo.findDelivery(deliveryId);
      if (!old || old.webhookId !== id) throw new AppError('WEBHOOK_DELIVERY_NOT_FOUND', `webhook ${id} has no delivery ${deliveryId}`);
      const [newId] = await repo.insertDeliveries([
        {
          webhookId: id,
          eventId: old.eventId,
          messageId: messageIdOf(old),
          eventType: old.eventType,
          payload: old.payload,
          status: 'pending',
          attempts: 0,
          createdAt: now().toISOString(),
        },
      ]);
      await deps.queue.enqueue('webhook.deliver', { deliveryId: newId! });
      return deliveryView((await repo.findDelivery(newId!))!);
    },

    /** Inside the event's transaction: one pending delivery per active webhook subscribed to it. */
    async fanOut(event: RecordEvent, at: string): Promise<number> {
      const type = event.type;
      if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(type)) return 0;
      const hooks = (await repo.activeWebhooks()).filter((h) => h.eventTypes.some((name) => webhookEventName(name) === type));
      const payload = { type, timestamp: at, data: { model: event.model?.name ?? null, ...event.data } };
      await repo.insertDeliveries(
        hooks.map((h) => ({ webhookId: h.id, eventId: null, eventType: type, payload, status: 'pending', attempts: 0, createdAt: at })),
      );
      scheduleDispatch(hooks.length);
      return hooks.length;
    },
    /**
     * After deliveries were written (by fanOut, or by a statement that fans out in SQL, as a
     * PostgreSQL registration does): once the surrounding transaction commits (it is short),
     * enqueue what is visible; the sweep is the backstop.
     */
    scheduleDispatch,
    dispatchPending,

    /**
     * The `webhook.deliver` processor. Signed POST (Standard Webhooks; `webhook-id` is stable
     * across retries so receivers can dedupe); 2xx delivers; otherwise the attempt is logged and
     * DeliveryFailed is thrown for the queue to retry with backoff — on the last attempt the
     * delivery is marked failed instead.
     */
    async deliver(deliveryId: number, run: { attempt: number; maxAttempts: number } = { attempt: 1, maxAttempts: 1 }): Promise<void> {
      const d = await repo.findDelivery(deliveryId);
      if (d?.status !== 'pending') return;
      const hook = await repo.findWebhook(d.webhookId);
      if (!hook || hook.disabledAt) return repo.updateDelivery(d.id, { status: 'failed', lastError: 'webhook deleted' });
      const body = JSON.stringify(d.payload);
      const started = performance.now();
      let code: number | null = null;
      let error: string | null = null;
      try {
        const res = await doFetch(hook.url, {
          method: 'POST',
          headers: signedHeaders(hook.secret, messageIdOf(d), body, now()),
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000),
        });
        code = res.status;
        await res.body?.cancel();
        if (code < 200 || code >= 300) error = `HTTP ${code}`;
      } catch (e) {
        // Refused by the outbound policy at connect time: recorded as refused, with no status or
        // latency (they would tell an admin key what answers on an internal address), not retried.
        if (isOutboundRefused(e)) {
          onOutcome('refused');
          return repo.updateDelivery(d.id, { attempts: d.attempts + 1, status: 'refused', lastError: (e as Error).message });
        }
        error = (e as Error).message;
      }
      const latencyMs = Math.round(performance.now() - started);
      const last = run.attempt >= run.maxAttempts;
      await repo.updateDelivery(d.id, {
        attempts: d.attempts + 1,
        responseCode: code,
        latencyMs,
        lastError: error,
        ...(error === null ? { status: 'delivered', deliveredAt: now().toISOString() } : last ? { status: 'failed' } : {}),
      });
      onOutcome(error === null ? 'success' : last ? 'gave_up' : 'retry');
      if (error !== null && !last) throw new DeliveryFailed(`delivery ${d.id} to webhook ${hook.id}: ${error}`);
    },
  };
}
export type WebhooksService = ReturnType<typeof createWebhooksService>;

/**
 * The audit log with the webhook outbox attached: every recorded event also writes its deliveries,
 * in the same transaction. The container passes this wrapper (not the bare service) to every
 * service, so registry, monitoring and retraining events all fan out.
 */
export function withWebhookOutbox(
  events: EventsService,
  webhooks: Pick<WebhooksService, 'fanOut'> & Partial<Pick<WebhooksService, 'scheduleDispatch'>>,
  now: () => Date = () => new Date(),
): EventsService {
  return {
    ...events,
    deliveriesWritten: (count: number) => webhooks.scheduleDispatch?.(count),
    async record(event: RecordEvent): Promise<void> {
      await events.record(event);
      await webhooks.fanOut(event, now().toISOString());
    },
  };
}
