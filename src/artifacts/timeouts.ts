import { S3ServiceException } from '@aws-sdk/client-s3';
import { ArtifactStoreUnavailableError } from './artifact-store.js';

/** Network-level failures: the store is down, unreachable or too slow — a client may retry later. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/**
 * True when an S3 call failed because the store is unavailable (timeout, refused or reset
 * connection, 5xx/503 SlowDown) rather than because of the request (404, 403, bad key).
 */
export function isStoreUnavailable(err: unknown): boolean {
  if (err instanceof ArtifactStoreUnavailableError) return true;
  if (err instanceof S3ServiceException) return (err.$metadata.httpStatusCode ?? 500) >= 500;
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return true;
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  if (typeof e.message === 'string' && /socket hang up|timed out|timeout/i.test(e.message)) return true;
  return e.cause !== undefined && e.cause !== err && isStoreUnavailable(e.cause);
}

/** Wraps unavailability into the one error the HTTP layer maps to 503; anything else passes unchanged. */
export function asUnavailable(err: unknown, what: string): unknown {
  if (err instanceof ArtifactStoreUnavailableError || !isStoreUnavailable(err)) return err;
  return new ArtifactStoreUnavailableError(`artifact store unavailable during ${what}`, { cause: err });
}

/**
 * An AbortSignal that fires after `ms` unless `clear()` is called first (e.g. once response
 * headers arrived: a long download must not be cut off by a deadline meant for the store answering).
 */
export function deadline(ms: number, parent?: AbortSignal): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(Object.assign(new Error(`no answer within ${ms} ms`), { name: 'TimeoutError' })), ms);
  timer.unref();
  const onParent = () => controller.abort(parent?.reason);
  if (parent?.aborted) onParent();
  else parent?.addEventListener('abort', onParent, { once: true });
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParent);
    },
  };
}
