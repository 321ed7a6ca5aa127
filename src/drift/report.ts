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
import { featureMethods, featureRule, ignoredBecause, resolveOptions, type DriftMethod, type DriftOptions, type ResolvedDriftOptions } from './options.js';
import { categoricalPsi, numericPsi, type CategoricalHistogram, type NumericHistogram } from './psi.js';
import { decide, effectiveSize, type FeatureSignals, type FeatureVerdict } from './verdict.js';

export { DEFAULT_METHODS, resolveOptions, type DriftMethod, type DriftOptions, type ResolvedDriftOptions } from './options.js';

export interface FeatureDriftResult {
  name: string;
  type: FeatureType;
  /**
   * insufficient_data: fewer than `minSamples` non-missing values on a side; no PSI or test ran
   * and only missingness counts.
   */
  status: 'ok' | 'insufficient_data';
  drifted: boolean;
  /** Rules that fired: 'test+wasserstein', 'test+jensenShannon', 'test+psi', 'psi', 'missing'. */
  reasons: string[];
  /** The thresholds this feature was judged by (floor, α, PSI threshold, PSI's minimum n_eff). */
  rule: FeatureVerdict['rule'];
  /** Non-missing values compared on each side (the reference's sample size when it is sampled). */
  referenceSize: number;
  currentSize: number;
  /** Present when the reference keeps a seeded uniform sample (REFERENCE_MAX_VALUES): its size and the values it stands for. */
  referenceSample?: { size: number; population: number };
  psi: number | null;
  epsilon: number;
  ks?: { statistic: number; pValue: number; method: 'exact' | 'asymp' };
  /** `pooled`: categories merged into one bucket because an expected count was below 5. */
  chi2?: { statistic: number; pValue: number; dof: number; pooled: string[] };
  /** The KS/χ² p-value after the multiple-testing correction. */
  adjustedPValue: number | null;
  /** Jensen–Shannon distance, log base 2, on the PSI bins (categorical: always, it is the floor). */
  jensenShannon?: number;
  /** Normalised W₁ (numeric: always, it is the floor). */
  wasserstein?: WassersteinResult;
  missing: MissingResult & { adjustedPValue: number | null };
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
  /** Reference features not compared: ids and timestamps (by role) and those set to ignore. */
  ignored: { name: string; reason: 'id' | 'timestamp' | 'ignore' }[];
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
  const ignored: DriftReport['ignored'] = [];
  const testable = new Map<FeatureDriftResult, boolean>();
  for (const [name, ref] of reference.features) {
    const because = ignoredBecause(opts, name);
    if (because) {
      ignored.push({ name, reason: because });
      continue;
    }
    const now = cur.features.get(name) ?? absent(ref, cur.rows);
    if (now.kind !== ref.kind) throw new TypeError(`feature "${name}" is ${ref.kind} in the reference but ${now.kind} now`);
    const result = compareFeature(name, ref, now, opts);
    // A missing rate from a handful of rows is as unreliable as a PSI from a handful of values.
    testable.set(result, ref.count >= opts.minSamples && now.count >= opts.minSamples);
    results.push(result);
  }
  const signals: FeatureSignals[] = results.map((r) => ({
    name: r.name,
    kind: r.type,
    psi: r.psi,
    psiBins: r.histogram ? r.histogram.reference.filter((p, i) => p > 0 || r.histogram!.current[i]! > 0).length : 0,
    effectiveSize: effectiveSize(r.referenceSize, r.currentSize),
    pValue: r.ks?.pValue ?? r.chi2?.pValue ?? null,
    effect: r.status !== 'ok' ? null : r.type === 'numeric' ? (r.wasserstein?.normalized ?? null) : (r.jensenShannon ?? null),
    missing: testable.get(r) ? { pValue: r.missing.pValue, difference: r.missing.difference, minDifference: opts.missingMinDifference } : null,
    rule: featureRule(opts, r.name),
  }));
  const verdict = decide(signals, { correction: opts.correction, driftShare: opts.driftShare });
  verdict.features.forEach((v, i) => {
    const r = results[i]!;
    r.drifted = v.drifted;
    r.reasons = v.reasons;
    r.rule = v.rule;
    r.adjustedPValue = v.adjustedPValue;
    r.missing.adjustedPValue = v.missingAdjustedPValue;
    r.missing.drifted = v.reasons.includes('missing');
  });
  return {
    datasetDrift: verdict.datasetDrift,
    driftShare: verdict.driftShare,
    evaluated: verdict.evaluated,
    drifted: verdict.drifted,
    options: opts,
    features: results,
    ignored,
  };
}

function absent(ref: FeatureProfile, rows: number): FeatureProfile {
  return ref.kind === 'numeric'
    ? { kind: 'numeric', count: rows, missing: rows, values: new Float64Array(0) }
    : { kind: 'categorical', count: rows, missing: rows, counts: new Map() };
}

function compareFeature(name: string, ref: FeatureProfile, now: FeatureProfile, opts: ResolvedDriftOptions): FeatureDriftResult {
  const methods = featureMethods(opts, name);
  // A sampled reference is compared through its sample: every statistic, PSI's noise included, sees that many values.
  const referenceSize = ref.kind === 'numeric' ? ref.values.length : ref.count - ref.missing;
  const currentSize = now.count - now.missing;
  const result: FeatureDriftResult = {
    name,
    type: ref.kind,
    status: referenceSize >= opts.minSamples && currentSize >= opts.minSamples ? 'ok' : 'insufficient_data',
    drifted: false,
    reasons: [],
    rule: {
      alpha: opts.alpha,
      testLevel: opts.alpha,
      floor: { name: 'wasserstein', value: 0 },
      psiThreshold: opts.psiThreshold,
      psiMinEffectiveSize: null,
      effectiveSize: 0,
    },
    referenceSize,
    currentSize,
    ...(referenceSize < ref.count - ref.missing ? { referenceSample: { size: referenceSize, population: ref.count - ref.missing } } : {}),
    psi: null,
    epsilon: opts.epsilon,
    adjustedPValue: null,
    missing: {
      ...missingRateDrift(ref.missing, ref.count, now.missing, now.count, { alpha: opts.alpha, minDifference: opts.missingMinDifference }),
      adjustedPValue: null,
    },
    histogram: null,
  };
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
  // Always: W₁/σ is the effect floor a significant KS must pass (one linear merge).
  result.wasserstein = normalizedWasserstein(ref.values, now.values);
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
    result.chi2 = { statistic: chi2.statistic, pValue: chi2.pValue, dof: chi2.dof, pooled: chi2.pooled };
  }
  // Always: JS distance is the effect floor a significant χ² must pass.
  result.jensenShannon = jensenShannonDistance(binned.histogram.reference, binned.histogram.current);
}
