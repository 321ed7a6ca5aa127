/**
 * Fast ascending sort of a Float64Array, used to build reference profiles.
 *
 * V8's built-in `Float64Array.prototype.sort` is a comparison sort and several times slower than
 * numpy's SIMD sort on 1 M values, while a profile build must not be slower than `np.sort`. So we
 * sort by the IEEE-754 bit pattern with a most-significant-digit radix sort:
 *
 *   key(x) = bits(x) XOR (x < 0 ? 0xFFFF…FF : 0x8000…00)
 *
 * maps doubles to unsigned 64-bit integers in the same order as their values (Herf, "Radix
 * Tricks", 2001): negatives get every bit flipped (so larger magnitudes sort first), positives get
 * the sign bit set (so they sort after all negatives). −0 sorts before +0, as the built-in does.
 *
 * Why MSD rather than the textbook LSD: an LSD pass on low digits scatters 8 MB across tens of
 * thousands of buckets and misses cache on nearly every write (measured ~19 ms per pass on 1 M
 * values). The first MSD digit is the sign, the 11 exponent bits and 4 mantissa bits, which real
 * data concentrates into a few hundred buckets (cheap scatter); each bucket then fits in L2 and is
 * split again in cache, and the tiny sub-buckets left are finished by insertion sort.
 *
 * Within one first-level bucket all values share sign and exponent, so plain `<` on the doubles is
 * the exact order there; that is what lets the tail use ordinary comparisons.
 *
 * Measured on the 2-core dev VM (bench/drift.ts, 1 M values): ~45–55 ms against ~150 ms for the
 * built-in sort and ~16 ms for numpy's AVX2 sort — every pass costs 3–10 ns per element in JS,
 * so matching a SIMD sort would need native or WebAssembly code.
 *
 * Input must not contain NaN (profiles drop missing values before sorting).
 */

/**
 * Below this length the built-in sort wins: the radix sort has a fixed ~0.4 ms cost (two 64 Ki
 * count tables), measured break-even between 5 000 and 10 000 values.
 */
const SMALL = 8192;
/** Sub-buckets up to this size are finished by insertion sort. */
const INSERTION = 48;
const TOP_BITS = 16;

/**
 * Sorts `values` ascending in place and returns it. NaN must not occur.
 * `scratch`, when given, must have at least `values.length` elements and is clobbered.
 */
export function sortFloat64(values: Float64Array, scratch?: Float64Array): Float64Array {
  if (values.length < SMALL) return values.sort();
  return radixSortFloat64(values, scratch);
}

/** The radix path of {@link sortFloat64} at any length (exported so tests can drive it directly). */
export function radixSortFloat64(values: Float64Array, scratch?: Float64Array): Float64Array {
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
function splitBucket(
  src: Float64Array,
  srcWords: Int32Array,
  dst: Float64Array,
  start: number,
  end: number,
  counts: Int32Array,
  negative: boolean,
): void {
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
