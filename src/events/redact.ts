/**
 * The audit log is readable with a `read` key, so nothing in it may carry a credential: a
 * `secret` (a webhook executor's signing key) is replaced, and so is every value of an `env`
 * object (a command executor's environment, where tokens live). Services mask what they record
 * already (`publicExecutor`); this walk also covers rows written before they did.
 */
export const REDACTED = '***';

export function redactSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v)) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (key === 'secret' && typeof v === 'string') out[key] = REDACTED;
    else if (key === 'env' && v !== null && typeof v === 'object' && !Array.isArray(v)) out[key] = Object.fromEntries(Object.keys(v).map((k) => [k, REDACTED]));
    else out[key] = redactSecrets(v);
  }
  return out as T;
}
