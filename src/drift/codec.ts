import type { DatasetProfile, FeatureProfile } from './profile.js';

/**
 * `mlcycle.profile/1`: the compact, lossless JSON form profiles were stored in before
 * `mlcycle.profile/2` (src/drift/binary-codec.ts, which still reads this one). One JSON string
 * per profile cannot hold a large reference (V8 caps strings at 512 MB); new profiles are not
 * written in it.
 *
 * Sorted doubles as raw float64 would take 8 bytes a value, 10.7 MB in base64 for 1 M values,
 * over the 10 MB budget. Instead each value is mapped to its order-preserving 64-bit key (the
 * same bit trick as the radix sort), the differences between consecutive keys — non-negative
 * because the values are sorted — are written as LEB128 varints, and the bytes as base64.
 * Continuous data then needs ~5 bytes a value and tied values 1 byte, with no compression library
 * and every bit of every value (−0 included) preserved.
 */

export const PROFILE_FORMAT = 'mlcycle.profile/1';
export const VALUES_ENCODING = 'f64-key-delta-leb128-base64';

export interface SerializedNumericFeature {
  name: string;
  kind: 'numeric';
  count: number;
  missing: number;
  encoding: typeof VALUES_ENCODING;
  values: string;
}

export interface SerializedCategoricalFeature {
  name: string;
  kind: 'categorical';
  count: number;
  missing: number;
  categories: string[];
  counts: number[];
}

export interface SerializedProfile {
  format: typeof PROFILE_FORMAT;
  rows: number;
  features: Array<SerializedNumericFeature | SerializedCategoricalFeature>;
}

export function serializeProfile(profile: DatasetProfile): SerializedProfile {
  const features: SerializedProfile['features'] = [];
  for (const [name, f] of profile.features) {
    if (f.kind === 'numeric') {
      features.push({ name, kind: 'numeric', count: f.count, missing: f.missing, encoding: VALUES_ENCODING, values: encodeSorted(f.values) });
    } else {
      const entries = [...f.counts.entries()];
      features.push({
        name,
        kind: 'categorical',
        count: f.count,
        missing: f.missing,
        categories: entries.map(([k]) => k),
        counts: entries.map(([, n]) => n),
      });
    }
  }
  return { format: PROFILE_FORMAT, rows: profile.rows, features };
}

/** Inverse of {@link serializeProfile}; validates the shape and throws TypeError when malformed. */
export function deserializeProfile(input: unknown): DatasetProfile {
  const o = input as Partial<SerializedProfile> | null;
  if (!o || typeof o !== 'object' || o.format !== PROFILE_FORMAT) throw new TypeError(`not a ${PROFILE_FORMAT} profile`);
  if (!isCount(o.rows) || !Array.isArray(o.features)) throw new TypeError('profile needs rows and features');
  const features = new Map<string, FeatureProfile>();
  for (const raw of o.features as unknown[]) {
    const f = raw as LooseFeature;
    if (!f || typeof f.name !== 'string' || !isCount(f.count) || !isCount(f.missing) || f.missing > f.count) {
      throw new TypeError('malformed feature in profile');
    }
    if (f.count !== o.rows) throw new TypeError(`feature "${f.name}" count ${f.count} differs from rows ${o.rows}`);
    if (features.has(f.name)) throw new TypeError(`duplicate feature "${f.name}"`);
    if (f.kind === 'numeric') {
      if (f.encoding !== VALUES_ENCODING || typeof f.values !== 'string') throw new TypeError(`feature "${f.name}": bad values`);
      const values = decodeSorted(f.values, f.count - f.missing);
      features.set(f.name, { kind: 'numeric', count: f.count, missing: f.missing, values });
    } else if (f.kind === 'categorical') {
      const { categories, counts } = f;
      if (!Array.isArray(categories) || !Array.isArray(counts) || categories.length !== counts.length) {
        throw new TypeError(`feature "${f.name}": bad categories`);
      }
      const map = new Map<string, number>();
      let total = 0;
      categories.forEach((c, i) => {
        const n = counts[i];
        if (typeof c !== 'string' || !isCount(n) || map.has(c)) throw new TypeError(`feature "${f.name}": bad category entry`);
        map.set(c, n);
        total += n;
      });
      if (total !== f.count - f.missing) throw new TypeError(`feature "${f.name}": category counts do not add up`);
      features.set(f.name, { kind: 'categorical', count: f.count, missing: f.missing, counts: map });
    } else {
      throw new TypeError(`feature "${f.name}": unknown kind`);
    }
  }
  return { rows: o.rows, features };
}

/** Any field of either feature form, all unchecked: the shape validation works on this. */
interface LooseFeature {
  name?: unknown;
  kind?: unknown;
  count?: unknown;
  missing?: unknown;
  encoding?: unknown;
  values?: unknown;
  categories?: unknown;
  counts?: unknown;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** LEB128 varints of consecutive key differences, base64. `sorted` must be ascending. */
export function encodeSorted(sorted: Float64Array): string {
  const n = sorted.length;
  const words = new Int32Array(sorted.buffer, sorted.byteOffset, n * 2);
  const out = new Uint8Array(n * 10);
  let pos = 0;
  let prevHi = 0;
  let prevLo = 0;
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1]!;
    const lo = words[2 * i]!;
    const m = hi >> 31;
    const keyHi = (hi ^ (m | 0x80000000)) >>> 0;
    const keyLo = (lo ^ m) >>> 0;
    // 64-bit subtraction on two 32-bit halves.
    let dLo = (keyLo - prevLo) >>> 0;
    let dHi = (keyHi - prevHi - (keyLo < prevLo ? 1 : 0)) >>> 0;
    prevHi = keyHi;
    prevLo = keyLo;
    while (dHi !== 0 || dLo >= 0x80) {
      out[pos++] = (dLo & 0x7f) | 0x80;
      dLo = ((dLo >>> 7) | (dHi << 25)) >>> 0;
      dHi >>>= 7;
    }
    out[pos++] = dLo;
  }
  return Buffer.from(out.buffer, 0, pos).toString('base64');
}

/** Inverse of {@link encodeSorted}; checks the value count and that values come out finite and sorted. */
export function decodeSorted(base64: string, expected: number): Float64Array {
  const bytes = Buffer.from(base64, 'base64');
  const values = new Float64Array(expected);
  const words = new Int32Array(values.buffer);
  let pos = 0;
  let keyHi = 0;
  let keyLo = 0;
  for (let i = 0; i < expected; i++) {
    let dLo = 0;
    let dHi = 0;
    let shift = 0;
    for (;;) {
      if (pos >= bytes.length || shift > 63) throw new TypeError('truncated or malformed profile values');
      const b = bytes[pos++]!;
      const low7 = b & 0x7f;
      if (shift < 32) {
        dLo = (dLo | (low7 << shift)) >>> 0;
        if (shift > 25) dHi = (dHi | (low7 >>> (32 - shift))) >>> 0;
      } else {
        dHi = (dHi | (low7 << (shift - 32))) >>> 0;
      }
      shift += 7;
      if ((b & 0x80) === 0) break;
    }
    const lo = keyLo + dLo;
    keyLo = lo >>> 0;
    keyHi = (keyHi + dHi + (lo > 0xffffffff ? 1 : 0)) >>> 0;
    // Undo the key transform: a set top bit marks a positive value.
    if (keyHi & 0x80000000) {
      words[2 * i + 1] = keyHi ^ 0x80000000;
      words[2 * i] = keyLo;
    } else {
      words[2 * i + 1] = ~keyHi;
      words[2 * i] = ~keyLo;
    }
    // A corrupted stream can wrap the 64-bit key or land on NaN/Infinity patterns.
    if (!Number.isFinite(values[i]!) || (i > 0 && values[i]! < values[i - 1]!)) {
      throw new TypeError('profile values decode to a non-finite or unsorted value');
    }
  }
  if (pos !== bytes.length) throw new TypeError('trailing bytes in profile values');
  return values;
}
