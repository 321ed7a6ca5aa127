import { chi2Homogeneity } from './chi2.js';
import { jensenShannonDistance, normalizedWasserstein, type WassersteinResult } from './distance.js';
import { ksTwoSampleSorted } from './ks.js';
import { missingRateDrift, type MissingResult } from './missing.js';
import {
  buildProfile,
  type CategoricalFeatureProfile,
  type Column,
  type DatasetProfile,
  type FeatureProfile,
  type FeatureType,
  type NumericFeatureProfile,
} from './profile.js';
import { categoricalPsi, DEFAULT_EPSILON, numericPsi, type CategoricalHistogram, type NumericHistogram } from './psi.js';
import { decide, type Correction, type FeatureSignals } from './verdict.js';

export type DriftMethod = 'psi' | 'ks' | 'chi2' | 'jensenShannon' | 'wasserstein';

export interface DriftOptions {
  /** Quantile bins for numeric PSI/JS (default 10). */
  bins?: number;
  /** Significance level for KS/χ² after correction, and for the missing-rate test (0.05). */
  alpha?: number;
  /** PSI at or above this flags a feature (0.2, the usual "significant shift" rule of thumb). */
  psiThreshold?: number;
  correction?: Correction;
  /** Dataset drifts when at least this share of evaluated features drifted (0.5). */
  driftShare?: number;
  /** Features whose drift alone makes the dataset drift. */
  critical?: readonly string[];
  /** Statistics to compute (default psi, ks, chi2); only psi and ks/chi2 enter the verdict. */
  methods?: readonly DriftMethod[];
  /** Replaces empty-bin proportions in PSI (1e-4). */
  epsilon?: number;
  /** Minimum missing-rate change that can flag a feature (0.05). */
  missingMinDifference?: number;
  /**
   * Non-missing values a feature needs on each side before PSI and KS/χ² are computed (30).
   * Below it the feature is `insufficient_data`, never drifted by its distribution: a PSI on one
   * row (8.3 in issue 9) says nothing. Its missing rate still counts when both sides have at
   * least this many rows, since that rate is estimated from every row.
   */
  minSamples?: number;
}

export type ResolvedDriftOptions = Required<Omit<DriftOptions, 'critical' | 'methods'>> & {
  critical: string[];
  methods: DriftMethod[];
};

export const DEFAULT_METHODS: readonly DriftMethod[] = ['psi', 'ks', 'chi2'];

export interface FeatureDriftResult {
  name: string;
  type: FeatureType;
  /**
   * insufficient_data: fewer than `minSamples` non-missing values on a side; no PSI or test ran
   * and only missingness counts.
   */
  status: 'ok' | 'insufficient_data';
  drifted: boolean;
  /** Signals that fired: 'psi', 'test' (KS or χ² after correction), 'missing'. */
  reasons: string[];
  /** Non-missing values compared on each side. */
  referenceSize: number;
  currentSize: number;
  psi: number | null;
  epsilon: number;
  ks?: { statistic: number; pValue: number; method: 'exact' | 'asymp' };
  chi2?: { statistic: number; pValue: number; dof: number };
  /** The KS/χ² p-value after the multiple-testing correction. */
  adjustedPValue: number | null;
  /** Jensen–Shannon distance, log base 2, on the PSI bins. */
  jensenShannon?: number;
  wasserstein?: WassersteinResult;
  missing: MissingResult;
  histogram: NumericHistogram | CategoricalHistogram | null;
}

export interface DriftReport {
  datasetDrift: boolean;
  /** Drifted / evaluated features (0 when none could be evaluated). */
  driftShare: number;
  evaluated: number;
  drifted: number;
  options: ResolvedDriftOptions;
  features: FeatureDriftResult[];
}

export function resolveOptions(options: DriftOptions = {}): ResolvedDriftOptions {
  const o: ResolvedDriftOptions = {
    bins: options.bins ?? 10,
    alpha: options.alpha ?? 0.05,
    psiThreshold: options.psiThreshold ?? 0.2,
    correction: options.correction ?? 'bonferroni',
    driftShare: options.driftShare ?? 0.5,
    epsilon: options.epsilon ?? DEFAULT_EPSILON,
    missingMinDifference: options.missingMinDifference ?? 0.05,
    minSamples: options.minSamples ?? 30,
    critical: [...(options.critical ?? [])],
    methods: [...(options.methods ?? DEFAULT_METHODS)],
  };
  if (!Number.isInteger(o.bins) || o.bins < 2) throw new RangeError(`bins must be an integer ≥ 2, got ${o.bins}`);
  if (!(o.alpha > 0 && o.alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${o.alpha}`);
  if (!(o.epsilon > 0 && o.epsilon < 1)) throw new RangeError(`epsilon must be in (0, 1), got ${o.epsilon}`);
  if (!(o.psiThreshold > 0)) throw new RangeError(`psiThreshold must be > 0, got ${o.psiThreshold}`);
  if (!(o.driftShare > 0 && o.driftShare <= 1)) throw new RangeError(`driftShare must be in (0, 1], got ${o.driftShare}`);
  if (!Number.isInteger(o.minSamples) || o.minSamples < 1) throw new RangeError(`minSamples must be an integer ≥ 1, got ${o.minSamples}`);
  return o;
}

function isProfile(x: unknown): x is DatasetProfile {
  return typeof x === 'object' && x !== null && (x as DatasetProfile).features instanceof Map && typeof (x as DatasetProfile).rows === 'number';
}

/**
 * Compares a current window with a reference profile, feature by feature, and gives the
 * verdicts. `current` is either a profile built the same way or raw columns, which are profiled
 * with the reference's feature types. Features only in `current` are ignored; a reference
 * feature absent from `current` counts as entirely missing there. Pure: no clock, no I/O.
 */
export function computeDrift(
  reference: DatasetProfile,
  current: DatasetProfile | Readonly<Record<string, Column>> | ReadonlyMap<string, Column>,
  options: DriftOptions = {},
): DriftReport {
  const opts = resolveOptions(options);
  const types = new Map<string, FeatureType>();
  for (const [name, f] of reference.features) types.set(name, f.kind);
  let cur: DatasetProfile;
  if (isProfile(current)) {
    cur = current;
  } else {
    const entries = current instanceof Map ? [...current.entries()] : Object.entries(current as Record<string, Column>);
    cur = buildProfile(new Map(entries.filter(([name]) => types.has(name))), types);
    if (cur.features.size === 0 && entries.length > 0) cur = { ...cur, rows: entries[0]![1].length };
  }
  const results: FeatureDriftResult[] = [];
  for (const [name, ref] of reference.features) {
    const now = cur.features.get(name) ?? absent(ref, cur.rows);
    if (now.kind !== ref.kind) throw new TypeError(`feature "${name}" is ${ref.kind} in the reference but ${now.kind} now`);
    results.push(compareFeature(name, ref, now, opts));
  }
  const signals: FeatureSignals[] = results.map((r) => ({
    name: r.name,
    psi: r.psi,
    pValue: r.ks?.pValue ?? r.chi2?.pValue ?? null,
    missingDrifted: r.missing.drifted,
  }));
  const verdict = decide(signals, {
    alpha: opts.alpha,
    psiThreshold: opts.psiThreshold,
    correction: opts.correction,
    driftShare: opts.driftShare,
    critical: new Set(opts.critical),
  });
  verdict.features.forEach((v, i) => {
    const r = results[i]!;
    r.drifted = v.drifted;
    r.reasons = v.reasons;
    r.adjustedPValue = v.adjustedPValue;
  });
  return {
    datasetDrift: verdict.datasetDrift,
    driftShare: verdict.driftShare,
    evaluated: verdict.evaluated,
    drifted: verdict.drifted,
    options: opts,
    features: results,
  };
}

function absent(ref: FeatureProfile, rows: number): FeatureProfile {
  return ref.kind === 'numeric'
    ? { kind: 'numeric', count: rows, missing: rows, values: new Float64Array(0) }
    : { kind: 'categorical', count: rows, missing: rows, counts: new Map() };
}

function compareFeature(name: string, ref: FeatureProfile, now: FeatureProfile, opts: ResolvedDriftOptions): FeatureDriftResult {
  const methods = new Set(opts.methods);
  const referenceSize = ref.count - ref.missing;
  const currentSize = now.count - now.missing;
  const result: FeatureDriftResult = {
    name,
    type: ref.kind,
    status: referenceSize >= opts.minSamples && currentSize >= opts.minSamples ? 'ok' : 'insufficient_data',
    drifted: false,
    reasons: [],
    referenceSize,
    currentSize,
    psi: null,
    epsilon: opts.epsilon,
    adjustedPValue: null,
    missing: missingRateDrift(ref.missing, ref.count, now.missing, now.count, {
      alpha: opts.alpha,
      minDifference: opts.missingMinDifference,
    }),
    histogram: null,
  };
  // A missing rate from a handful of rows is as unreliable as a PSI from a handful of values.
  if (ref.count < opts.minSamples || now.count < opts.minSamples) result.missing.drifted = false;
  if (ref.kind === 'numeric') compareNumeric(result, ref, now as NumericFeatureProfile, methods, opts);
  else compareCategorical(result, ref, now as CategoricalFeatureProfile, methods, opts);
  return result;
}

function compareNumeric(
  result: FeatureDriftResult,
  ref: NumericFeatureProfile,
  now: NumericFeatureProfile,
  methods: ReadonlySet<DriftMethod>,
  opts: ResolvedDriftOptions,
): void {
  if (ref.values.length === 0) return;
  // Binning is cheap (b binary searches per side) and gives the histogram even when current is
  // empty, so it always runs; PSI itself is only reported when both sides have data.
  const binned = numericPsi(ref.values, now.values, opts.bins, opts.epsilon);
  result.histogram = binned.histogram;
  if (result.status !== 'ok') return;
  if (methods.has('psi')) result.psi = binned.psi;
  if (methods.has('ks')) {
    const ks = ksTwoSampleSorted(ref.values, now.values);
    result.ks = { statistic: ks.statistic, pValue: ks.pValue, method: ks.method };
  }
  if (methods.has('jensenShannon')) {
    result.jensenShannon = jensenShannonDistance(binned.histogram.reference, binned.histogram.current);
  }
  if (methods.has('wasserstein')) result.wasserstein = normalizedWasserstein(ref.values, now.values);
}

function compareCategorical(
  result: FeatureDriftResult,
  ref: CategoricalFeatureProfile,
  now: CategoricalFeatureProfile,
  methods: ReadonlySet<DriftMethod>,
  opts: ResolvedDriftOptions,
): void {
  if (result.referenceSize === 0) return;
  const binned = categoricalPsi(ref.counts, now.counts, opts.epsilon);
  result.histogram = binned.histogram;
  if (result.status !== 'ok') return;
  if (methods.has('psi')) result.psi = binned.psi;
  if (methods.has('chi2')) {
    const chi2 = chi2Homogeneity(ref.counts, now.counts);
    result.chi2 = { statistic: chi2.statistic, pValue: chi2.pValue, dof: chi2.dof };
  }
  if (methods.has('jensenShannon')) {
    result.jensenShannon = jensenShannonDistance(binned.histogram.reference, binned.histogram.current);
  }
}
