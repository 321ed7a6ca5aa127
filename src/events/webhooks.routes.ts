import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { Page, PageQuery, responses } from '../http/schemas.js';
import { CreatedWebhook, CreateWebhookBody, DeliveryParams, DeliveryView, WebhookParams, WebhookView } from './webhooks.schemas.js';
import type { WebhooksService } from './webhooks.service.js';

const tags = ['webhooks'];
const ListQuery = Type.Object(PageQuery, { additionalProperties: false });

/** Thin routes over the webhooks service (admin scope: a subscription receives every model's events). Register under /api/v1. */
export function webhooksRoutes(webhooks: WebhooksService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/webhooks',
      {
        config: { scope: 'admin' },
        schema: {
          operationId: 'createWebhook',
          description:
            'Subscribes an http(s) URL to event types. Deliveries are signed (Standard Webhooks) with the secret returned in this response only. Private addresses are refused unless OUTBOUND_ALLOW_PRIVATE=true.',
          tags,
          summary: 'Subscribe a URL to events; the signing secret is in this response only',
          body: CreateWebhookBody,
          response: responses({ 201: CreatedWebhook }),
        },
      },
      async (req, reply) => reply.status(201).send(await webhooks.create(req.body, req.actor)),
    );

    app.get(
      '/webhooks',
      {
        config: { scope: 'admin' },
        schema: {
          operationId: 'listWebhooks',
          description: 'Lists webhook subscriptions; their secrets are never returned again.',
          tags,
          summary: 'Webhook subscriptions (secrets are never shown again)',
          querystring: ListQuery,
          response: responses({ 200: Page(WebhookView) }),
        },
      },
      async (req) => webhooks.list(req.query),
    );

    app.delete(
      '/webhooks/:id',
      {
        config: { scope: 'admin' },
        schema: {
          operationId: 'deleteWebhook',
          description: 'Removes the subscription: no delivery starts after this. Its delivery log stays readable.',
          tags,
          summary: 'Delete a webhook subscription; no delivery starts after this',
          params: WebhookParams,
          response: responses({ 204: Type.Null() }, ['WEBHOOK_NOT_FOUND']),
        },
      },
      async (req, reply) => {
        await webhooks.remove(req.params.id);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/webhooks/:id/deliveries',
      {
        config: { scope: 'admin' },
        schema: {
          operationId: 'listWebhookDeliveries',
          description: "The subscription's delivery log, newest first: status, attempts, response code, latency and last error.",
          tags,
          summary: 'Delivery log, newest first: status, response code, latency, attempts',
          params: WebhookParams,
          querystring: ListQuery,
          response: responses({ 200: Page(DeliveryView) }, ['WEBHOOK_NOT_FOUND']),
        },
      },
      async (req) => webhooks.deliveries(req.params.id, req.query),
    );

    app.post(
      '/webhooks/:id/deliveries/:deliveryId/redeliver',
      {
        config: { scope: 'admin' },
        schema: {
          operationId: 'redeliverWebhook',
          description:
            "Sends a delivery's payload again as a new delivery with the same `webhook-id`, so a receiver that deduplicates handles it once. Answers 202 with the new delivery.",
          tags,
          summary: 'Send the payload of a delivery again (as a new delivery)',
          params: DeliveryParams,
          response: responses({ 202: DeliveryView }, ['WEBHOOK_NOT_FOUND', 'WEBHOOK_DELIVERY_NOT_FOUND', 'QUEUE_UNAVAILABLE']),
        },
      },
      async (req, reply) => reply.status(202).send(await webhooks.redeliver(req.params.id, req.params.deliveryId)),
    );
  };
}
