import { comparePaired, METRIC_INFO } from './paired-tests.js';
import type { Evaluation, PromoteConfig } from './retrain.schemas.js';

export const CHALLENGER_ALIAS = 'challenger';

/** The holdout as mlcycle kept it: labels the trainer never saw, and what serving code predicted. */
export interface HoldoutTruth {
  ids: string[];
  labels: string[];
  /** Posted with the samples (the version that served them: the base version). */
  champion: string[];
}

/**
 * Whether a retrained challenger takes the promote alias. PURE.
 *
 * Both models are scored by mlcycle on the SAME holdout rows, against labels the trainer never
 * saw: the champion with the predictions serving code posted for those samples, the challenger
 * with its `holdout-predictions.csv`. Promoted when
 *   gain = (challenger − champion) for max metrics, (champion − challenger) for min metrics,
 *   gain > 0 AND gain ≥ minImprovement AND p ≤ alpha,
 * p from the paired test (exact McNemar for accuracy/error_rate, seeded paired bootstrap
 * otherwise; see paired-tests.ts). An empty holdout, or a challenger prediction missing for any
 * holdout row, is never promoted: the version becomes the `challenger` and the reason names
 * what was missing. Without any alias holder the challenger still takes the alias only if it
 * passes the same test against the posted predictions.
 */
export function decidePromotion(
  promote: PromoteConfig,
  holdout: HoldoutTruth,
  challengerPredictions: ReadonlyMap<string, string> | undefined,
  championVersion: number | null,
): Evaluation {
  const { alias, metric, minImprovement, alpha } = promote;
  const base = { rows: holdout.ids.length, metric, alpha, minImprovement, championVersion, alias };
  const challenger = (reason: string, scored?: { champion: number; challenger: number; pValue: number; test: 'mcnemar' | 'bootstrap' }): Evaluation => ({
    ...base,
    champion: scored?.champion ?? null,
    challenger: scored?.challenger ?? null,
    pValue: scored?.pValue ?? null,
    test: scored?.test ?? null,
    decision: 'challenger',
    alias: CHALLENGER_ALIAS,
    reason,
  });
  if (holdout.ids.length === 0) return challenger('the holdout is empty: no labelled sample of the training windows had a serving prediction posted');
  if (!challengerPredictions) return challenger('the trainer wrote no holdout-predictions.csv');
  const missing = holdout.ids.filter((id) => !challengerPredictions.has(id));
  if (missing.length > 0)
    return challenger(
      `holdout-predictions.csv has no prediction for ${missing.length} of ${holdout.ids.length} holdout rows (e.g. ${missing.slice(0, 3).join(', ')})`,
    );
  const predicted = holdout.ids.map((id) => challengerPredictions.get(id)!);
  if (METRIC_INFO[metric].kind === 'regression') {
    const bad = [...holdout.labels, ...holdout.champion, ...predicted].filter((v) => !Number.isFinite(Number(v)) || v.trim() === '').length;
    if (bad > 0) return challenger(`${metric} needs numeric labels and predictions; ${bad} values are not numbers`);
  }
  const scored = comparePaired(metric, holdout.labels, holdout.champion, predicted);
  const gain = METRIC_INFO[metric].mode === 'max' ? scored.challenger - scored.champion : scored.champion - scored.challenger;
  const fmt = (v: number) => Number(v.toFixed(4));
  const vs = `${metric} ${fmt(scored.challenger)} vs ${fmt(scored.champion)} (${championVersion === null ? 'posted predictions' : `v${championVersion}`}) on ${holdout.ids.length} holdout rows, ${scored.test} p = ${scored.pValue.toPrecision(3)}`;
  if (!(gain > 0 && gain >= minImprovement)) return challenger(`not better by minImprovement ${minImprovement}: ${vs}`, scored);
  if (!(scored.pValue <= alpha)) return challenger(`not significant at alpha ${alpha}: ${vs}`, scored);
  return { ...base, ...scored, decision: 'promoted', reason: `better: ${vs}` };
}
