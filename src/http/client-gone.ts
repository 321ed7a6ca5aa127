import type { FastifyReply, FastifyRequest } from 'fastify';
import { redactUrl } from './redact-url.js';

/** The client closed the connection before we finished answering (aborted upload or download). */
export function clientGone(request: FastifyRequest, reply: FastifyReply): boolean {
  return !reply.raw.writableEnded && (reply.raw.destroyed || request.raw.destroyed || request.raw.socket?.destroyed === true);
}

/**
 * A client disconnecting is routine (a cancelled download, a killed training script), not a
 * server fault: one debug line carrying the request id, instead of an info or error line.
 */
export function logClientGone(request: FastifyRequest, _reply: FastifyReply): void {
  request.log.debug(
    { method: request.method, url: redactUrl(request.url) }, // the reqId comes with request.log
    'client disconnected before the response was complete',
  );
}
