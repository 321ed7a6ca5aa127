import type { FastifyInstance, onSendHookHandler } from 'fastify';

/**
 * The API serves JSON and downloads, never pages: nothing may load, run or frame. Routes that do
 * serve a page (/docs, Swagger UI) set their own policy, which this hook leaves in place.
 */
export const API_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The same on every answer: built once, set in one call. */
const CONSTANT_HEADERS = Object.freeze({ 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });

/**
 * One onSend hook for every header the app adds to every answer (it is on the serving path of
 * each request): the request id, the constant ones, the CSP unless a route set its own, and
 * `Connection: close` while `draining()` says the server is shutting down.
 */
export function registerSecurityHeaders(app: FastifyInstance, draining: () => boolean = () => false): void {
  const securityHeaders: onSendHookHandler = (request, reply, payload, done) => {
    reply.headers(CONSTANT_HEADERS);
    reply.header('x-request-id', request.id);
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', API_CSP);
    if (draining()) reply.header('connection', 'close');
    done(null, payload);
  };
  app.addHook('onSend', securityHeaders);
}
