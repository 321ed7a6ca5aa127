/**
 * Paired comparison of two models scored on the SAME rows: the champion (the predictions serving
 * code posted) and the challenger (a retrained version's `holdout-predictions.csv`). PURE: no
 * I/O, no clock, no global randomness (the bootstrap takes its seed as an argument).
 *
 * Checked against scipy/numpy on committed fixtures: `test/unit/retraining/fixtures/` and the
 * script that generated them, `paired-tests.py`, beside them.
 */
import { sfc32 } from '../drift/sfc32.js';

export const PROMOTE_METRICS = ['accuracy', 'error_rate', 'f1', 'precision', 'recall', 'mae', 'rmse'] as const;
export type PromoteMetric = (typeof PROMOTE_METRICS)[number];

/** Which way is better for each metric, and which test decides. */
export const METRIC_INFO: Record<PromoteMetric, { mode: 'max' | 'min'; test: 'mcnemar' | 'bootstrap'; kind: 'class' | 'regression' }> = {
  accuracy: { mode: 'max', test: 'mcnemar', kind: 'class' },
  error_rate: { mode: 'min', test: 'mcnemar', kind: 'class' },
  f1: { mode: 'max', test: 'bootstrap', kind: 'class' },
  precision: { mode: 'max', test: 'bootstrap', kind: 'class' },
  recall: { mode: 'max', test: 'bootstrap', kind: 'class' },
  mae: { mode: 'min', test: 'bootstrap', kind: 'regression' },
  rmse: { mode: 'min', test: 'bootstrap', kind: 'regression' },
};

/** Numbers compare by value ("1", "1.0" and 1 are one class); anything else as text. */
export function classKey(value: unknown): string {
  const text = String(value).trim();
  const n = Number(text);
  return text !== '' && Number.isFinite(n) ? String(n) : text;
}

/**
 * The metric on rows `idx` (with repeats, for the bootstrap) of paired truth/prediction arrays.
 * Classification metrics compare {@link classKey}s. precision/recall/f1 are MACRO averages over
 * the union of the classes in truth and predictions, a class with no predicted (precision) or no
 * true (recall) rows scoring 0 — scikit-learn's `average='macro', zero_division=0`; F1 per class
 * is 2·P·R/(P+R) (0 when P+R = 0), averaged.
 */
export function metricOn(metric: PromoteMetric, truth: readonly string[], pred: readonly string[], idx: ArrayLike<number>): number {
  const n = idx.length;
  if (n === 0) return Number.NaN;
  if (metric === 'mae' || metric === 'rmse') {
    let sum = 0;
    for (let k = 0; k < n; k++) {
      const i = idx[k]!;
      const d = Number(pred[i]) - Number(truth[i]);
      sum += metric === 'mae' ? Math.abs(d) : d * d;
    }
    return metric === 'mae' ? sum / n : Math.sqrt(sum / n);
  }
  if (metric === 'accuracy' || metric === 'error_rate') {
    let right = 0;
    for (let k = 0; k < n; k++) if (truth[idx[k]!] === pred[idx[k]!]) right++;
    return metric === 'accuracy' ? right / n : 1 - right / n;
  }
  const tp = new Map<string, number>();
  const predicted = new Map<string, number>();
  const actual = new Map<string, number>();
  for (let k = 0; k < n; k++) {
    const t = truth[idx[k]!]!;
    const p = pred[idx[k]!]!;
    actual.set(t, (actual.get(t) ?? 0) + 1);
    predicted.set(p, (predicted.get(p) ?? 0) + 1);
    if (t === p) tp.set(t, (tp.get(t) ?? 0) + 1);
  }
  const classes = new Set([...actual.keys(), ...predicted.keys()]);
  let total = 0;
  for (const c of classes) {
    const hit = tp.get(c) ?? 0;
    const precision = predicted.get(c) ? hit / predicted.get(c)! : 0;
    const recall = actual.get(c) ? hit / actual.get(c)! : 0;
    total += metric === 'precision' ? precision : metric === 'recall' ? recall : precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  }
  return total / classes.size;
}

const allRows = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

/**
 * Exact two-sided binomial test of k successes in n trials at p = ½, as scipy.stats.binomtest
 * (its two-sided p-value sums the outcomes no more likely than k; at p = ½ the distribution is
 * symmetric, so that is min(1, 2·P[X ≤ min(k, n−k)])). The pmf is summed in log space,
 * log C(n, j) built up term by term, so n in the millions stays exact to ~1e-12 relative.
 */
export function binomTestHalf(k: number, n: number): number {
  if (n === 0) return 1;
  const m = Math.min(k, n - k);
  if (2 * m === n) return 1;
  const logHalfN = n * Math.log(0.5);
  let logC = 0;
  let tail = 0;
  for (let j = 0; j <= m; j++) {
    tail += Math.exp(logC + logHalfN);
    logC += Math.log(n - j) - Math.log(j + 1);
  }
  return Math.min(1, 2 * tail);
}

/**
 * Exact McNemar test (McNemar 1947; the exact form: Edwards 1948, Fagerland et al. 2013, BMC
 * Med Res Methodol 13:91). Only the discordant pairs carry information: b rows the champion got
 * right and the challenger wrong, c the reverse. Under H0 (equal accuracy) c ~ Binomial(b+c, ½),
 * p = binomtest(c, b+c, ½, two-sided). No discordant pair: p = 1.
 */
export function mcnemarExact(truth: readonly string[], champion: readonly string[], challenger: readonly string[]): { b: number; c: number; pValue: number } {
  let b = 0;
  let c = 0;
  for (let i = 0; i < truth.length; i++) {
    const a = champion[i] === truth[i];
    const z = challenger[i] === truth[i];
    if (a && !z) b++;
    else if (!a && z) c++;
  }
  return { b, c, pValue: binomTestHalf(c, b + c) };
}

/** A seeded, portable uniform in [0, 1) (sfc32, src/drift/sfc32.ts). */
export function seededUniform(seed: number): () => number {
  const next = sfc32(0x9e3779b9, 0x243f6a88, 0xb7e15162, seed >>> 0);
  return () => next() / 4_294_967_296;
}

export const DEFAULT_BOOTSTRAP_RESAMPLES = 2000;
export const DEFAULT_BOOTSTRAP_SEED = 20_260_415;

/**
 * Seeded paired bootstrap (Efron & Tibshirani 1993 §16; for comparing two systems on one test
 * set: Koehn 2004, Berg-Kirkpatrick et al. 2012). δ = gain of the challenger over the champion
 * (metric(challenger) − metric(champion) for `max` metrics, the reverse for `min`). Each of B
 * resamples draws n row indices with replacement — the SAME indices for both models, which is
 * what makes it paired — and recomputes δ*. Two-sided p-value with the (1 + count)/(1 + B)
 * correction (Davison & Hinkley 1997, eq. 4.11), so it is never 0:
 *   p = min(1, 2 · (1 + min(#{δ* ≤ 0}, #{δ* ≥ 0})) / (1 + B)).
 * The same seed gives the same p-value on every machine.
 */
export function pairedBootstrap(
  metric: PromoteMetric,
  truth: readonly string[],
  champion: readonly string[],
  challenger: readonly string[],
  options: { resamples?: number; seed?: number } = {},
): { delta: number; pValue: number; resamples: number; seed: number } {
  const resamples = options.resamples ?? DEFAULT_BOOTSTRAP_RESAMPLES;
  const seed = options.seed ?? DEFAULT_BOOTSTRAP_SEED;
  const sign = METRIC_INFO[metric].mode === 'max' ? 1 : -1;
  const n = truth.length;
  const gain = (idx: ArrayLike<number>) => sign * (metricOn(metric, truth, challenger, idx) - metricOn(metric, truth, champion, idx));
  const delta = gain(allRows(n));
  if (n === 0) return { delta: Number.NaN, pValue: 1, resamples, seed };
  const uniform = seededUniform(seed);
  const idx = new Int32Array(n);
  let atMost = 0;
  let atLeast = 0;
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) idx[i] = Math.floor(uniform() * n);
    const d = gain(idx);
    if (d <= 0) atMost++;
    if (d >= 0) atLeast++;
  }
  return { delta, pValue: Math.min(1, (2 * (1 + Math.min(atMost, atLeast))) / (1 + resamples)), resamples, seed };
}

/** The metric of both models on all rows, and the paired test's p-value for the difference. */
export function comparePaired(
  metric: PromoteMetric,
  truth: readonly string[],
  champion: readonly string[],
  challenger: readonly string[],
  options: { resamples?: number; seed?: number } = {},
): { champion: number; challenger: number; pValue: number; test: 'mcnemar' | 'bootstrap' } {
  const idx = allRows(truth.length);
  const scores = { champion: metricOn(metric, truth, champion, idx), challenger: metricOn(metric, truth, challenger, idx) };
  if (METRIC_INFO[metric].test === 'mcnemar') return { ...scores, pValue: mcnemarExact(truth, champion, challenger).pValue, test: 'mcnemar' };
  return { ...scores, pValue: pairedBootstrap(metric, truth, champion, challenger, options).pValue, test: 'bootstrap' };
}
