/**
 * Fast ascending sort of a Float64Array, used to build reference profiles.
 *
 * V8's built-in `Float64Array.prototype.sort` is a comparison sort, ~7× slower than numpy's SIMD
 * sort on 1 M values, while a profile build must not be slower than `np.sort`. So we sort by the
 * IEEE-754 bit pattern with a most-significant-digit radix sort:
 *
 *   key(x) = bits(x) XOR (x < 0 ? 0xFFFF…FF : 0x8000…00)
 *
 * maps doubles to unsigned 64-bit integers in the same order as their values (Herf, "Radix
 * Tricks", 2001): negatives get every bit flipped (so larger magnitudes sort first), positives get
 * the sign bit set (so they sort after all negatives). −0 sorts before +0, as the built-in does.
 *
 * Algorithm (two MSD levels + one insertion pass):
 *  1. histogram of the top 16 key bits (sign, 11 exponent bits, 4 mantissa bits), then scatter
 *     into those 65 536 buckets. Real data concentrates into a few hundred of them, so the scatter
 *     has few live write streams.
 *  2. each bucket (now cache-resident) is scattered again by its next w mantissa bits, w ≈
 *     log2(bucket size) + 1, so sub-buckets average under one element. Within one first-level
 *     bucket all values share sign and exponent, so plain `<` on the doubles is the exact order.
 *     Sub-buckets larger than BIG (48) (heavy ties, very concentrated data) are sorted with the
 *     built-in sort, which is correct there because they hold a single sign (no −0/+0 pair).
 *  3. one insertion-sort pass over the whole array: every element is already in its final
 *     sub-bucket, so it only moves inside it (`>` never moves −0 past +0, and sub-buckets hold at
 *     most BIG elements, so the pass is O(n · BIG) at worst and ~1 compare per element typically).
 *
 * Why WebAssembly: the same algorithm in plain JS (kept below as {@link jsRadixSortFloat64}, the
 * fallback) measured ~40–50 ms for 1 M normal values on the 2-core dev VM, against ~17–24 ms for
 * numpy's np.sort: every JS typed-array pass costs 2.5–10 ns per element (bounds checks, no 64-bit
 * integers). The kernels in ./sort-wasm.ts are hand-assembled wasm (no toolchain dependency, <1 KB) that run
 * the identical algorithm on a 64-bit word per element without bounds checks; measured 17–23 ms
 * (bench/drift.ts, including the copies in and out of wasm memory) against np.sort's 13.6–16.8 ms
 * in the same runs: ratio ~1.25–1.7, not yet the ≤ 1.0 target. Single-threaded, like numpy.
 * The first call runs V8's baseline wasm tier and is slower; later calls use the optimized tier.
 * Tried without a measurable gain (in-process A/B, medians of 30+ sorts, noise ±2 ms): insertion
 * per top bucket while cache-resident instead of one final pass, buckets ≤ 16 skipping the second
 * digit, memory.fill for the sub-count reset, second digit 1 bit wider or narrower; inserting each
 * value into its sub-bucket during the second scatter was ~5 ms slower (branch mispredictions).
 * Correctness never depends on the radix levels being right, only speed: step 3 is a complete
 * insertion sort, the radix passes only make it cheap.
 *
 * Input must not contain NaN (profiles drop missing values before sorting). The wasm kernels and
 * their driver live in ./sort-wasm.ts; this file holds the API and the plain-JS fallback.
 */

import { wasmSort } from './sort-wasm.js';

/**
 * Below this length the built-in sort wins: the radix sort has a fixed cost (65 536-entry count
 * table, prefix sum, a 256 KB zero-fill), measured break-even between 5 000 and 10 000 values.
 */
const SMALL = 8192;

/**
 * Sorts `values` ascending in place and returns it. NaN must not occur.
 * `scratch`, when given, must have at least `values.length` elements and is clobbered (only the
 * plain-JS fallback uses it).
 */
export function sortFloat64(values: Float64Array, scratch?: Float64Array): Float64Array {
  if (values.length < SMALL) return values.sort();
  return radixSortFloat64(values, scratch);
}

/** The radix path of {@link sortFloat64} at any length (exported so tests can drive it directly). */
export function radixSortFloat64(values: Float64Array, scratch?: Float64Array): Float64Array {
  if (wasmSort(values, values, false)) return values;
  return jsRadixSortFloat64(values, scratch);
}

/**
 * A new ascending copy of `src`, or null when `src` holds NaN or ±Infinity (then nothing was
 * sorted). The profile build uses it on complete Float64Array columns: the finiteness check rides
 * on the radix histogram (non-finite values are exactly the top-digit buckets 0x0000–0x000F and
 * 0xFFF0–0xFFFF), so no separate scan or copy of the column is made. Writing the result into the
 * fresh array costs ~5 ms per 1 M values against ~1.2 ms for a reused one (first-touch page
 * faults on the dev VM); np.sort, which also returns a fresh copy, pays the same.
 */
export function sortedFiniteCopy(src: Float64Array): Float64Array | null {
  const n = src.length;
  if (n >= SMALL) {
    const out = new Float64Array(n);
    const done = wasmSort(src, out, true);
    if (done === null) return null;
    if (done) return out;
  }
  for (let i = 0; i < n; i++) if (!Number.isFinite(src[i]!)) return null;
  return sortFloat64(src.slice());
}

// ---------------------------------------------------------------------------------------------
// Plain-JS fallback (no WebAssembly): the same two MSD levels, ~2.5× slower.

/** Sub-buckets up to this size are finished by insertion sort (JS fallback). */
const INSERTION = 48;
const TOP_BITS = 16;

/** The JS radix path, used when WebAssembly is unavailable (exported so tests can drive it). */
export function jsRadixSortFloat64(values: Float64Array, scratch?: Float64Array): Float64Array {
  const n = values.length;
  const tmp = scratch && scratch.length >= n ? scratch : new Float64Array(n);
  // Int32 views: keeping words signed keeps V8 on 32-bit integer arithmetic (uint32 values above
  // 2^31 would be boxed as doubles).
  const words = int32View(values);
  const counts = new Int32Array(1 << TOP_BITS);
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1]!;
    counts[(hi ^ ((hi >> 31) | 0x80000000)) >>> 16]!++;
  }
  // Bucket start offsets; `ends` keeps them after the scatter has advanced `counts`.
  let sum = 0;
  const starts = new Int32Array(1 << TOP_BITS);
  for (let d = 0; d < 1 << TOP_BITS; d++) {
    const c = counts[d]!;
    starts[d] = sum;
    counts[d] = sum;
    sum += c;
  }
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1]!;
    tmp[counts[(hi ^ ((hi >> 31) | 0x80000000)) >>> 16]!++] = values[i]!;
  }
  const tmpWords = int32View(tmp);
  const sub = new Int32Array(1 << 11);
  for (let d = 0; d < 1 << TOP_BITS; d++) {
    const start = starts[d]!;
    const end = counts[d]!;
    const m = end - start;
    if (m === 0) continue;
    if (m <= INSERTION) {
      insertionSort(tmp, start, end);
      values.set(tmp.subarray(start, end), start);
    } else {
      // Negative buckets (top digit < 0x8000) have every key bit flipped.
      splitBucket(tmp, tmpWords, values, start, end, sub, d < 0x8000);
    }
  }
  return values;
}

/**
 * Second MSD level: scatters tmp[start, end) into values[start, end) by the next mantissa bits
 * (hi word bits 15…16−w), w chosen so sub-buckets average 2–4 elements (measured best: a wider
 * digit only adds prefix-sum work, a narrower one more insertion sort), then finishes each one.
 */
function splitBucket(src: Float64Array, srcWords: Int32Array, dst: Float64Array, start: number, end: number, counts: Int32Array, negative: boolean): void {
  const m = end - start;
  const width = Math.min(11, Math.max(3, 31 - Math.clz32(m) - 1));
  const shift = 16 - width;
  const mask = (1 << width) - 1;
  const radix = 1 << width;
  const flip = negative ? mask : 0;
  counts.fill(0, 0, radix);
  for (let i = start; i < end; i++) counts[((srcWords[2 * i + 1]! >> shift) & mask) ^ flip]!++;
  let sum = start;
  for (let d = 0; d < radix; d++) {
    const c = counts[d]!;
    counts[d] = sum;
    sum += c;
  }
  for (let i = start; i < end; i++) {
    dst[counts[((srcWords[2 * i + 1]! >> shift) & mask) ^ flip]!++] = src[i]!;
  }
  // counts[d] is now the end of sub-bucket d.
  let s = start;
  for (let d = 0; d < radix; d++) {
    const e = counts[d]!;
    const k = e - s;
    if (k > 1) {
      if (k <= INSERTION) insertionSort(dst, s, e);
      // Heavily tied or very concentrated data: the built-in sort is correct here because every
      // value in the sub-bucket has the same sign (so no −0/+0 pair), and it is O(k log k).
      else dst.subarray(s, e).sort();
    }
    s = e;
  }
}

function insertionSort(a: Float64Array, start: number, end: number): void {
  for (let j = start + 1; j < end; j++) {
    const v = a[j]!;
    let i = j - 1;
    while (i >= start && a[i]! > v) {
      a[i + 1] = a[i]!;
      i--;
    }
    a[i + 1] = v;
  }
}

function int32View(a: Float64Array): Int32Array {
  return new Int32Array(a.buffer, a.byteOffset, a.length * 2);
}

/** True when `a` is ascending in the order `sortFloat64` produces (−0 before +0). */
export function isSortedFloat64(a: Float64Array): boolean {
  for (let i = 1; i < a.length; i++) {
    const p = a[i - 1]!;
    const c = a[i]!;
    if (p > c || (p === 0 && c === 0 && Object.is(p, 0) && Object.is(c, -0))) return false;
  }
  return true;
}
