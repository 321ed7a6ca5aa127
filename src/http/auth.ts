import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { Actor } from '../actor.js';
import type { ApiKeysService } from '../auth/api-keys.service.js';
import type { Scope } from '../auth/scopes.js';
import { hasScope } from '../auth/scopes.js';
import { AppError } from './errors.js';
import type { AuthFailureLimiter } from './limits.js';
import { sendProblem } from './problem.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a route needs; routes outside /api declare none and are open. */
    scope?: Scope;
    /** Request media types the route accepts (named in 415 answers and the OpenAPI document); default application/json. */
    accepts?: string[];
    /** The body is streamed bytes, not JSON (documented as such in the OpenAPI document). */
    rawBody?: boolean;
    /** For the OpenAPI document only: what a raw body looks like per media type (the handler parses and validates it). */
    bodyDocs?: Record<string, object>;
  }
  interface FastifyRequest {
    actor?: Actor;
  }
}

// The auth scheme is case-insensitive (RFC 9110 §11.1): "bearer" and "BEARER" are Bearer.
const BEARER = /^Bearer +([\x21-\x7e]{1,512})$/i;

/**
 * One hook guards every route that declares a scope: 401 when the key is missing, unknown or
 * revoked, 403 when it lacks the scope. Routes never check auth themselves.
 */
export function registerAuth(app: FastifyInstance, apiKeys: ApiKeysService, limiter?: AuthFailureLimiter): void {
  // The guard is attached per route at registration, so open routes pay nothing and guarded ones
  // skip the per-request routeOptions lookup.
  app.addHook('onRoute', (route) => {
    const required = route.config?.scope;
    if (!required) return;
    // A cached key with the scope passes synchronously (no promise, no database read); anything
    // else — a miss, a wrong token, a missing scope — takes the full path below.
    const authGuard = ((request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
      const match = BEARER.exec(request.headers.authorization ?? '');
      const hit = match ? apiKeys.cached(match[1] as string) : undefined;
      if (hit && hasScope(hit.scopes, required)) {
        request.actor = hit;
        return done();
      }
      return fullCheck(request, reply, match);
    }) as unknown as onRequestHookHandler;
    const fullCheck = async (request: FastifyRequest, reply: FastifyReply, match: RegExpExecArray | null) => {
      const actor = match ? await apiKeys.authenticate(match[1] as string) : undefined;
      if (!actor) {
        // Only wrong (or missing) tokens are limited: a valid key is served whatever else came
        // from its address — behind a NAT or a proxy, one client with a stale key must not lock
        // out every other one.
        const blocked = limiter?.blocked(request);
        if (blocked) return sendProblem(reply, blocked);
        const overLimit = limiter && (await limiter.failed(request));
        if (overLimit) return sendProblem(reply, overLimit);
        reply.header('www-authenticate', 'Bearer realm="mlcycle"');
        return sendProblem(reply, new AppError('UNAUTHENTICATED', 'send "Authorization: Bearer <api key>"'));
      }
      if (!hasScope(actor.scopes, required)) {
        return sendProblem(reply, new AppError('FORBIDDEN', `this route needs the "${required}" scope; the key has ${actor.scopes.join(', ')}`));
      }
      request.actor = actor;
    };
    const existing = route.onRequest;
    route.onRequest = existing === undefined ? [authGuard] : [authGuard, ...(Array.isArray(existing) ? existing : [existing])];
  });
}
