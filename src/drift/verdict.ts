import { chiSquareQuantile } from './gamma.js';

export type Correction = 'bonferroni' | 'bh' | 'none';

/**
 * Multiple-testing adjusted p-values, in the input order.
 * - bonferroni: min(1, k·p) (Bonferroni 1936; Dunn 1961). Controls the family-wise error rate:
 *   with k null features the chance that any is flagged is ≤ α.
 * - bh: Benjamini & Hochberg (1995) step-up, as `statsmodels.stats.multitest.multipletests(…,
 *   method='fdr_bh')`: with p₍₁₎ ≤ … ≤ p₍ₖ₎, adj₍ᵢ₎ = min_{j ≥ i} min(1, k·p₍ⱼ₎ / j). Controls the
 *   false discovery rate instead, so more power when many features really drift.
 * - none: the p-values unchanged.
 */
export function adjustPValues(pValues: readonly number[], correction: Correction): number[] {
  const k = pValues.length;
  switch (correction) {
    case 'none':
      return [...pValues];
    case 'bonferroni':
      return pValues.map((p) => Math.min(1, p * k));
    case 'bh': {
      const order = pValues.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
      const adjusted = new Array<number>(k);
      let running = 1;
      for (let r = k - 1; r >= 0; r--) {
        const [p, i] = order[r]!;
        // p / (rank / k), the order of operations statsmodels uses, so results agree to the ulp.
        running = Math.min(running, p / ((r + 1) / k));
        adjusted[i] = Math.min(1, running);
      }
      return adjusted;
    }
    default: {
      const never: never = correction;
      throw new RangeError(`unknown correction ${String(never)}`);
    }
  }
}

/**
 * How α is split between the three ways a feature can drift. Each path is a family of k
 * corrected decisions, and a null window alarms when any path fires, so by the union bound the
 * chance of any alarm on null data is ≤ (0.8 + 0.1 + 0.1) α = α (with Bonferroni). Spending all
 * of α on the test alone measured 5–7 % any-feature alarms at α = 5 % (bench:verdicts).
 */
export const ALPHA_SHARES = { test: 0.8, psi: 0.1, missing: 0.1 } as const;
export const PSI_ALPHA_SHARE = ALPHA_SHARES.psi;

/** α · share, computed as (α · 10 share) / 10 so that 0.05 · 0.8 prints as 0.04, not 0.04000000000000001. */
export function levelOf(alpha: number, share: number): number {
  return (alpha * Math.round(share * 10)) / 10;
}

/**
 * The smallest effective sample size at which PSI ≥ `threshold` is no longer sampling noise.
 * Under H0, with 1/n_eff = 1/n + 1/m, n_eff · PSI is approximately χ²(B − 1) (PSI is the
 * symmetrised KL divergence, whose second-order expansion is Pearson's X² / n_eff; Yurdakul 2018,
 * "Statistical properties of the population stability index"). PSI alone may flag only when the
 * (1 − a) quantile of that null, divided by n_eff, is below the threshold:
 *   n_eff ≥ χ²₍B−1₎⁻¹(1 − a) / threshold,   a = α · PSI_ALPHA_SHARE / k.
 */
export function psiMinEffectiveSize(bins: number, threshold: number, alpha: number, tests: number): number {
  const a = levelOf(alpha, PSI_ALPHA_SHARE) / Math.max(1, tests);
  return Math.ceil(chiSquareQuantile(1 - a, Math.max(1, bins - 1)) / threshold);
}

/** Effective size of a two-sample comparison: 1/n_eff = 1/n + 1/m. */
export function effectiveSize(n: number, m: number): number {
  return n > 0 && m > 0 ? (n * m) / (n + m) : 0;
}

export interface EffectFloors {
  /** Normalised W₁ (W₁ / σ_ref) a numeric feature must reach, beside a significant KS. */
  wasserstein: number;
  /** Jensen–Shannon distance (base 2) a categorical feature must reach, beside a significant χ². */
  jensenShannon: number;
}

/** The rule one feature is judged by (global settings with its own overrides applied). */
export interface FeatureRule {
  alpha: number;
  psiThreshold: number;
  floors: EffectFloors;
  critical: boolean;
}

export interface FeatureSignals {
  name: string;
  kind: 'numeric' | 'categorical';
  /** null when PSI was not computed (method off, insufficient data). */
  psi: number | null;
  /** Bins PSI was computed over (those non-empty on either side). */
  psiBins: number;
  effectiveSize: number;
  /** The feature's test p-value (KS or χ²), null when no test ran. */
  pValue: number | null;
  /** Normalised W₁ (numeric) or JS distance (categorical), null when not computed. */
  effect: number | null;
  /** Missing-rate test, null when its sides are too small to test. */
  missing: { pValue: number; difference: number; minDifference: number } | null;
  rule: FeatureRule;
}

export interface VerdictOptions {
  correction: Correction;
  /** Dataset drifts when drifted / evaluated ≥ this share. */
  driftShare: number;
}

export interface FeatureVerdict {
  drifted: boolean;
  adjustedPValue: number | null;
  missingAdjustedPValue: number | null;
  /** 'test+wasserstein' | 'test+jensenShannon' | 'test+psi' | 'psi' | 'missing'. */
  reasons: string[];
  /** What the verdict compared against, so a report explains itself. */
  rule: {
    alpha: number;
    /** The corrected test p must be below this (α · ALPHA_SHARES.test). */
    testLevel: number;
    floor: { name: 'wasserstein' | 'jensenShannon'; value: number };
    psiThreshold: number;
    /** PSI alone flags only from this effective size up (null: PSI not computed). */
    psiMinEffectiveSize: number | null;
    effectiveSize: number;
  };
}

export interface DatasetVerdict {
  features: FeatureVerdict[];
  datasetDrift: boolean;
  driftShare: number;
  evaluated: number;
  drifted: number;
}

function adjustedBy(values: readonly (number | null)[], correction: Correction): (number | null)[] {
  const idx = values.map((p, i) => [p, i] as const).filter((x): x is readonly [number, number] => x[0] !== null);
  const adj = adjustPValues(
    idx.map(([p]) => p),
    correction,
  );
  const out = values.map(() => null as number | null);
  idx.forEach(([, i], r) => {
    out[i] = adj[r]!;
  });
  return out;
}

/**
 * A feature drifts when (α split by {@link ALPHA_SHARES})
 * - its corrected test p < 0.8 α **and** an effect size passes its floor: normalised W₁ (numeric) or
 *   JS distance (categorical) ≥ floor → `test+wasserstein` / `test+jensenShannon`, or PSI ≥ its
 *   threshold → `test+psi`; a tiny but significant shift in a huge window is not drift;
 * - or PSI ≥ threshold on its own (`psi`), but only where n_eff ≥ {@link psiMinEffectiveSize}:
 *   at small n PSI ≥ 0.2 is sampling noise;
 * - or its missing rate moved by ≥ minDifference with a corrected z-test p < 0.1 α (`missing`).
 * The corrections count only features that produced a p-value (tests and missing-rate tests are
 * corrected as two families), so unevaluable features do not dilute α. Dataset drift: drifted
 * share of evaluated features ≥ driftShare, or any critical feature drifted.
 */
export function decide(signals: readonly FeatureSignals[], options: VerdictOptions): DatasetVerdict {
  const adjusted = adjustedBy(
    signals.map((s) => s.pValue),
    options.correction,
  );
  const missingAdjusted = adjustedBy(
    signals.map((s) => s.missing?.pValue ?? null),
    options.correction,
  );
  const psiFamily = signals.filter((s) => s.psi !== null).length;
  let drifted = 0;
  let evaluated = 0;
  let criticalDrift = false;
  const features = signals.map((s, i): FeatureVerdict => {
    const adj = adjusted[i]!;
    const missAdj = missingAdjusted[i]!;
    const { rule } = s;
    const floorName = s.kind === 'numeric' ? 'wasserstein' : 'jensenShannon';
    const floor = rule.floors[floorName];
    const psiMin = s.psi !== null ? psiMinEffectiveSize(s.psiBins, rule.psiThreshold, rule.alpha, psiFamily) : null;
    const reasons: string[] = [];
    const significant = adj !== null && adj < levelOf(rule.alpha, ALPHA_SHARES.test);
    const psiLarge = s.psi !== null && s.psi >= rule.psiThreshold;
    if (significant && s.effect !== null && s.effect >= floor) reasons.push(`test+${floorName}`);
    else if (significant && psiLarge) reasons.push('test+psi');
    if (psiLarge && psiMin !== null && s.effectiveSize >= psiMin && !reasons.includes('test+psi')) reasons.push('psi');
    if (s.missing && missAdj !== null && missAdj < levelOf(rule.alpha, ALPHA_SHARES.missing) && Math.abs(s.missing.difference) >= s.missing.minDifference)
      reasons.push('missing');
    const isDrifted = reasons.length > 0;
    if (s.psi !== null || s.pValue !== null || s.missing !== null) evaluated++;
    if (isDrifted) {
      drifted++;
      if (rule.critical) criticalDrift = true;
    }
    return {
      drifted: isDrifted,
      adjustedPValue: adj,
      missingAdjustedPValue: missAdj,
      reasons,
      rule: {
        alpha: rule.alpha,
        testLevel: levelOf(rule.alpha, ALPHA_SHARES.test),
        floor: { name: floorName, value: floor },
        psiThreshold: rule.psiThreshold,
        psiMinEffectiveSize: psiMin,
        effectiveSize: s.effectiveSize,
      },
    };
  });
  const share = evaluated > 0 ? drifted / evaluated : 0;
  return {
    features,
    datasetDrift: criticalDrift || (evaluated > 0 && share >= options.driftShare),
    driftShare: share,
    evaluated,
    drifted,
  };
}
