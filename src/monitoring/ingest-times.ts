import type { FeatureColumn } from './batch.js';
import type { FieldErrorCollector } from './ingest-errors.js';

/** The reserved Arrow/CSV column of per-row times (like `__id`); JSON bodies send `timestamps`. */
export const TIMESTAMP_COLUMN = '__timestamp';

const ISO_WITH_ZONE = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:?\d\d)$/i;
/** Up to year 275760 (ECMAScript's last date), never negative. */
const MAX_MS = 8.64e15;
export const ROW_TIME_MESSAGE = 'must be an ISO-8601 date-time with a time zone (2026-01-31T12:00:00Z) or epoch milliseconds, or null';

/**
 * One row's time → epoch ms: an ISO-8601 date-time with a zone, or epoch milliseconds (a number,
 * a bigint from Arrow, or digits from CSV). null/undefined → NaN (the batch's time applies);
 * anything else → undefined (invalid).
 */
export function rowTime(value: unknown): number | undefined {
  if (value === null || value === undefined) return Number.NaN;
  if (typeof value === 'bigint') value = Number(value);
  if (value instanceof Date) value = value.getTime();
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value <= MAX_MS ? value : undefined;
  if (typeof value !== 'string') return undefined;
  if (/^\d{1,16}$/.test(value)) return rowTime(Number(value));
  if (!ISO_WITH_ZONE.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Row times of one body field; each bad value is an error at `path[i]`, nothing stored. */
export function readRowTimes(values: ArrayLike<unknown>, path: string | ((i: number) => string), errors: FieldErrorCollector): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const ms = rowTime(values[i]);
    if (ms === undefined) errors.add(typeof path === 'string' ? `${path}[${i}]` : path(i), ROW_TIME_MESSAGE);
    else out[i] = ms;
  }
  return out;
}

/** Row times from a parsed feature column (the monitor's `timestampColumn` declared as a feature). */
export function timesFromColumn(column: FeatureColumn, path: string | ((i: number) => string), errors: FieldErrorCollector): Float64Array {
  if (column.kind === 'categorical') return readRowTimes(column.values, path, errors);
  return readRowTimes(
    Array.from(column.values, (v) => (Number.isNaN(v) ? null : v)),
    path,
    errors,
  );
}
