/**
 * The metric formulas behind computePerformance, as sklearn.metrics (1.2.1) defines them. Pure.
 */
export type Label = number | string;

export interface ScoreInput {
  /** Per labelled row: P(positive) (binary) or one probability per class of `classes`; null = none. */
  values: readonly (number | readonly number[] | null)[];
  classes: readonly Label[] | null;
}

/** numpy's sort order: numbers numerically, strings by code point. */
export function compareLabels(a: Label, b: Label): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0; // UTF-16 order; equals code point order outside surrogate pairs
}

/** np.finfo(float64).eps: log_loss's clip with eps="auto". */
const EPS = 2.220446049250313e-16;

export function classificationMetrics(
  predictions: readonly Label[],
  labels: readonly Label[],
  positive: Label | undefined,
  scores: ScoreInput | undefined,
): { metrics: Record<string, number>; scored: number; notes: string[] } {
  const n = labels.length;
  const notes: string[] = [];
  const tp = new Map<Label, number>();
  const predicted = new Map<Label, number>();
  const actual = new Map<Label, number>();
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const p = predictions[i]!;
    const y = labels[i]!;
    predicted.set(p, (predicted.get(p) ?? 0) + 1);
    actual.set(y, (actual.get(y) ?? 0) + 1);
    if (p === y) {
      correct++;
      tp.set(y, (tp.get(y) ?? 0) + 1);
    }
  }
  // Union of truth and predictions, sorted: precision_recall_fscore_support's default labels.
  const classes = [...new Set([...actual.keys(), ...predicted.keys()])].sort(compareLabels);
  const per = classes.map((c) => prf(tp.get(c) ?? 0, predicted.get(c) ?? 0, actual.get(c) ?? 0));
  const k = classes.length;
  const mean = (pick: (s: PRF) => number) => per.reduce((s, x) => s + pick(x), 0) / k;
  const weighted = (pick: (s: PRF) => number) => per.reduce((s, x, j) => s + pick(x) * (actual.get(classes[j]!) ?? 0), 0) / n;
  const metrics: Record<string, number> = {
    accuracy: correct / n,
    precision_macro: mean((s) => s.precision),
    recall_macro: mean((s) => s.recall),
    f1_macro: mean((s) => s.f1),
    precision_weighted: weighted((s) => s.precision),
    recall_weighted: weighted((s) => s.recall),
    f1_weighted: weighted((s) => s.f1),
  };
  if (positive !== undefined) {
    if (k <= 2) {
      const s = prf(tp.get(positive) ?? 0, predicted.get(positive) ?? 0, actual.get(positive) ?? 0);
      Object.assign(metrics, { precision: s.precision, recall: s.recall, f1: s.f1 });
    } else notes.push(`${k} classes: no binary precision/recall/F1 for the positive class`);
  }
  let scored = 0;
  if (scores) {
    const out =
      scores.classes && scores.classes.length > 0
        ? multiclassScores(labels, scores.values, scores.classes)
        : binaryScores(labels, scores.values, positive, classes);
    Object.assign(metrics, out.metrics);
    scored = out.scored;
    notes.push(...out.notes);
  }
  return { metrics, scored, notes };
}

interface PRF {
  precision: number;
  recall: number;
  f1: number;
}

/** zero_division=0: a class never predicted has precision 0, one never true recall 0. */
function prf(tp: number, predicted: number, actual: number): PRF {
  const precision = predicted > 0 ? tp / predicted : 0;
  const recall = actual > 0 ? tp / actual : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1 };
}

function binaryScores(labels: readonly Label[], values: ScoreInput['values'], positive: Label | undefined, classes: readonly Label[]) {
  const notes: string[] = [];
  if (positive === undefined && classes.length !== 2) {
    notes.push(`binary scores need a declared positive class or exactly two classes in the window (found ${classes.length}): no log loss or ROC AUC`);
    return { metrics: {}, scored: 0, notes };
  }
  if (classes.length > 2) {
    notes.push(`binary scores but ${classes.length} classes: no log loss or ROC AUC`);
    return { metrics: {}, scored: 0, notes };
  }
  const pos = positive ?? classes[1]!; // predict_proba[:, 1] is the greater class
  const y: boolean[] = [];
  const s: number[] = [];
  values.forEach((v, i) => {
    if (typeof v !== 'number') return;
    y.push(labels[i] === pos);
    s.push(v);
  });
  if (s.length === 0) return { metrics: {}, scored: 0, notes };
  let loss = 0;
  for (let i = 0; i < s.length; i++) {
    const p = Math.min(Math.max(s[i]!, EPS), 1 - EPS);
    const sum = 1 - p + p; // log_loss renormalises the two columns
    loss -= Math.log((y[i] ? p : 1 - p) / sum);
  }
  const metrics: Record<string, number> = { log_loss: loss / s.length };
  const auc = rocAuc(y, s);
  if (auc === undefined) notes.push('ROC AUC needs both classes among the scored labels');
  else metrics.roc_auc = auc;
  return { metrics, scored: s.length, notes };
}

function multiclassScores(labels: readonly Label[], values: ScoreInput['values'], classes: readonly Label[]) {
  const notes: string[] = [];
  const column = new Map(classes.map((c, j) => [c, j]));
  const rows: number[] = [];
  let unknown = 0;
  values.forEach((v, i) => {
    if (!Array.isArray(v) || v.length !== classes.length) return;
    if (column.has(labels[i]!)) rows.push(i);
    else unknown++;
  });
  if (unknown > 0) {
    // sklearn refuses a label outside `labels`: no partial numbers that would differ from it.
    notes.push(`${unknown} scored row(s) have a label outside classes ${JSON.stringify(classes)}: no log loss or ROC AUC`);
    return { metrics: {}, scored: 0, notes };
  }
  if (rows.length === 0) return { metrics: {}, scored: 0, notes };
  let loss = 0;
  for (const i of rows) {
    const v = values[i] as readonly number[];
    let sum = 0;
    for (const p of v) sum += Math.min(Math.max(p, EPS), 1 - EPS);
    const p = Math.min(Math.max(v[column.get(labels[i]!)!]!, EPS), 1 - EPS);
    loss -= Math.log(p / sum);
  }
  const metrics: Record<string, number> = { log_loss: loss / rows.length };
  // One-vs-rest, macro: the mean of each class's binary AUC (roc_auc_score multi_class='ovr').
  let total = 0;
  for (let j = 0; j < classes.length; j++) {
    const auc = rocAuc(
      rows.map((i) => labels[i] === classes[j]),
      rows.map((i) => (values[i] as readonly number[])[j]!),
    );
    if (auc === undefined) {
      notes.push(
        `ROC AUC needs every class among the scored labels, and ${JSON.stringify(classes[j])} is ${rows.every((i) => labels[i] === classes[j]) ? 'every label' : 'missing'}`,
      );
      return { metrics, scored: rows.length, notes };
    }
    total += auc;
  }
  metrics.roc_auc = total / classes.length;
  return { metrics, scored: rows.length, notes };
}

/**
 * Area under the ROC curve as the Mann–Whitney statistic with mid-ranks for ties: equal to
 * roc_auc_score's trapezoidal area (Hanley & McNeil 1982). Undefined with a single class.
 */
export function rocAuc(positive: readonly boolean[], scores: readonly number[]): number | undefined {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSum = 0;
  let nPos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const rank = (i + j) / 2 + 1;
    for (let m = i; m <= j; m++) {
      if (positive[order[m]!]) {
        rankSum += rank;
        nPos++;
      }
    }
    i = j + 1;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return undefined;
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

export function regressionMetrics(predictions: readonly number[], labels: readonly number[]): Record<string, number> {
  const n = labels.length;
  let abs = 0;
  let sq = 0;
  let mean = 0;
  for (let i = 0; i < n; i++) {
    const d = labels[i]! - predictions[i]!;
    abs += Math.abs(d);
    sq += d * d;
    mean += labels[i]!;
  }
  mean /= n;
  let total = 0;
  for (const y of labels) total += (y - mean) ** 2;
  // r2_score's force_finite: a constant target scores 1 when predicted exactly, else 0.
  const r2 = total === 0 ? (sq === 0 ? 1 : 0) : 1 - sq / total;
  return { mae: abs / n, rmse: Math.sqrt(sq / n), r2 };
}
