import type { PromoteConfig } from './retrain.schemas.js';

export const CHALLENGER_ALIAS = 'challenger';

export type PromotionDecision = { alias: string; promoted: boolean; reason: string };

/**
 * Whether a retrained candidate takes the promote alias. PURE.
 * mode `max`: promoted when candidate − holder ≥ minImprovement and candidate > holder;
 * mode `min`: promoted when holder − candidate ≥ minImprovement and candidate < holder.
 * A candidate beats nobody with a tie. Without a holder it takes the alias (nothing to beat); a
 * candidate or holder without the metric is not compared — the candidate becomes the challenger.
 */
export function decidePromotion(
  promote: PromoteConfig,
  candidate: { version: number; value: number | undefined },
  holder: { version: number; value: number | undefined } | undefined,
): PromotionDecision {
  const { alias, metric, mode, minImprovement } = promote;
  const challenger = (reason: string): PromotionDecision => ({ alias: CHALLENGER_ALIAS, promoted: false, reason });
  if (candidate.value === undefined || !Number.isFinite(candidate.value)) return challenger(`v${candidate.version} has no "${metric}" metric`);
  if (!holder) return { alias, promoted: true, reason: `no version holds "${alias}"` };
  if (holder.value === undefined || !Number.isFinite(holder.value))
    return challenger(`"${alias}" v${holder.version} has no "${metric}" metric to compare with`);
  const gain = mode === 'max' ? candidate.value - holder.value : holder.value - candidate.value;
  const vs = `${metric} ${candidate.value} vs ${holder.value} (v${holder.version}, ${mode}, minImprovement ${minImprovement})`;
  return gain > 0 && gain >= minImprovement ? { alias, promoted: true, reason: `better: ${vs}` } : challenger(`not better: ${vs}`);
}
