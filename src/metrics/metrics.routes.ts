import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { responses } from '../http/schemas.js';
import type { Metrics } from './metrics.js';

/**
 * GET /metrics in the Prometheus text format. Protected, not open: drift scores name models and
 * features, which is business information. Scrape it with a key that has the `metrics` scope
 * (Prometheus `authorization: { credentials: <token> }`); admin keys pass as well.
 */
export function metricsRoutes(metrics: Metrics): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/metrics',
      {
        config: { scope: 'metrics' },
        schema: {
          operationId: 'metrics',
          description: 'Prometheus metrics in the text exposition format. Needs a key with the metrics scope (admin keys pass too).',
          tags: ['operations'],
          summary: 'Prometheus metrics (text exposition format); needs the metrics scope',
          response: responses({
            200: { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: Type.String() } } } as unknown as TSchema,
          }),
        },
      },
      async (_req, reply) => {
        const body = await metrics.render();
        return reply.type(metrics.contentType).send(body);
      },
    );
  };
}

/**
 * Latency by route pattern (`/api/v1/models/:name`), never by URL, so the label set is bounded by
 * the routes the app declares; requests that matched no route share one label.
 */
export function registerHttpMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status_class: `${Math.floor(reply.statusCode / 100)}xx` }, reply.elapsedTime / 1000);
    done();
  });
}
