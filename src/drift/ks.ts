/**
 * Two-sample Kolmogorov–Smirnov test, two-sided, matching
 * `scipy.stats.ks_2samp(a, b, alternative='two-sided', method='auto')` (scipy 1.17).
 *
 * Statistic: D = sup_x |F₁(x) − F₂(x)| with both ECDFs right-continuous, i.e. the largest of
 * max(cdf₁ − cdf₂) and max(cdf₂ − cdf₁) over the pooled data, each value computed as scipy does
 * (count₁/n₁ − count₂/n₂), so D is bit-identical.
 *
 * p-value: exact when max(n₁, n₂) ≤ 10 000 (Hodges 1958, "The Significance Probability of the
 * Smirnov Two-Sample Test", Arkiv för Matematik 3(43); lattice paths from (0,0) to (m,n) that
 * leave the band |x/m − y/n| < h/lcm(m,n)), otherwise — or when the exact recursion fails — the
 * asymptotic `kstwo.sf(D, round(n₁n₂/(n₁+n₂)))` of ./kolmogorov.ts. Pure, no I/O.
 */
import { kolmognSf } from './kolmogorov.js';

export interface KsResult {
  statistic: number;
  pValue: number;
  method: 'exact' | 'asymp';
}

/** scipy's `MAX_AUTO_N`: 'auto' attempts the exact distribution up to this sample size. */
export const KS_MAX_EXACT_N = 10000;

/**
 * Two-sample KS test of `reference` against `current`.
 * Both inputs must be sorted ascending and hold finite values only (the caller drops missing
 * values); neither may be empty (RangeError). Between consecutive distinct current values cdf₂
 * is flat, so only the reference counts just below and at each current value matter; these are
 * found by a forward scan over the reference (O(n/8 + m) cache-friendly steps, galloping when
 * the gaps are large, so never worse than O(m log n)). The p-value is then O(1)–O(N) for the
 * asymptotic branch and O(n₁·n₂·D) for the exact one with n₁ ≠ n₂.
 */
export function ksTwoSampleSorted(reference: Float64Array, current: Float64Array): KsResult {
  const n1 = reference.length;
  const n2 = current.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('ksTwoSampleSorted: both samples must be non-empty');
  const d = ksStatisticSorted(reference, current);
  return ksTwoSamplePValue(d, n1, n2);
}

/**
 * D = max(maxS, minS) where maxS = max(cdf₁ − cdf₂), minS = max(cdf₂ − cdf₁) clipped to [0, 1],
 * over the pooled sample. Every candidate below is a value scipy's `cddiffs` takes (the
 * difference at a current value, or at the largest reference value below it — whose value equals
 * the previous candidate when no reference value lies strictly between), and the final pooled
 * point contributes 1 − 1 = 0.
 */
export function ksStatisticSorted(reference: Float64Array, current: Float64Array): number {
  const n1 = reference.length;
  const n2 = current.length;
  let maxD = 0;
  let minD = 0;
  let lo = 0;
  let prevC2 = 0;
  let j = 0;
  while (j < n2) {
    const v = current[j]!;
    let k = j + 1;
    while (k < n2 && current[k] === v) k++;
    const lb = lowerBound(reference, v, lo);
    const before = lb / n1 - prevC2 / n2;
    if (before > maxD) maxD = before;
    if (before < minD) minD = before;
    const ub = upperBound(reference, v, lb);
    const at = ub / n1 - k / n2;
    if (at > maxD) maxD = at;
    if (at < minD) minD = at;
    prevC2 = k;
    lo = ub;
    j = k;
  }
  const minS = Math.min(Math.max(-minD, 0), 1);
  return minS > maxD ? minS : maxD;
}

/**
 * First index i ≥ from with a[i] ≥ v, given a[from−1] < v. Scans forward one cache line
 * (8 doubles) at a time — sequential, so the hardware prefetcher hides the memory latency that
 * dominates when the reference (8 MB for 10⁶ values) is far larger than the cache — and switches
 * to galloping after 32 lines, which bounds the cost at O(log gap) for very sparse queries.
 */
function lowerBound(a: Float64Array, v: number, from: number): number {
  const n = a.length;
  let i = from;
  for (let lines = 0; i + 8 < n && a[i + 8]! < v; i += 8) {
    if (++lines === 32) return gallopLowerBound(a, v, i + 8);
  }
  while (i < n && a[i]! < v) i++;
  return i;
}

/** First index i ≥ from with a[i] ≥ v (exponential then binary search; a[from−1] < v). */
function gallopLowerBound(a: Float64Array, v: number, from: number): number {
  const n = a.length;
  if (from >= n || a[from]! >= v) return from;
  let low = from; // a[low] < v
  let step = 1;
  let high = from + 1;
  while (high < n && a[high]! < v) {
    low = high;
    step *= 2;
    high = from + step;
  }
  if (high > n) high = n;
  // a[low] < v, and high === n or a[high] >= v
  while (high - low > 1) {
    const mid = (low + high) >>> 1;
    if (a[mid]! < v) low = mid;
    else high = mid;
  }
  return high;
}

/** First index i ≥ from with a[i] > v (galloping; a[from−1] ≤ v assumed). */
function upperBound(a: Float64Array, v: number, from: number): number {
  const n = a.length;
  if (from >= n || a[from]! > v) return from;
  let low = from; // a[low] <= v
  let step = 1;
  let high = from + 1;
  while (high < n && a[high]! <= v) {
    low = high;
    step *= 2;
    high = from + step;
  }
  if (high > n) high = n;
  while (high - low > 1) {
    const mid = (low + high) >>> 1;
    if (a[mid]! <= v) low = mid;
    else high = mid;
  }
  return high;
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/** numpy's `np.round`: round half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * p-value of an observed two-sided statistic `d` for sample sizes n1, n2, with scipy's method
 * choice. In the exact branch the returned statistic is scipy's h/lcm(n1, n2) with
 * h = round(d·lcm), which removes floating-point noise from d.
 */
export function ksTwoSamplePValue(d: number, n1: number, n2: number): KsResult {
  if (!(n1 >= 1 && n2 >= 1) || !Number.isInteger(n1) || !Number.isInteger(n2)) {
    throw new RangeError(`ksTwoSamplePValue: sample sizes must be positive integers, got ${n1}, ${n2}`);
  }
  let stat = d;
  if (Math.max(n1, n2) <= KS_MAX_EXACT_N) {
    const g = gcd(n1, n2);
    const lcm = (n1 / g) * n2;
    const h = roundHalfEven(d * lcm);
    stat = h / lcm;
    if (h === 0) return { statistic: stat, pValue: 1, method: 'exact' };
    const prob = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInsideMethod(n1, n2, g, h);
    // scipy falls back to the asymptotic distribution when the result is not a probability
    if (prob >= 0 && prob <= 1) return { statistic: stat, pValue: prob, method: 'exact' };
  }
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const en = (m * n) / (m + n);
  const p = kolmognSf(roundHalfEven(en), stat);
  return { statistic: stat, pValue: Math.min(Math.max(p, 0), 1), method: 'asymp' };
}

/**
 * P(D_{n,n} ≥ h/n) for equal sizes (scipy `_compute_prob_outside_square`), by reflection:
 * 2·Σ_{k≥1} (−1)^{k+1} C(2n, n − kh)/C(2n, n), evaluated Horner-like as
 * 2·A₁(1 − A₂(1 − A₃(…))) with A_k = Π_{j<h} (n − kh − j)/(n + kh + j + 1)·… to avoid
 * subtractive cancellation.
 */
function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  let k = Math.floor(n / h);
  while (k >= 0) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
    k -= 1;
  }
  return 2 * P;
}

/**
 * 1 − P(all lattice paths stay strictly inside |n·x/g − m·y/g| < h) for m ≠ n (scipy
 * `_compute_outer_prob_inside_method`), Hodges' inside method with the recursion rewritten to
 * carry the complement directly (Viehmann 2021, arXiv:2102.08037): one sliding column of
 * A(x, y)/C(x+y, y) is kept, A(i, j) = (i·A(i−1, j) + j·A(i, j−1))/(i + j).
 */
function outerProbInsideMethod(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = Math.floor(m / g);
  const ng = Math.floor(n / g);
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.max(Math.floor((ng * i - h) / mg) + 1, 0);
    minj = Math.min(minj, n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1.0;
    let val = minj === 0 ? 0 : 1;
    const shift = minj - lastminj;
    const len = maxj - minj;
    for (let jj = 0; jj < len; jj++) {
      const j = jj + minj;
      val = (A[jj + shift]! * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = len;
    if (lastlen > curlen) A.fill(1, len, len + (lastlen - curlen));
  }
  return A[maxj - minj - 1]!;
}
