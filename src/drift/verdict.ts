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

export interface FeatureSignals {
  name: string;
  /** null when the feature could not be evaluated (insufficient data). */
  psi: number | null;
  /** The feature's test p-value (KS or χ²), null when no test ran. */
  pValue: number | null;
  missingDrifted: boolean;
}

export interface VerdictOptions {
  alpha: number;
  psiThreshold: number;
  correction: Correction;
  /** Dataset drifts when drifted / evaluated ≥ this share. */
  driftShare: number;
  critical: ReadonlySet<string>;
}

export interface FeatureVerdict {
  drifted: boolean;
  adjustedPValue: number | null;
  /** Which signals fired: 'psi', 'test', 'missing'. */
  reasons: string[];
}

export interface DatasetVerdict {
  features: FeatureVerdict[];
  datasetDrift: boolean;
  driftShare: number;
  evaluated: number;
  drifted: number;
}

/**
 * Feature drifts when PSI ≥ threshold, or its adjusted p < α, or its missing rate drifted. The
 * correction counts only features that produced a p-value, so unevaluable features do not dilute
 * α. Dataset drift: drifted share of evaluated features ≥ driftShare, or any critical feature
 * drifted (a feature can be important enough to trigger on its own).
 */
export function decide(signals: readonly FeatureSignals[], options: VerdictOptions): DatasetVerdict {
  const tested = signals.map((s, i) => [s.pValue, i] as const).filter((x): x is readonly [number, number] => x[0] !== null);
  const adjustedList = adjustPValues(
    tested.map(([p]) => p),
    options.correction,
  );
  const adjusted = new Map<number, number>();
  tested.forEach(([, i], r) => adjusted.set(i, adjustedList[r]!));
  let drifted = 0;
  let evaluated = 0;
  let criticalDrift = false;
  const features = signals.map((s, i): FeatureVerdict => {
    const adj = adjusted.get(i) ?? null;
    const reasons: string[] = [];
    if (s.psi !== null && s.psi >= options.psiThreshold) reasons.push('psi');
    if (adj !== null && adj < options.alpha) reasons.push('test');
    if (s.missingDrifted) reasons.push('missing');
    const isDrifted = reasons.length > 0;
    if (s.psi !== null || s.pValue !== null || s.missingDrifted) evaluated++;
    if (isDrifted) {
      drifted++;
      if (options.critical.has(s.name)) criticalDrift = true;
    }
    return { drifted: isDrifted, adjustedPValue: adj, reasons };
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
