import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener } from 'node:http';
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { watchBodyRate } from './body-rate.js';
import { AppError } from './errors.js';
import { sendProblem } from './problem.js';

export type HttpLimits = Config['http'];

/**
 * Node's own timers, set where Fastify does not reach: how long the headers may take, the whole
 * request (artifact uploads can be large, so this one is generous), how often these are checked
 * (Node's default, 30 s, would let a stalled client stay far beyond its limit), socket inactivity
 * (HTTP_IDLE_TIMEOUT_MS: a body that stalls is cut off by it), the minimum body rate (a body
 * trickled just fast enough to dodge the idle timeout) and the connection cap.
 */
export function serverFactory(limits: HttpLimits) {
  const bodyRate = { minBytesPerS: limits.minBodyBytesPerS, windowMs: limits.minBodyRateWindowMs };
  return (handler: RequestListener) => {
    const server = createServer(
      {
        headersTimeout: limits.headersTimeoutMs,
        requestTimeout: limits.requestTimeoutMs,
        connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
      },
      (req, res) => {
        watchBodyRate(req, res, bodyRate);
        handler(req, res);
      },
    );
    // Socket inactivity (Fastify's connectionTimeout, which it does not apply to a factory's
    // server): a client that stops sending or reading mid-request is cut off.
    server.setTimeout(limits.idleTimeoutMs);
    server.keepAliveTimeout = Math.min(72_000, limits.idleTimeoutMs);
    // Beyond this, new connections are closed at once instead of each costing memory.
    server.maxConnections = limits.maxConnections;
    return server;
  };
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A caller's x-request-id is kept (and echoed) only when short and plain; otherwise a fresh one. */
export function genReqId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Load shedding: when the event loop lags (or the heap is full) requests get 503 + Retry-After
 * instead of queueing up behind each other.
 */
export async function registerLoadShedding(app: FastifyInstance, limits: HttpLimits): Promise<void> {
  if (limits.maxEventLoopDelayMs === 0 && limits.maxHeapUsedBytes === 0) return;
  const retryAfter = 10;
  await app.register(underPressure, {
    ...(limits.maxEventLoopDelayMs > 0 && { maxEventLoopDelay: limits.maxEventLoopDelayMs }),
    ...(limits.maxHeapUsedBytes > 0 && { maxHeapUsedBytes: limits.maxHeapUsedBytes }),
    sampleInterval: 250,
    retryAfter,
    pressureHandler: (_req, reply, type) => {
      reply.header('retry-after', String(retryAfter));
      sendProblem(reply, new AppError('OVERLOADED', `the server is overloaded (${type}); retry later`));
    },
  });
}

export interface AuthFailureLimiter {
  /** A 429 to send when the client is over the limit, before its token is even looked at. */
  blocked(request: FastifyRequest): AppError | undefined;
  /** Counts a failed authentication; returns the 429 when this one crossed the limit. */
  failed(request: FastifyRequest): Promise<AppError | undefined>;
}

/**
 * Failed authentication is rate-limited per client address (@fastify/rate-limit's store): after
 * AUTH_FAILURE_LIMIT failures in AUTH_FAILURE_WINDOW_MS, every wrong or missing token from that
 * address is refused with 429 until the window ends, so guessing cannot go on. A valid token is
 * never refused by it (the auth hook asks only after the token failed): a NAT'd neighbour with a
 * stale key cannot lock everyone behind the same address out. Successful requests are not counted.
 */
export async function registerAuthFailureLimiter(app: FastifyInstance, limits: HttpLimits): Promise<AuthFailureLimiter> {
  await app.register(rateLimit, { global: false, max: limits.authFailureLimit, timeWindow: limits.authFailureWindowMs });
  const check = app.createRateLimit({ max: limits.authFailureLimit, timeWindow: limits.authFailureWindowMs });
  // Clients currently over the limit, until when: checked on every guarded request, so it is a
  // plain Map lookup rather than a round trip through the rate-limit store.
  const blockedUntil = new Map<string, number>();
  const tooMany = (ttlMs: number) => {
    const seconds = Math.max(1, Math.ceil(ttlMs / 1000));
    const error = new AppError('TOO_MANY_REQUESTS', `too many failed authentication attempts from this address; retry in ${seconds} s`);
    error.retryAfterSeconds = seconds;
    return error;
  };
  return {
    blocked(request) {
      const until = blockedUntil.get(request.ip);
      if (until === undefined) return undefined;
      const left = until - Date.now();
      if (left > 0) return tooMany(left);
      blockedUntil.delete(request.ip);
      return undefined;
    },
    async failed(request) {
      const limit = await check(request);
      if (limit.isAllowed || !limit.isExceeded) return undefined;
      if (blockedUntil.size >= 10_000) {
        const now = Date.now();
        for (const [ip, until] of blockedUntil) if (until <= now) blockedUntil.delete(ip);
      }
      blockedUntil.set(request.ip, Date.now() + limit.ttl);
      return tooMany(limit.ttl);
    },
  };
}
