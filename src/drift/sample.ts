import { type FeatureProfile, mergeFeature, mergeSorted, type NumericFeatureProfile } from './profile.js';
import { sfc32 } from './sfc32.js';

/**
 * Bounded numeric references: past `cap` values per feature a reference keeps a seeded uniform
 * sample of its non-missing values (sorted, like an exact profile). A sampled feature is one whose
 * `values.length` is below `count − missing`; `count` and `missing` stay exact, so the missing
 * rate is never sampled, and categorical features (counts) are never sampled at all.
 *
 * Merging two parts (reference chunks arriving one by one) keeps the sample uniform over every
 * value seen, by the standard weighted merge of two uniform samples:
 *  1. The merged size is k = min(cap, nA + nB), and never more than a part's own sample when that
 *     part is sampled already (a raised cap does not grow an old sample).
 *  2. How many of the k come from A is drawn from the hypergeometric distribution
 *     Hypergeom(N = nA + nB, K = nA, k) — the law of "how many of a uniform k-subset of A ∪ B lie
 *     in A" — by k sequential draws without replacement.
 *  3. That many values are taken from A's sample, and the rest from B's, each by Knuth's
 *     selection sampling (Algorithm S, TAOCP vol. 2 §3.4.2): one pass over the sorted sample,
 *     keeping each value with probability (still needed)/(still left), so the subset comes out
 *     sorted and uniform. A uniform subset of a uniform sample is a uniform sample of the
 *     population; two independent ones of the right sizes make a uniform k-subset of A ∪ B.
 * The random stream is seeded from the feature name and the four sizes, so the same chunks in the
 * same order give the same profile, bit for bit (and the same stored sha256).
 */

/** Values per feature a reference keeps exactly by default (REFERENCE_MAX_VALUES). */
export const DEFAULT_REFERENCE_MAX_VALUES = 1_000_000;

/** True when a numeric feature keeps a sample rather than every value. */
export function isSampled(f: FeatureProfile): f is NumericFeatureProfile {
  return f.kind === 'numeric' && f.values.length < f.count - f.missing;
}

/**
 * Merge of two feature parts with numeric values capped at `cap` (0 or Infinity: no cap). Equal
 * to {@link mergeFeature} whenever the result fits under the cap and neither part is sampled.
 */
export function mergeFeatureCapped(name: string, a: FeatureProfile, b: FeatureProfile, cap: number): FeatureProfile {
  if (a.kind !== 'numeric' || b.kind !== 'numeric' || !(cap > 0)) return mergeFeature(name, a, b);
  const nA = a.count - a.missing;
  const nB = b.count - b.missing;
  const sA = a.values.length;
  const sB = b.values.length;
  if (sA === nA && sB === nB && nA + nB <= cap) return mergeFeature(name, a, b);
  let k = Math.min(cap, nA + nB);
  if (sA < nA) k = Math.min(k, sA);
  if (sB < nB) k = Math.min(k, sB);
  const rng = seededRandom(`${name}\u0000${nA}\u0000${nB}\u0000${sA}\u0000${sB}`);
  const total = nA + nB;
  let fromA = 0;
  for (let i = 0; i < k; i++) if (rng() * (total - i) < nA - fromA) fromA++;
  const values = mergeSorted(selectSorted(a.values, fromA, rng), selectSorted(b.values, k - fromA, rng));
  return { kind: 'numeric', count: a.count + b.count, missing: a.missing + b.missing, values };
}

/** A feature profile cut to the cap (a whole reference built at once, or a first chunk). */
export function capFeature(name: string, f: FeatureProfile, cap: number): FeatureProfile {
  if (f.kind !== 'numeric' || !(cap > 0) || f.values.length <= cap) return f;
  return mergeFeatureCapped(name, { kind: 'numeric', count: 0, missing: 0, values: new Float64Array(0) }, f, cap);
}

/** Knuth's Algorithm S: `m` of the ascending `values`, uniformly, still ascending. */
export function selectSorted(values: Float64Array, m: number, rng: () => number): Float64Array {
  const n = values.length;
  if (m >= n) return values;
  const out = new Float64Array(m);
  let kept = 0;
  for (let i = 0; i < n && kept < m; i++) {
    if (rng() * (n - i) < m - kept) out[kept++] = values[i]!;
  }
  return out;
}

/**
 * Deterministic uniform doubles in [0, 1), multiples of 2⁻³²: sfc32 (Chris Doty-Humphrey's small
 * fast counting generator, PractRand-clean) seeded by the FNV-1a hash of `seed`. 32 bits are
 * plenty for the draws here — each compares u·(left) with (needed), and a 2⁻³² grid shifts such
 * a probability by less than 2⁻³² — and halve the cost of the millions of draws a capped merge makes.
 */
export function seededRandom(seed: string): () => number {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193);
  const next = sfc32(h >>> 0, 0x9e3779b9, 0x243f6a88, 1);
  return () => next() * 2.3283064365386963e-10;
}
