import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';

const tags = ['operations'];
const Check = Type.Object({ status: Type.Union([Type.Literal('ok'), Type.Literal('fail')]), detail: Type.Optional(Type.String()) });
const Readiness = Type.Object(
  { status: Type.Union([Type.Literal('ok'), Type.Literal('fail')]), checks: Type.Record(Type.String(), Check) },
  { $id: 'Readiness', title: 'Readiness', examples: [{ status: 'ok', checks: { database: { status: 'ok' }, artifactStore: { status: 'ok' } } }] },
);
const NOT_READY_EXAMPLE = { status: 'fail', checks: { database: { status: 'ok' }, artifactStore: { status: 'fail', detail: 'artifactStore is unreachable' } } };

export type ReadinessCheck = () => Promise<void> | void;

/** /healthz: the process answers. /readyz: every dependency answers (503 names the one that does not). */
export function healthRoutes(checks: Record<string, ReadinessCheck>): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/healthz',
      {
        schema: {
          operationId: 'healthz',
          description: 'Liveness: answers 200 while the process serves requests. Needs no key.',
          tags,
          summary: 'Liveness: the process answers (no authentication)',
          response: { 200: Type.Object({ status: Type.Literal('ok') }, { examples: [{ status: 'ok' }] }) },
        },
      },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/readyz',
      {
        schema: {
          operationId: 'readyz',
          description: 'Readiness: checks the database and the artifact store and answers 503 naming the one that fails. Needs no key.',
          tags,
          summary: 'Readiness: every dependency answers; 503 names the one that does not (no authentication)',
          response: { 200: Readiness, 503: { ...Readiness, $id: undefined, description: 'A dependency does not answer', examples: [NOT_READY_EXAMPLE] } },
        },
      },
      async (req, reply) => {
        const results: Record<string, { status: 'ok' | 'fail'; detail?: string }> = {};
        await Promise.all(
          Object.entries(checks).map(async ([name, check]) => {
            try {
              await check();
              results[name] = { status: 'ok' };
            } catch (err) {
              req.log.warn({ err, check: name }, 'readiness check failed');
              results[name] = { status: 'fail', detail: `${name} is unreachable` };
            }
          }),
        );
        const ok = Object.values(results).every((r) => r.status === 'ok');
        return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'fail', checks: results });
      },
    );
  };
}
