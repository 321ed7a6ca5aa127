import type { FastifyInstance } from 'fastify';

/**
 * The API serves JSON and downloads, never pages: nothing may load, run or frame. Routes that do
 * serve a page (/docs, Swagger UI) set their own policy, which this hook leaves in place.
 */
export const API_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', API_CSP);
    done(null, payload);
  });
}
