import { AppError } from './errors.js';
import { INT4_MAX } from './schemas.js';

/**
 * Opaque keyset cursors: base64url JSON of the sort key of the last item returned. Keyset (not
 * offset) pagination stays correct while rows are inserted between page reads.
 */
export function encodeCursor(key: string | number): string {
  return Buffer.from(JSON.stringify([key]), 'utf8').toString('base64url');
}

export function decodeCursor<T extends string | number>(cursor: string | undefined, kind: 'string' | 'number'): T | undefined {
  if (cursor === undefined) return undefined;
  try {
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    // Numeric keys are row ids (integer columns): a forged 1.5 or 2^31 must not reach the query.
    const key = Array.isArray(decoded) && decoded.length === 1 ? decoded[0] : undefined;
    if (typeof key === kind && (kind === 'string' || (Number.isInteger(key) && (key as number) >= 0 && (key as number) <= INT4_MAX))) return key as T;
  } catch {
    // fall through to the 400 below
  }
  throw new AppError('INVALID_CURSOR', 'cursor is not one this server issued', [{ path: 'cursor', message: 'is invalid' }]);
}

/** Callers fetch limit + 1 rows; the extra row only tells whether another page exists. */
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => string | number): { items: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  return { items, nextCursor: encodeCursor(keyOf(items[items.length - 1] as T)) };
}
