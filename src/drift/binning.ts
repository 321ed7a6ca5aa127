import { quantileSorted } from 'simple-statistics';

/**
 * Quantile bin edges of a sorted reference sample:
 *   eᵢ = Q(i / b),  i = 1 … b − 1,
 * with Q numpy's default `linear` quantile (Hyndman & Fan 1996, type 7: h = (n − 1)p,
 * Q = x⌊h⌋ + (h − ⌊h⌋)(x⌊h⌋₊₁ − x⌊h⌋)), taken from simple-statistics' `quantileSorted`.
 * Duplicate edges (ties in the reference) are dropped, so fewer than b bins may result; every
 * remaining bin is then non-degenerate. numpy interpolates with b − (b − a)(1 − t) when t ≥ ½,
 * which can differ from a + (b − a)t in the last ulp; the fixture test bounds that at 4 ulps.
 */
export function quantileEdges(sorted: Float64Array, bins: number): Float64Array {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`bins must be a positive integer, got ${bins}`);
  if (sorted.length === 0) return new Float64Array(0);
  // quantileSorted only indexes and reads `length`; a Float64Array serves without a copy.
  const data = sorted as unknown as number[];
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const e = finiteQuantile(sorted, data, i / bins);
    // `!==` also merges −0 with +0, like np.unique.
    if (edges.length === 0 || edges[edges.length - 1] !== e) edges.push(e);
  }
  return Float64Array.from(edges);
}

/**
 * The type-7 quantile, kept finite and inside [x⌊h⌋, x⌊h⌋₊₁]. Near ±1.7e308 the difference
 * x⌊h⌋₊₁ − x⌊h⌋ overflows to Infinity, so a + (b − a)t gives ±Infinity or NaN (Infinity · 0) —
 * printed as null in JSON (issue 9). Only then is the edge recomputed as a(1 − t) + bt, whose
 * terms cannot overflow; ordinary data keep the numpy-matching formula bit for bit.
 */
function finiteQuantile(sorted: Float64Array, data: number[], p: number): number {
  const e = quantileSorted(data, p);
  if (Number.isFinite(e)) return e;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const a = sorted[lo]!;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)]!;
  const t = h - lo;
  const v = a * (1 - t) + b * t;
  return Math.min(Math.max(v, a), b);
}

/** Index of the first element of `sorted` that is > `v` (count of elements ≤ v). */
export function upperBound(sorted: Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Bin of a value: #{edges < v} (numpy `searchsorted(edges, v, side='left')`), so v ≤ e₁ is bin 0,
 * eᵢ < v ≤ eᵢ₊₁ is bin i, and v > e_last is the last bin; values outside the reference range land
 * in the end bins.
 */
export function binIndex(edges: Float64Array, v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Counts per bin of a sorted sample, by one binary search per edge (O(b log n)) rather than one
 * per value: bin i holds #{v ≤ eᵢ₊₁} − #{v ≤ eᵢ}.
 */
export function binCountsSorted(sorted: Float64Array, edges: Float64Array): number[] {
  const counts = new Array<number>(edges.length + 1);
  let prev = 0;
  for (let i = 0; i < edges.length; i++) {
    const upTo = upperBound(sorted, edges[i]!);
    counts[i] = upTo - prev;
    prev = upTo;
  }
  counts[edges.length] = sorted.length - prev;
  return counts;
}

/** Counts per bin of an unsorted sample (NaN must not occur). */
export function binCounts(values: ArrayLike<number>, edges: Float64Array): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < values.length; i++) counts[binIndex(edges, values[i]!)]!++;
  return counts;
}

/** counts / total; an empty sample gives all zeros rather than NaN. */
export function proportions(counts: readonly number[]): number[] {
  let total = 0;
  for (const c of counts) total += c;
  return counts.map((c) => (total > 0 ? c / total : 0));
}
