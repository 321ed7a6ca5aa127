import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance, onResponseHookHandler } from 'fastify';
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
  // One labelled child per (method, route, status class), looked up by reference: an observation
  // on the serving path is a map hit and a bucket increment, not a label-set hash.
  type Child = ReturnType<Metrics['httpDuration']['labels']>;
  const children = new Map<string, Map<string, Child[]>>();
  const childOf = (method: string, route: string, statusCode: number): Child => {
    let byRoute = children.get(route);
    if (!byRoute) children.set(route, (byRoute = new Map()));
    let byClass = byRoute.get(method);
    if (!byClass) byRoute.set(method, (byClass = []));
    const c = Math.floor(statusCode / 100);
    return (byClass[c] ??= metrics.httpDuration.labels({ method, route, status_class: `${c}xx` }));
  };
  // Declared routes: a hook per route, closing over its method and pattern (request.routeOptions
  // builds a fresh object on every access); requests that matched no route: one global hook.
  app.addHook('onRoute', (route) => {
    const httpMetrics: onResponseHookHandler = (request, reply, done) => {
      childOf(request.method, route.url, reply.statusCode).observe(reply.elapsedTime / 1000);
      done();
    };
    const existing = route.onResponse;
    route.onResponse = existing === undefined ? [httpMetrics] : [...(Array.isArray(existing) ? existing : [existing]), httpMetrics];
  });
  const httpMetricsUnmatched: onResponseHookHandler = (request, reply, done) => {
    if (request.is404) childOf(request.method, 'unmatched', reply.statusCode).observe(reply.elapsedTime / 1000);
    done();
  };
  app.addHook('onResponse', httpMetricsUnmatched);
}
