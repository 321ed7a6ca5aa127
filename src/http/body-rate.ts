import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from './errors.js';
import { problemOf } from './problem.js';

export interface BodyRateLimit {
  /** 0 disables the check. */
  minBytesPerS: number;
  windowMs: number;
}

/**
 * A minimum body rate: a client that keeps a request open by trickling a few bytes now and then
 * never trips the idle timeout, so every `windowMs` the bytes that arrived on the socket are
 * counted, and fewer than `minBytesPerS × window` end the request with 408 (problem+json when
 * nothing was answered yet) and close the connection. Counted on the socket (`bytesRead`), so
 * the body stream itself is never touched. A window in which the server was the slow side — body
 * bytes waiting unread in the request's buffer (an upload to a slow store, a handler waiting for
 * a lock) — is not held against the client.
 */
export function watchBodyRate(req: IncomingMessage, res: ServerResponse, limit: BodyRateLimit): void {
  if (limit.minBytesPerS <= 0) return;
  const hasBody = (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) return;
  const socket = req.socket;
  const minBytes = (limit.minBytesPerS * limit.windowMs) / 1000;
  let since = socket.bytesRead;
  const timer = setInterval(() => {
    if (req.complete || socket.destroyed) return stop();
    const arrived = socket.bytesRead - since;
    since = socket.bytesRead;
    if (arrived >= minBytes || req.readableLength > 0) return;
    stop();
    cut(req, res, limit);
  }, limit.windowMs);
  timer.unref();
  const stop = () => clearInterval(timer);
  req.once('end', stop);
  res.once('close', stop);
}

function cut(req: IncomingMessage, res: ServerResponse, limit: BodyRateLimit): void {
  const socket = req.socket;
  // The body's reader (a JSON parser, an upload streaming to the store) fails and cleans up:
  // once the response is out, Node no longer aborts the request when the socket closes.
  const abandon = () => {
    req.destroy(error);
    socket.destroy();
  };
  const error = new AppError(
    'REQUEST_TOO_SLOW',
    `the request body arrived slower than ${limit.minBytesPerS} bytes/s over ${limit.windowMs / 1000} s (HTTP_MIN_BODY_BYTES_PER_S)`,
  );
  if (res.headersSent) return abandon();
  const body = JSON.stringify(problemOf(error));
  res.shouldKeepAlive = false;
  res.writeHead(408, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body), connection: 'close' });
  // The rest of the body is never read: once the answer is out, the connection goes.
  res.end(body, abandon);
  setTimeout(abandon, 1_000).unref();
}
