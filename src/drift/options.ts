import { DEFAULT_EPSILON } from './psi.js';
import type { Correction, EffectFloors, FeatureRule } from './verdict.js';

export type DriftMethod = 'psi' | 'ks' | 'chi2' | 'jensenShannon' | 'wasserstein';
/** What a column is: only `feature` columns are compared; ids and timestamps differ by design. */
export type FeatureRole = 'feature' | 'id' | 'timestamp';

/** One feature's overrides of the global settings. */
export interface FeatureSettings {
  methods?: readonly DriftMethod[];
  alpha?: number;
  psiThreshold?: number;
  floors?: Partial<EffectFloors>;
  /** Its drift alone makes the dataset drift. */
  critical?: boolean;
  /** Not compared at all (listed under `ignored` in the report). */
  ignore?: boolean;
}

export interface DriftOptions {
  /** Quantile bins for numeric PSI/JS (default 10). */
  bins?: number;
  /** Significance level for KS/χ² after correction, and for the missing-rate test (0.05). */
  alpha?: number;
  /** PSI at or above this is a large shift (0.2, the usual rule of thumb); see verdict.ts for when it counts. */
  psiThreshold?: number;
  correction?: Correction;
  /** Dataset drifts when at least this share of evaluated features drifted (0.5). */
  driftShare?: number;
  /** Features whose drift alone makes the dataset drift. */
  critical?: readonly string[];
  /** Statistics to compute (default psi, ks, chi2). W₁ and JS are always computed: they are the effect floors. */
  methods?: readonly DriftMethod[];
  /** Effect-size floors a significant test must be accompanied by (see {@link DEFAULT_FLOORS}). */
  floors?: Partial<EffectFloors>;
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
  /** Per-feature overrides, by feature name. */
  features?: Readonly<Record<string, FeatureSettings>>;
  /** Features not compared. */
  ignore?: readonly string[];
  /** Column roles; `id` and `timestamp` columns are never compared. */
  roles?: Readonly<Record<string, FeatureRole>>;
}

export type ResolvedDriftOptions = Required<Omit<DriftOptions, 'critical' | 'methods' | 'floors' | 'features' | 'ignore' | 'roles'>> & {
  critical: string[];
  methods: DriftMethod[];
  floors: EffectFloors;
  features: Record<string, FeatureSettings>;
  ignore: string[];
  roles: Record<string, FeatureRole>;
};

export const DEFAULT_METHODS: readonly DriftMethod[] = ['psi', 'ks', 'chi2'];

/**
 * Effect floors. A 0.05 σ change of location (W₁/σ) or a JS distance of 0.05 is the smallest we
 * call drift: a 0.01 σ shift in 100 k-row windows (significant, irrelevant) stays below it,
 * while a 0.1 σ shift at 1 000 rows (W₁/σ ≈ 0.1, noise ≈ 0.03) clears it whenever KS is
 * significant. Evidently uses 0.1 for both, which misses half of those 0.1 σ shifts.
 * docs/drift-semantics.md has the table behind these numbers.
 */
export const DEFAULT_FLOORS: EffectFloors = { wasserstein: 0.05, jensenShannon: 0.05 };

function checkRule(where: string, alpha: number, psiThreshold: number, floors: EffectFloors): void {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`${where}alpha must be in (0, 1), got ${alpha}`);
  if (!(psiThreshold > 0)) throw new RangeError(`${where}psiThreshold must be > 0, got ${psiThreshold}`);
  for (const [k, v] of Object.entries(floors)) if (!(v >= 0)) throw new RangeError(`${where}floors.${k} must be ≥ 0, got ${v}`);
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
    floors: { ...DEFAULT_FLOORS, ...definedOnly(options.floors) },
    features: { ...(options.features ?? {}) },
    ignore: [...(options.ignore ?? [])],
    roles: { ...(options.roles ?? {}) },
  };
  if (!Number.isInteger(o.bins) || o.bins < 2) throw new RangeError(`bins must be an integer ≥ 2, got ${o.bins}`);
  checkRule('', o.alpha, o.psiThreshold, o.floors);
  if (!(o.epsilon > 0 && o.epsilon < 1)) throw new RangeError(`epsilon must be in (0, 1), got ${o.epsilon}`);
  if (!(o.driftShare > 0 && o.driftShare <= 1)) throw new RangeError(`driftShare must be in (0, 1], got ${o.driftShare}`);
  if (!Number.isInteger(o.minSamples) || o.minSamples < 1) throw new RangeError(`minSamples must be an integer ≥ 1, got ${o.minSamples}`);
  for (const name of Object.keys(o.features)) {
    const r = featureRule(o, name);
    checkRule(`features.${name}.`, r.alpha, r.psiThreshold, r.floors);
  }
  return o;
}

function definedOnly<T extends object>(x: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(x ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The rule for one feature: the global settings with its overrides. */
export function featureRule(o: ResolvedDriftOptions, name: string): FeatureRule {
  const f = Object.hasOwn(o.features, name) ? o.features[name]! : {};
  return {
    alpha: f.alpha ?? o.alpha,
    psiThreshold: f.psiThreshold ?? o.psiThreshold,
    floors: { ...o.floors, ...definedOnly(f.floors) },
    critical: f.critical ?? o.critical.includes(name),
  };
}

export function featureMethods(o: ResolvedDriftOptions, name: string): ReadonlySet<DriftMethod> {
  const f = Object.hasOwn(o.features, name) ? o.features[name] : undefined;
  return new Set(f?.methods ?? o.methods);
}

/** Why a feature is not compared, or null when it is. */
export function ignoredBecause(o: ResolvedDriftOptions, name: string): 'id' | 'timestamp' | 'ignore' | null {
  const role = Object.hasOwn(o.roles, name) ? o.roles[name] : undefined;
  if (role === 'id' || role === 'timestamp') return role;
  if (o.ignore.includes(name)) return 'ignore';
  if (Object.hasOwn(o.features, name) && o.features[name]!.ignore) return 'ignore';
  return null;
}
