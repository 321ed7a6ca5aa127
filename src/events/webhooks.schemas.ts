import { type Static, Type } from '@sinclair/typebox';
import { Id, Nullable, Timestamp } from '../http/schemas.js';

/** Audit-log event type → the public webhook event type it is delivered as. */
/**
 * The audit events a webhook can subscribe to, under the audit log's own names: one vocabulary
 * for `GET /events` and webhook payloads.
 */
export const WEBHOOK_EVENT_TYPES = [
  'version.created',
  'alias.moved',
  'drift.detected',
  'drift.report_failed',
  'retrain.started',
  'retrain.succeeded',
  'retrain.failed',
] as const;
/** Names of earlier releases, still accepted on subscription (and in stored subscriptions) for the audit name. */
export const DEPRECATED_WEBHOOK_EVENTS: Readonly<Record<string, (typeof WEBHOOK_EVENT_TYPES)[number]>> = {
  'model_version.created': 'version.created',
};
/** A subscription's event name as the audit log spells it. */
export const webhookEventName = (name: string): string => DEPRECATED_WEBHOOK_EVENTS[name] ?? name;

const EventType = Type.Union([
  ...WEBHOOK_EVENT_TYPES.map((t) => Type.Literal(t)),
  ...Object.keys(DEPRECATED_WEBHOOK_EVENTS).map((t) =>
    Type.Literal(t, { deprecated: true, description: `deprecated: subscribes to ${DEPRECATED_WEBHOOK_EVENTS[t]}` }),
  ),
]);

export const CreateWebhookBody = Type.Object(
  {
    url: Type.String({ pattern: '^https?://[^\\s/$.?#][^\\s]*$', maxLength: 2048, description: 'http(s) only' }),
    events: Type.Array(EventType, { minItems: 1, uniqueItems: true }),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  {
    additionalProperties: false,
    examples: [{ url: 'https://hooks.internal/mlcycle', events: ['drift.detected', 'retrain.succeeded'], description: 'on-call channel' }],
  },
);
export type CreateWebhookBody = Static<typeof CreateWebhookBody>;

const WEBHOOK_EXAMPLE = {
  id: 5,
  url: 'https://hooks.internal/mlcycle',
  events: ['drift.detected', 'retrain.succeeded'],
  description: 'on-call channel',
  createdAt: '2026-12-01T10:00:00.000Z',
};
const WebhookFields = {
  id: Type.Integer(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  description: Nullable(Type.String()),
  createdAt: Timestamp,
};
export const WebhookView = Type.Object(WebhookFields, { $id: 'Webhook', title: 'Webhook', examples: [WEBHOOK_EXAMPLE] });
export type WebhookView = Static<typeof WebhookView>;
/** The only response that ever carries the secret. */
export const CreatedWebhook = Type.Object(
  { ...WebhookFields, secret: Type.String({ description: 'Shown once: store it to verify signatures' }) },
  { $id: 'CreatedWebhook', title: 'CreatedWebhook', examples: [{ ...WEBHOOK_EXAMPLE, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }] },
);

export const DeliveryView = Type.Object(
  {
    id: Type.Integer(),
    webhookId: Type.Integer(),
    /** The `webhook-id` header sent: the same for every retry and every redelivery of one message. */
    messageId: Type.String(),
    eventType: Type.String(),
    status: Type.String(),
    attempts: Type.Integer(),
    responseCode: Nullable(Type.Integer()),
    latencyMs: Nullable(Type.Integer()),
    lastError: Nullable(Type.String()),
    createdAt: Timestamp,
    deliveredAt: Nullable(Type.String({ format: 'date-time' })),
  },
  {
    $id: 'WebhookDelivery',
    title: 'WebhookDelivery',
    examples: [
      {
        id: 311,
        webhookId: 5,
        messageId: 'msg_298',
        eventType: 'drift.detected',
        status: 'delivered',
        attempts: 1,
        responseCode: 204,
        latencyMs: 38,
        lastError: null,
        createdAt: '2026-12-02T08:00:03.000Z',
        deliveredAt: '2026-12-02T08:00:03.000Z',
      },
    ],
  },
);
export type DeliveryView = Static<typeof DeliveryView>;

export const WebhookParams = Type.Object({ id: Id }, { additionalProperties: false });
export const DeliveryParams = Type.Object({ id: Id, deliveryId: Id }, { additionalProperties: false });
