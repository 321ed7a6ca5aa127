import { sortedFiniteCopy, sortFloat64 } from './sort.js';

/**
 * Reference profiles: what we keep of the training data to compare windows against.
 *
 * Numeric features keep every non-missing value, sorted, so KS stays exact (binned summaries
 * would make D approximate) and quantile edges can be computed for any bin count later.
 * Categorical features keep category counts. Both keep `count` (rows seen, missing included) and
 * `missing`, because a change in missingness is a drift signal of its own.
 */

export type FeatureType = 'numeric' | 'categorical';
export type RawValue = number | string | boolean | null | undefined;
/** A column of raw values, or a Float64Array of numbers where NaN marks missing. */
export type Column = ArrayLike<RawValue> | Float64Array;

export interface NumericFeatureProfile {
  kind: 'numeric';
  /** Rows seen, missing ones included. */
  count: number;
  missing: number;
  /** Non-missing values, ascending (−0 before +0), all finite. length = count − missing. */
  values: Float64Array;
}

export interface CategoricalFeatureProfile {
  kind: 'categorical';
  count: number;
  missing: number;
  /** Category → count; a Map because category names are arbitrary strings (even "__proto__"). */
  counts: Map<string, number>;
}

export type FeatureProfile = NumericFeatureProfile | CategoricalFeatureProfile;

export interface DatasetProfile {
  /** Rows seen; every feature's `count` equals it. */
  rows: number;
  features: Map<string, FeatureProfile>;
}

/** The reference side of a comparison; current windows use the same shape. */
export type ReferenceProfile = DatasetProfile;

/**
 * Number from a raw cell, or NaN when the cell is missing. Missing: null, undefined, NaN, ±Infinity,
 * booleans, and strings that are empty or not a finite decimal number. Infinity counts as missing
 * because no statistic here is defined on it (quantiles, std and W₁ would become NaN/Infinity); it
 * is still counted, so it shows up in the missing rate rather than vanishing.
 */
export function toNumber(v: RawValue): number {
  if (typeof v === 'number') return Number.isFinite(v) ? v : NaN;
  if (typeof v === 'string') return parseFiniteNumber(v);
  return NaN;
}

/**
 * Parses a decimal number ("1", "-2.5e3", " 7 ") or returns NaN. Number() alone would also accept
 * "", " ", "0x1f", "0b1" and "Infinity", none of which should make a CSV column numeric.
 */
export function parseFiniteNumber(s: string): number {
  if (s.length === 0) return NaN;
  // trim() allocates; most cells have no surrounding whitespace, so only trim when they do.
  const t = s.charCodeAt(0) <= 32 || s.charCodeAt(s.length - 1) <= 32 ? s.trim() : s;
  if (t.length === 0) return NaN;
  if (t.length > 1 && t.charCodeAt(0) === 48) {
    const c = t.charCodeAt(1) | 0x20;
    if (c === 0x78 || c === 0x62 || c === 0x6f) return NaN; // 0x, 0b, 0o
  }
  const v = Number(t);
  return Number.isFinite(v) ? v : NaN;
}

/** Category label of a raw cell, or null when missing (null, undefined, '', NaN). */
export function toCategory(v: RawValue): string | null {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'number' && Number.isNaN(v)) return null;
  return String(v);
}

/**
 * 'numeric' when every non-missing cell is a number or a string parsing as a finite number (and
 * at least one such cell exists), else 'categorical'. An all-missing column is numeric, the
 * cheaper profile; callers with a declared type should pass it instead.
 */
export function inferFeatureType(column: Column): FeatureType {
  if (column instanceof Float64Array) return 'numeric';
  for (let i = 0; i < column.length; i++) {
    const v = column[i];
    if (v === null || v === undefined || v === '') continue;
    if (typeof v === 'number') continue;
    if (typeof v === 'string' && !Number.isNaN(parseFiniteNumber(v))) continue;
    return 'categorical';
  }
  return 'numeric';
}

/** Profile of one numeric column; sorts with {@link sortFloat64}. */
export function numericProfile(column: Column): NumericFeatureProfile {
  const n = column.length;
  if (column instanceof Float64Array) {
    // The common case, a complete Float64Array column: sorted straight from the column into the
    // profile's array, with the finiteness check folded into the sort (no separate scan or copy).
    const sorted = sortedFiniteCopy(column);
    if (sorted) return { kind: 'numeric', count: n, missing: 0, values: sorted };
    let valid = 0;
    for (let i = 0; i < n; i++) if (Number.isFinite(column[i]!)) valid++;
    const values = new Float64Array(valid);
    let k = 0;
    for (let i = 0; i < n; i++) {
      const v = column[i]!;
      if (Number.isFinite(v)) values[k++] = v;
    }
    sortFloat64(values);
    return { kind: 'numeric', count: n, missing: n - valid, values };
  }
  // Raw cells: parse each once into a full-length buffer, then keep the finite prefix.
  const parsed = new Float64Array(n);
  let valid = 0;
  for (let i = 0; i < n; i++) {
    const v = toNumber(column[i]);
    if (v === v) parsed[valid++] = v; // toNumber gives NaN for missing and non-finite cells
  }
  const values = valid === n ? parsed : parsed.slice(0, valid);
  sortFloat64(values);
  return { kind: 'numeric', count: n, missing: n - valid, values };
}

/** Profile of one categorical column. */
export function categoricalProfile(column: Column): CategoricalFeatureProfile {
  const counts = new Map<string, number>();
  let missing = 0;
  for (let i = 0; i < column.length; i++) {
    const c = toCategory(column[i]);
    if (c === null) missing++;
    else counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  return { kind: 'categorical', count: column.length, missing, counts };
}

export function featureProfile(column: Column, type: FeatureType = inferFeatureType(column)): FeatureProfile {
  return type === 'numeric' ? numericProfile(column) : categoricalProfile(column);
}

/**
 * Profile of a table given as columns of equal length. `types` fixes a feature's type; others
 * are inferred with {@link inferFeatureType}.
 */
export function buildProfile(
  columns: Readonly<Record<string, Column>> | ReadonlyMap<string, Column>,
  types: Readonly<Record<string, FeatureType>> | ReadonlyMap<string, FeatureType> = {},
): DatasetProfile {
  const entries = columns instanceof Map ? [...columns.entries()] : Object.entries(columns as Record<string, Column>);
  const typeOf = (name: string): FeatureType | undefined =>
    types instanceof Map ? types.get(name) : Object.hasOwn(types, name) ? (types as Record<string, FeatureType>)[name] : undefined;
  let rows: number | undefined;
  const features = new Map<string, FeatureProfile>();
  for (const [name, column] of entries) {
    if (rows === undefined) rows = column.length;
    else if (column.length !== rows) {
      throw new RangeError(`column "${name}" has ${column.length} values, expected ${rows} like the others`);
    }
    features.set(name, featureProfile(column, typeOf(name)));
  }
  return { rows: rows ?? 0, features };
}

/**
 * Profile of the union of two parts (reference data arriving in several requests). Numeric values
 * are merged linearly (O(n + m), no re-sort); counts add. A feature absent from one part counts
 * all of that part's rows as missing, so `count === rows` keeps holding. The result equals the
 * profile of the concatenated rows, bit for bit.
 */
export function mergeProfiles(a: DatasetProfile, b: DatasetProfile): DatasetProfile {
  const features = new Map<string, FeatureProfile>();
  const names = new Set([...a.features.keys(), ...b.features.keys()]);
  for (const name of names) {
    const fa = a.features.get(name) ?? emptyLike(b.features.get(name)!, a.rows);
    const fb = b.features.get(name) ?? emptyLike(a.features.get(name)!, b.rows);
    features.set(name, mergeFeature(name, fa, fb));
  }
  return { rows: a.rows + b.rows, features };
}

function emptyLike(f: FeatureProfile, rows: number): FeatureProfile {
  return f.kind === 'numeric'
    ? { kind: 'numeric', count: rows, missing: rows, values: new Float64Array(0) }
    : { kind: 'categorical', count: rows, missing: rows, counts: new Map() };
}

export function mergeFeature(name: string, a: FeatureProfile, b: FeatureProfile): FeatureProfile {
  if (a.kind !== b.kind) throw new TypeError(`feature "${name}" is ${a.kind} in one part and ${b.kind} in the other`);
  if (a.kind === 'numeric' && b.kind === 'numeric') {
    return { kind: 'numeric', count: a.count + b.count, missing: a.missing + b.missing, values: mergeSorted(a.values, b.values) };
  }
  const counts = new Map((a as CategoricalFeatureProfile).counts);
  for (const [k, n] of (b as CategoricalFeatureProfile).counts) counts.set(k, (counts.get(k) ?? 0) + n);
  return { kind: 'categorical', count: a.count + b.count, missing: a.missing + b.missing, counts };
}

/** Linear merge of two ascending arrays; on ±0 ties −0 goes first so the order matches sortFloat64. */
export function mergeSorted(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x < y || (x === y && (x !== 0 || 1 / x < 0 || 1 / y > 0))) {
      out[k++] = x;
      i++;
    } else {
      out[k++] = y;
      j++;
    }
  }
  if (i < a.length) out.set(a.subarray(i), k);
  else if (j < b.length) out.set(b.subarray(j), k);
  return out;
}
