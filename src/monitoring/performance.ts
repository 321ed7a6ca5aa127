/**
 * Model performance on a window from delayed labels. Pure: no I/O.
 *
 * Classification when every label and prediction is a string or an integer; regression otherwise.
 * - classification: accuracy, and precision/recall/F1 macro-averaged over the classes seen in the
 *   labels (scikit-learn's `average='macro'`, a class never predicted has precision 0);
 * - regression: MAE and RMSE.
 * Each metric that the version registered under the same name is compared with it: a
 * higher-is-better metric degrades when it falls by more than `tolerance` (absolute), MAE/RMSE
 * when they rise by more than `tolerance` relative to the registered value.
 */
export interface PerformanceResult {
  task: 'classification' | 'regression';
  /** Rows that had both a prediction and a label. */
  labeled: number;
  metrics: Record<string, number>;
  /** The version's registered value of each metric computed here, where it has one. */
  baseline: Record<string, number>;
  degraded: boolean;
  /** Metrics that degraded, e.g. "accuracy 0.91 → 0.78". */
  reasons: string[];
}

type Outcome = number | string | null | undefined;
const LOWER_IS_BETTER = new Set(['mae', 'rmse']);

export function computePerformance(
  predictions: readonly Outcome[],
  labels: readonly Outcome[],
  registered: Readonly<Record<string, number>>,
  tolerance: number,
): PerformanceResult | null {
  const pairs: [number | string, number | string][] = [];
  for (let i = 0; i < Math.min(predictions.length, labels.length); i++) {
    const p = predictions[i];
    const y = labels[i];
    if (p !== null && p !== undefined && y !== null && y !== undefined) pairs.push([p, y]);
  }
  if (pairs.length === 0) return null;
  const discrete = pairs.every(([p, y]) => (typeof p === 'string' || Number.isInteger(p)) && (typeof y === 'string' || Number.isInteger(y)));
  const metrics = discrete ? classification(pairs) : regression(pairs as [number, number][]);
  const baseline: Record<string, number> = {};
  const reasons: string[] = [];
  for (const [name, value] of Object.entries(metrics)) {
    const base = registered[name];
    if (base === undefined) continue;
    baseline[name] = base;
    const worse = LOWER_IS_BETTER.has(name) ? value > base * (1 + tolerance) : base - value > tolerance;
    if (worse) reasons.push(`${name} ${round(base)} → ${round(value)}`);
  }
  return { task: discrete ? 'classification' : 'regression', labeled: pairs.length, metrics, baseline, degraded: reasons.length > 0, reasons };
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;

function classification(pairs: [number | string, number | string][]): Record<string, number> {
  const key = (v: number | string) => `${typeof v}:${v}`;
  let correct = 0;
  const classes = new Set<string>();
  const tp = new Map<string, number>();
  const predicted = new Map<string, number>();
  const actual = new Map<string, number>();
  for (const [p, y] of pairs) {
    const pk = key(p);
    const yk = key(y);
    classes.add(yk);
    predicted.set(pk, (predicted.get(pk) ?? 0) + 1);
    actual.set(yk, (actual.get(yk) ?? 0) + 1);
    if (pk === yk) {
      correct++;
      tp.set(yk, (tp.get(yk) ?? 0) + 1);
    }
  }
  let precision = 0;
  let recall = 0;
  let f1 = 0;
  for (const c of classes) {
    const t = tp.get(c) ?? 0;
    const pr = predicted.get(c) ? t / predicted.get(c)! : 0;
    const rc = t / actual.get(c)!;
    precision += pr;
    recall += rc;
    f1 += pr + rc > 0 ? (2 * pr * rc) / (pr + rc) : 0;
  }
  const k = classes.size;
  return { accuracy: correct / pairs.length, precision: precision / k, recall: recall / k, f1: f1 / k };
}

function regression(pairs: [number, number][]): Record<string, number> {
  let abs = 0;
  let sq = 0;
  for (const [p, y] of pairs) {
    abs += Math.abs(p - y);
    sq += (p - y) ** 2;
  }
  return { mae: abs / pairs.length, rmse: Math.sqrt(sq / pairs.length) };
}
