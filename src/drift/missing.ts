import { normalTwoSidedP } from './gamma.js';

export interface MissingResult {
  referenceRate: number;
  currentRate: number;
  /** currentRate − referenceRate. */
  difference: number;
  z: number;
  pValue: number;
  drifted: boolean;
}

export interface MissingOptions {
  alpha?: number;
  /** Minimum |difference| in rates for a flag; a significant but tiny change is not actionable. */
  minDifference?: number;
}

/**
 * Missing-rate drift by the pooled two-proportion z-test (e.g. Agresti, "Categorical Data
 * Analysis", 3rd ed., §3.1.3; `statsmodels.stats.proportion.proportions_ztest` with its default
 * pooled variance):
 *   p̂ = (m₁ + m₂) / (n₁ + n₂),   z = (p₂ − p₁) / √(p̂ (1 − p̂) (1/n₁ + 1/n₂)),   p = 2(1 − Φ(|z|)).
 * Flagged when p < α and |p₂ − p₁| ≥ minDifference (0.05 by default), because with large windows
 * the test alone flags changes far too small to matter.
 * When both rates are 0 or both are 1 the pooled variance is 0: the rates are then equal, so
 * z = 0 and p = 1 instead of 0/0. An empty side (n = 0) gives rate 0 and no flag.
 */
export function missingRateDrift(
  referenceMissing: number,
  referenceCount: number,
  currentMissing: number,
  currentCount: number,
  options: MissingOptions = {},
): MissingResult {
  const alpha = options.alpha ?? 0.05;
  const minDifference = options.minDifference ?? 0.05;
  const referenceRate = referenceCount > 0 ? referenceMissing / referenceCount : 0;
  const currentRate = currentCount > 0 ? currentMissing / currentCount : 0;
  const difference = currentRate - referenceRate;
  let z = 0;
  let pValue = 1;
  if (referenceCount > 0 && currentCount > 0) {
    const pooled = (referenceMissing + currentMissing) / (referenceCount + currentCount);
    const variance = pooled * (1 - pooled) * (1 / referenceCount + 1 / currentCount);
    if (variance > 0) {
      z = difference / Math.sqrt(variance);
      pValue = normalTwoSidedP(z);
    }
  }
  const drifted = pValue < alpha && Math.abs(difference) >= minDifference;
  return { referenceRate, currentRate, difference, z, pValue, drifted };
}
