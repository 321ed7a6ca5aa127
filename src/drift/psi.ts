import { binCountsSorted, proportions, quantileEdges } from './binning.js';

/** Default ε replacing empty-bin proportions; reported alongside every PSI. */
export const DEFAULT_EPSILON = 1e-4;
/** Label of the categorical bucket that collects categories never seen in the reference. */
export const UNSEEN = '__unseen__';

/**
 * Population Stability Index over matching proportion vectors:
 *   PSI = Σᵢ (cᵢ − rᵢ) · ln(cᵢ / rᵢ)
 * (Siddiqi, "Credit Risk Scorecards", 2006, ch. 8; Yurdakul 2018 for its link to the symmetrised
 * Kullback–Leibler divergence). A proportion of exactly 0 is replaced by ε first, without
 * renormalising, which is what keeps ln finite and matches common practice. Every term is ≥ 0,
 * so PSI ≥ 0, and PSI(x, x) = 0 exactly.
 */
export function psiFromProportions(reference: readonly number[], current: readonly number[], epsilon = DEFAULT_EPSILON): number {
  if (reference.length !== current.length) throw new RangeError('PSI needs proportion vectors of equal length');
  if (!(epsilon > 0)) throw new RangeError(`epsilon must be > 0, got ${epsilon}`);
  let psi = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i]! === 0 ? epsilon : reference[i]!;
    const c = current[i]! === 0 ? epsilon : current[i]!;
    psi += (c - r) * Math.log(c / r);
  }
  return psi;
}

export interface NumericHistogram {
  kind: 'numeric';
  /** Inner bin edges; bin i is (eᵢ₋₁, eᵢ], the end bins are open. */
  edges: number[];
  reference: number[];
  current: number[];
}

export interface CategoricalHistogram {
  kind: 'categorical';
  /** Reference categories (most frequent first), then always the {@link UNSEEN} bucket last. */
  categories: string[];
  reference: number[];
  current: number[];
}

export interface PsiResult<H> {
  psi: number;
  epsilon: number;
  histogram: H;
}

/**
 * Numeric PSI: edges are the reference's quantiles at i/b (see {@link quantileEdges}); both
 * samples must be sorted, finite and non-empty.
 */
export function numericPsi(
  referenceSorted: Float64Array,
  currentSorted: Float64Array,
  bins = 10,
  epsilon = DEFAULT_EPSILON,
  edges: Float64Array = quantileEdges(referenceSorted, bins),
): PsiResult<NumericHistogram> {
  const reference = proportions(binCountsSorted(referenceSorted, edges));
  const current = proportions(binCountsSorted(currentSorted, edges));
  return {
    psi: psiFromProportions(reference, current, epsilon),
    epsilon,
    histogram: { kind: 'numeric', edges: Array.from(edges), reference, current },
  };
}

/**
 * Orders reference categories for the histogram: by count descending, then by name, so reports
 * are deterministic whatever order the data arrived in.
 */
export function orderedCategories(counts: ReadonlyMap<string, number>): string[] {
  return [...counts.entries()]
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k]) => k);
}

/**
 * Categorical PSI over the reference categories plus one {@link UNSEEN} bucket collecting every
 * current category absent from the reference (its reference proportion is 0, hence ε). A
 * category present in the reference but absent now contributes through its current ε.
 */
export function categoricalPsi(
  referenceCounts: ReadonlyMap<string, number>,
  currentCounts: ReadonlyMap<string, number>,
  epsilon = DEFAULT_EPSILON,
): PsiResult<CategoricalHistogram> {
  const categories = orderedCategories(referenceCounts);
  const refCounts = categories.map((c) => referenceCounts.get(c) ?? 0);
  refCounts.push(0);
  const curCounts = categories.map((c) => currentCounts.get(c) ?? 0);
  let unseen = 0;
  for (const [k, n] of currentCounts) if (!((referenceCounts.get(k) ?? 0) > 0)) unseen += n;
  curCounts.push(unseen);
  const reference = proportions(refCounts);
  const current = proportions(curCounts);
  return {
    psi: psiFromProportions(reference, current, epsilon),
    epsilon,
    histogram: { kind: 'categorical', categories: [...categories, UNSEEN], reference, current },
  };
}
