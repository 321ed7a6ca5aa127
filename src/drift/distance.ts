/**
 * Jensen–Shannon distance between two discrete distributions, in log base 2 (so it lies in
 * [0, 1]):
 *   M = (P + Q) / 2,   JSD = ½ KL(P‖M) + ½ KL(Q‖M),   distance = √JSD
 * (Lin 1991; Endres & Schindelin 2003 for √JSD being a metric). Inputs are normalised to sum to 1
 * first and 0·ln 0 = 0, exactly as `scipy.spatial.distance.jensenshannon(p, q, base=2)`; the raw
 * bin proportions are used (no ε smoothing, which JS does not need).
 */
export function jensenShannonDistance(p: readonly number[], q: readonly number[]): number {
  if (p.length !== q.length) throw new RangeError('Jensen–Shannon needs vectors of equal length');
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i]!;
    sq += q[i]!;
  }
  if (!(sp > 0) || !(sq > 0)) return 0;
  let left = 0;
  let right = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]! / sp;
    const qi = q[i]! / sq;
    const m = (pi + qi) / 2;
    left += relEntr(pi, m);
    right += relEntr(qi, m);
  }
  const js = (left + right) / Math.LN2;
  // Rounding can leave a tiny negative sum for near-identical inputs; √ of it would be NaN.
  return Math.sqrt(Math.max(0, js / 2));
}

/** scipy.special.rel_entr: x ln(x/y), 0 when x = 0. */
function relEntr(x: number, y: number): number {
  return x > 0 ? x * Math.log(x / y) : 0;
}

/**
 * First Wasserstein (earth mover's) distance between two empirical distributions on the line:
 *   W₁(U, V) = ∫ |F_U(t) − F_V(t)| dt
 * evaluated exactly as a sum over the merged sorted sample (Vallender 1974; the same
 * construction as `scipy.stats.wasserstein_distance`). Both inputs sorted and non-empty; one
 * linear merge, O(n + m).
 */
export function wassersteinSorted(u: Float64Array, v: Float64Array): number {
  const n = u.length;
  const m = v.length;
  if (n === 0 || m === 0) throw new RangeError('Wasserstein needs two non-empty samples');
  // Near ±1.7e308 a gap between points overflows to Infinity (and 0 · Infinity is NaN): work in
  // units of a power of two, which is exact, and scale back.
  const big = Math.max(Math.abs(u[0]!), Math.abs(u[n - 1]!), Math.abs(v[0]!), Math.abs(v[m - 1]!));
  if (big > 2 ** 1000) {
    const f = 2 ** -24;
    return (
      wassersteinSorted(
        u.map((x) => x * f),
        v.map((x) => x * f),
      ) / f
    );
  }
  let i = 0;
  let j = 0;
  let total = 0;
  // prev is the previous point of the merged sample; between prev and the next point both CDFs
  // are constant at i/n and j/m (counts of values ≤ prev).
  let prev = u[0]! <= v[0]! ? u[0]! : v[0]!;
  while (i < n || j < m) {
    const next = j >= m || (i < n && u[i]! <= v[j]!) ? u[i]! : v[j]!;
    if (next !== prev) {
      total += Math.abs(i / n - j / m) * (next - prev);
      prev = next;
    }
    while (i < n && u[i]! === next) i++;
    while (j < m && v[j]! === next) j++;
  }
  return total;
}

/** Population standard deviation (ddof = 0, numpy's default) of a sample, two-pass for accuracy. */
export function standardDeviation(x: Float64Array): number {
  const n = x.length;
  if (n === 0) return 0;
  let big = 0;
  for (let i = 0; i < n; i++) big = Math.max(big, Math.abs(x[i]!));
  // Squares of values beyond 2^511 overflow; a power-of-two scale is exact.
  if (big > 2 ** 500) {
    const f = 2 ** -524;
    return standardDeviation(x.map((v) => v * f)) / f;
  }
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i]!;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - mean;
    ss += d * d;
  }
  return Math.sqrt(ss / n);
}

/**
 * A large reference's standard deviation is the same for every window compared with it (a cached
 * profile's arrays are never written after decoding): kept per array, it costs one pass per
 * reference instead of one per report (~25 ms per 2 M-value feature). The same function computes
 * it, so the value is bit for bit the uncached one.
 */
const deviations = new WeakMap<Float64Array, number>();
const MEMO_MIN = 100_000;
function referenceDeviation(x: Float64Array): number {
  if (x.length < MEMO_MIN) return standardDeviation(x);
  let sd = deviations.get(x);
  if (sd === undefined) deviations.set(x, (sd = standardDeviation(x)));
  return sd;
}

export interface WassersteinResult {
  /** W₁ in the feature's units. */
  distance: number;
  /** W₁ divided by `scale`. */
  normalized: number;
  /** The reference's population standard deviation, or 1 when the reference is constant. */
  scale: number;
}

/**
 * W₁ normalised by the reference's standard deviation, so one threshold fits features of any
 * unit. A constant reference has std 0; dividing by it would give Infinity (or NaN when current
 * is identical), so we divide by 1 instead and say so through `scale`: the value then reads in the
 * feature's own units, and is 0 exactly when current equals the constant.
 */
export function normalizedWasserstein(referenceSorted: Float64Array, currentSorted: Float64Array): WassersteinResult {
  const distance = wassersteinSorted(referenceSorted, currentSorted);
  const sd = referenceDeviation(referenceSorted);
  const scale = sd > 0 ? sd : 1;
  return { distance, normalized: distance / scale, scale };
}
