import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { apiKeysRoutes } from './auth/api-keys.routes.js';
import type { Container } from './container.js';
import { healthRoutes } from './health/health.routes.js';
import { eventsRoutes } from './events/events.routes.js';
import { registerAuth } from './http/auth.js';
import { logClientGone } from './http/client-gone.js';
import { registerJsonBodyParser } from './http/json-body.js';
import { OPENAPI_TAGS, openapiShareResponses, openapiTransform } from './http/openapi-transform.js';
import { redactUrl } from './http/redact-url.js';
import { genReqId, registerAuthFailureLimiter, registerLoadShedding, serverFactory } from './http/limits.js';
import { registerProblemHandlers, sendProblem, toAppError } from './http/problem.js';
import { MAX_PARAM_LENGTH, ProblemSchema } from './http/schemas.js';
import { type HookTimings, instrumentHooks, instrumentRouteHooks } from './http/hook-timing.js';
import { registerSecurityHeaders } from './http/security-headers.js';
import { validatorCompiler } from './http/validation.js';
import { aliasesRoutes } from './registry/aliases.routes.js';
import { artifactsRoutes } from './registry/artifacts.routes.js';
import { webhooksRoutes } from './events/webhooks.routes.js';
import { monitoringRoutes } from './monitoring/monitoring.routes.js';
import { retrainingRoutes } from './retraining/retraining.routes.js';
import { createIngestMeter } from './metrics/ingest-meter.js';
import { metricsRoutes, registerHttpMetrics } from './metrics/metrics.routes.js';
import { dashboardRoutes } from './ui/ui.routes.js';
import { summaryRoutes } from './ui/summary.routes.js';
import { modelsRoutes } from './registry/models.routes.js';
import { versionsRoutes } from './registry/versions.routes.js';
import { mlflowRoutes } from './mlflow/index.js';

export const API_PREFIX = '/api/v1';

/**
 * One access-log line per request instead of Fastify's two ("incoming" + "completed"): logging
 * was the largest cost left on the alias lookup path. Errors keep Fastify's own lines.
 */
const INFO_OFF = new Set(['warn', 'error', 'fatal', 'silent']);

class AccessLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) return super.requestCompleted(error, request, reply);
    // At LOG_LEVEL warn and above the line is not written: skip building it (redactUrl scans the URL).
    if (INFO_OFF.has(request.log.level)) return;
    request.log.info({ method: request.method, url: redactUrl(request.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request');
  }

  override streamError(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if ((error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return logClientGone(request, reply);
    super.streamError(error, request, reply);
  }
}

export interface BuildAppOptions {
  logger?: boolean | object;
  /** Time every onRequest/onSend/onResponse hook (bench/registry prints the figures). */
  hookTimings?: HookTimings;
}

/** Fastify's request serializer, with credentials in the query string redacted (redact-url.ts). */
const requestSerializer = (req: { method: string; url: string; hostname?: string; ip?: string; socket?: { remotePort?: number } }) => ({
  method: req.method,
  url: redactUrl(req.url),
  host: req.hostname,
  remoteAddress: req.ip,
  remotePort: req.socket?.remotePort,
});

function loggerOptions(logger: boolean | object | undefined): boolean | object {
  if (!logger) return false;
  const base = logger === true ? {} : (logger as { serializers?: Record<string, unknown> });
  return { ...base, serializers: { req: requestSerializer, ...base.serializers } };
}

/** Builds the HTTP app on a container. Never listens: tests drive it with app.inject. */
export async function buildApp(container: Container, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const limits = container.config.http;
  const app = Fastify({
    logger: loggerOptions(options.logger),
    bodyLimit: container.config.bodyLimitBytes,
    // Only behind a proxy is X-Forwarded-For the client's address; otherwise anyone could pick
    // the address the failed-authentication limit counts against.
    trustProxy: container.config.trustProxy,
    // Request ids make logs joinable; a caller's id is used only when short and plain (limits.ts).
    requestIdHeader: false,
    genReqId,
    serverFactory: serverFactory(limits),
    logController: new AccessLogController(),
    ajv: { customOptions: { allErrors: true } },
    // Errors Fastify raises before routing (undecodable URL) go through the one catalogue too.
    frameworkErrors: (error, request, reply) => void sendProblem(reply, toAppError(error, request)),
    // Every name the API accepts (128 characters) must fit a path parameter (Fastify's default is 100).
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
  }).withTypeProvider<TypeBoxTypeProvider>();

  if (options.hookTimings) instrumentHooks(app, options.hookTimings);
  app.setValidatorCompiler(validatorCompiler);
  // Responses are built by our own view functions to the documented shape, so they need no
  // schema-driven filtering; JSON.stringify beat fast-json-stringify on our record/nullable-heavy
  // schemas (alias lookup: 4.0k → see bench/registry). The schemas still document the responses.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  registerJsonBodyParser(app);
  app.addSchema(ProblemSchema);
  registerProblemHandlers(app);
  // Also answers Connection: close while draining (server.close() called, so no longer
  // listening), so keep-alive sockets end and close() can complete.
  registerSecurityHeaders(app, () => !app.server.listening);
  await registerLoadShedding(app, limits);
  registerAuth(app, container.apiKeys, await registerAuthFailureLimiter(app, limits));
  registerHttpMetrics(app, container.metrics);
  if (options.hookTimings) instrumentRouteHooks(app, options.hookTimings);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'mlcycle',
        version: '1.0.0',
        description:
          'Model registry, data-drift monitor and retrain trigger. Errors are application/problem+json (RFC 9457) with a stable `code`; each operation lists the codes it can answer under each status.',
        contact: { name: 'mlcycle maintainers' },
        // The package is private (package.json has no license): say so rather than invent one.
        license: { name: 'UNLICENSED (private; all rights reserved)', identifier: 'LicenseRef-UNLICENSED' },
      },
      // Relative: the server that serves this document (/openapi.json, /docs) answers its paths.
      servers: [{ url: '/', description: 'The server this document is served from' }],
      tags: OPENAPI_TAGS,
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key: `Authorization: Bearer <token>`' } } },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transform: openapiTransform,
    transformObject: openapiShareResponses,
  });
  // Swagger UI is the one page we serve: its own CSP (script/style hashes) replaces the API's.
  // (Without upgrade-insecure-requests: on a plain-HTTP deployment it would break the page's own assets.)
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    transformStaticCSP: (header) => header.replace(/\s*upgrade-insecure-requests;?/, ''),
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(healthRoutes(container.readiness));
  await app.register(metricsRoutes(container.metrics));
  // The dashboard's files are open (they hold no data); every API call it makes carries a key.
  await app.register(dashboardRoutes());
  await app.register(
    async (api) => {
      await api.register(apiKeysRoutes(container.apiKeys));
      await api.register(modelsRoutes(container.models));
      await api.register(versionsRoutes(container.versions));
      await api.register(aliasesRoutes(container.aliases));
      await api.register(artifactsRoutes(container.artifacts));
      await api.register(eventsRoutes(container.events));
      await api.register(retrainingRoutes(container.retraining.jobs));
      await api.register(webhooksRoutes(container.webhooks));
      await api.register(summaryRoutes(container.summaries));
      await api.register(
        monitoringRoutes({
          samples: container.samples,
          references: container.references,
          reports: container.reports,
          monitors: container.monitors,
          monitorStatus: container.monitorStatus,
          meter: createIngestMeter(container.metrics.ingest),
          limits: {
            maxRows: container.config.monitoring.batchMaxRows,
            sampleBytes: container.config.monitoring.sampleBodyLimitBytes,
            referenceBytes: container.config.monitoring.referenceBodyLimitBytes,
          },
        }),
      );
    },
    { prefix: API_PREFIX },
  );
  // MLflow clients (MLFLOW_TRACKING_URI pointed here) on the same port, over the same services.
  await app.register(mlflowRoutes(container));
  return app;
}
