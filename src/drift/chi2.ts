import { chiSquareSf } from './gamma.js';

export interface Chi2Result {
  statistic: number;
  pValue: number;
  dof: number;
  /** Columns of the 2×k table before pooling (categories with a count in either row). */
  categories: string[];
  /** Categories merged into one bucket because an expected count was below {@link MIN_EXPECTED}. */
  pooled: string[];
}

/** Cochran's (1954) rule: the χ² approximation needs every expected count ≥ 5. */
export const MIN_EXPECTED = 5;
/** Label of the bucket rare categories are pooled into. */
export const POOLED = '__pooled__';

/**
 * χ² test of homogeneity on the 2×k table whose rows are the reference and current category
 * counts (Pearson 1900), matching `scipy.stats.chi2_contingency(table)` with its defaults:
 *   Eᵢⱼ = rowᵢ · colⱼ / N,   X² = Σ (Oᵢⱼ − Eᵢⱼ)² / Eᵢⱼ,   dof = k − 1,   p = Q((k − 1)/2, X²/2),
 * with Yates' continuity correction when dof = 1: each O moves towards E by min(½, |O − E|).
 *
 * Differences from scipy, chosen so a report never fails or yields NaN:
 * - scipy raises when any expected frequency is 0; a column is 0 only when the category has no
 *   count in either row (it can come from a merged profile), so such columns are dropped first —
 *   they carry no information about homogeneity.
 * - with fewer than two columns left (a constant feature) the table has dof 0 and we return
 *   X² = 0, p = 1, as scipy does for a 2×1 table.
 * Both rows must have a positive total (the caller reports "insufficient data" otherwise).
 */
export function chi2Homogeneity(reference: ReadonlyMap<string, number>, current: ReadonlyMap<string, number>): Chi2Result {
  const categories: string[] = [];
  const keys = new Set<string>([...reference.keys(), ...current.keys()]);
  for (const k of keys) if ((reference.get(k) ?? 0) + (current.get(k) ?? 0) > 0) categories.push(k);
  categories.sort();
  const ref = categories.map((k) => reference.get(k) ?? 0);
  const cur = categories.map((k) => current.get(k) ?? 0);
  const table = poolRare(categories, ref, cur);
  const result = chi2FromCounts(table.ref, table.cur);
  return { ...result, categories, pooled: table.pooled };
}

/**
 * Pools the columns whose smaller expected count, min(n, m) · colⱼ / N, is below
 * {@link MIN_EXPECTED} into one bucket, the usual remedy (Cochran 1954; Agresti 2013 §3.2.3):
 * with rare categories and small windows X² has a heavy right tail and the test rejects far
 * more often than α (issue 17: .102 at α .05 with windows ≤ 100). While the bucket itself is
 * still below the rule, the smallest remaining column (by total, then name) joins it; the
 * table then always satisfies the rule or has shrunk to one column (dof 0, p = 1).
 * `test/fixtures/drift/gen_chi2_pooled.py` pools the same way and checks against scipy.
 */
export function poolRare(categories: readonly string[], ref: readonly number[], cur: readonly number[]): { ref: number[]; cur: number[]; pooled: string[] } {
  let refTotal = 0;
  let curTotal = 0;
  for (let j = 0; j < ref.length; j++) {
    refTotal += ref[j]!;
    curTotal += cur[j]!;
  }
  const total = refTotal + curTotal;
  const small = Math.min(refTotal, curTotal);
  const expected = (col: number): number => (small * col) / total;
  const keep: number[] = [];
  const pooled: number[] = [];
  for (let j = 0; j < ref.length; j++) (expected(ref[j]! + cur[j]!) < MIN_EXPECTED ? pooled : keep).push(j);
  if (pooled.length === 0) return { ref: [...ref], cur: [...cur], pooled: [] };
  let bucketRef = 0;
  let bucketCur = 0;
  for (const j of pooled) {
    bucketRef += ref[j]!;
    bucketCur += cur[j]!;
  }
  // Smallest first, so the bucket absorbs as little of the table as it can.
  keep.sort((a, b) => ref[a]! + cur[a]! - (ref[b]! + cur[b]!) || (categories[a]! < categories[b]! ? -1 : 1));
  while (expected(bucketRef + bucketCur) < MIN_EXPECTED && keep.length > 0) {
    const j = keep.shift()!;
    pooled.push(j);
    bucketRef += ref[j]!;
    bucketCur += cur[j]!;
  }
  keep.sort((a, b) => a - b);
  return {
    ref: [...keep.map((j) => ref[j]!), bucketRef],
    cur: [...keep.map((j) => cur[j]!), bucketCur],
    pooled: pooled.map((j) => categories[j]!).sort(),
  };
}

/** The same test on two aligned count rows (no zero-sum columns allowed). */
export function chi2FromCounts(ref: readonly number[], cur: readonly number[]): Omit<Chi2Result, 'categories' | 'pooled'> {
  const k = ref.length;
  if (cur.length !== k) throw new RangeError('χ² rows must have equal length');
  let refTotal = 0;
  let curTotal = 0;
  for (let j = 0; j < k; j++) {
    refTotal += ref[j]!;
    curTotal += cur[j]!;
  }
  if (!(refTotal > 0) || !(curTotal > 0)) throw new RangeError('χ² needs a positive total in both rows');
  const dof = k - 1;
  if (dof < 1) return { statistic: 0, pValue: 1, dof: 0 };
  const total = refTotal + curTotal;
  let statistic = 0;
  for (let j = 0; j < k; j++) {
    const col = ref[j]! + cur[j]!;
    if (!(col > 0)) throw new RangeError('χ² column with zero total');
    statistic += term(ref[j]!, (refTotal * col) / total, dof === 1);
    statistic += term(cur[j]!, (curTotal * col) / total, dof === 1);
  }
  return { statistic, pValue: chiSquareSf(statistic, dof), dof };
}

function term(observed: number, expected: number, yates: boolean): number {
  let o = observed;
  if (yates) {
    const diff = expected - o;
    // scipy: observed + sign(E − O) · min(½, |E − O|)
    o += Math.sign(diff) * Math.min(0.5, Math.abs(diff));
  }
  const d = o - expected;
  return (d * d) / expected;
}
