import { classificationMetrics, type Label, regressionMetrics, type ScoreInput } from './performance-metrics.js';

/**
 * Model performance on a window, from the predictions and the labels (sent with the samples or
 * later by id). Pure: no I/O. The task is the version's declaration, never a guess from the
 * values: without one the section says performance is off and why.
 *
 * - classification: accuracy; precision, recall and F1 averaged `macro` and `weighted` over the
 *   union of the classes in the labels and the predictions (scikit-learn's default labels,
 *   zero_division=0); with a declared `positive` and at most two classes also the positive
 *   class's `precision`, `recall`, `f1` (average='binary'); with scores, `log_loss` and `roc_auc`
 *   (binary: the score is P(positive), else P(greater class) as predict_proba[:, 1]; multiclass:
 *   one probability per class of `classes`, one-vs-rest macro AUC);
 * - regression: `mae`, `rmse`, `r2` (r2 = 1 − SS_res/SS_tot, and 1 or 0 for a constant target as
 *   scikit-learn's force_finite).
 * Checked against sklearn.metrics 1.2.1 (test/unit/monitoring/fixtures/gen_performance.py).
 *
 * Each metric that the version registered under the same name is compared with it: a
 * higher-is-better metric degrades when it falls by more than `tolerance` (absolute), `mae`,
 * `rmse` and `log_loss` when they rise by more than `tolerance` relative to the registered value.
 */
export type Task = { type: 'classification'; positive?: number | string } | { type: 'regression' };

type Outcome = number | string | null | undefined;

export interface PerformanceInput {
  /** The version's declared task; null or undefined: performance is off. */
  task: Task | null | undefined;
  predictions: readonly Outcome[];
  labels: readonly Outcome[];
  /** Per row: P(positive) (binary), one probability per `classes` entry (multiclass), or null. */
  scores?: readonly (number | readonly number[] | null | undefined)[];
  /** The classes the multiclass score columns stand for, in their order. */
  classes?: readonly Label[] | null;
}

export type PerformanceResult =
  | { status: 'off'; reason: string; degraded: false }
  | { status: 'no_labels'; task: Task['type']; labeled: 0; reason: string; degraded: false }
  | {
      status: 'ok';
      task: Task['type'];
      /** Rows that had both a prediction and a label of the task's type. */
      labeled: number;
      /** Labelled rows whose scores entered log loss and ROC AUC. */
      scored: number;
      /** Rows with a prediction and a label left out because their types do not fit the task (stored before it was declared). */
      excluded: number;
      metrics: Record<string, number>;
      /** The version's registered value of each metric computed here, where it has one. */
      baseline: Record<string, number>;
      degraded: boolean;
      /** Metrics that degraded, e.g. "accuracy 0.91 → 0.78". */
      reasons: string[];
      /** Why a metric is missing (e.g. ROC AUC with a single class), or what was left out. */
      notes: string[];
    };

const LOWER_IS_BETTER = new Set(['mae', 'rmse', 'log_loss']);

export const NO_TASK_REASON =
  'the version declares no task: set task {type: "classification", positive?} or {type: "regression"} with PATCH /models/{name}/versions/{version}';

export function computePerformance(input: PerformanceInput, registered: Readonly<Record<string, number>>, tolerance: number): PerformanceResult {
  const { task } = input;
  if (!task) return { status: 'off', reason: NO_TASK_REASON, degraded: false };
  const notes: string[] = [];
  let excluded = 0;
  const rows: number[] = [];
  let kind: 'number' | 'string' | undefined;
  const n = Math.min(input.predictions.length, input.labels.length);
  for (let i = 0; i < n; i++) {
    const p = input.predictions[i];
    const y = input.labels[i];
    if (p === null || p === undefined || y === null || y === undefined) continue;
    const fits =
      task.type === 'regression'
        ? typeof p === 'number' && typeof y === 'number'
        : typeof p === typeof y && (typeof p === 'string' || (Number.isInteger(p) && Number.isInteger(y)));
    // A window's first labelled row fixes the class type; rows of another type are counted, not mixed in.
    if (!fits || (task.type === 'classification' && kind !== undefined && typeof p !== kind)) {
      excluded++;
      continue;
    }
    kind ??= typeof p as 'number' | 'string';
    rows.push(i);
  }
  if (excluded > 0)
    notes.push(
      `${excluded} row(s) left out: their prediction or label does not fit a ${task.type} task (${task.type === 'regression' ? 'numbers' : `${kind ?? 'one'} class labels`})`,
    );
  if (rows.length === 0)
    return { status: 'no_labels', task: task.type, labeled: 0, reason: 'no row of the window has both a prediction and a label', degraded: false };

  let metrics: Record<string, number>;
  let scored = 0;
  if (task.type === 'regression') {
    metrics = regressionMetrics(
      rows.map((i) => input.predictions[i] as number),
      rows.map((i) => input.labels[i] as number),
    );
  } else {
    const predictions = rows.map((i) => input.predictions[i] as Label);
    const labels = rows.map((i) => input.labels[i] as Label);
    const scores: ScoreInput | undefined = input.scores ? { values: rows.map((i) => input.scores![i] ?? null), classes: input.classes ?? null } : undefined;
    if (task.positive !== undefined && typeof task.positive !== kind)
      notes.push(`the declared positive ${JSON.stringify(task.positive)} is a ${typeof task.positive}, the labels are ${kind}s: no binary metrics`);
    const positive = task.positive !== undefined && typeof task.positive === kind ? task.positive : undefined;
    const out = classificationMetrics(predictions, labels, positive, scores);
    metrics = out.metrics;
    scored = out.scored;
    notes.push(...out.notes);
  }
  const baseline: Record<string, number> = {};
  const reasons: string[] = [];
  for (const [name, value] of Object.entries(metrics)) {
    const base = registered[name];
    if (base === undefined) continue;
    baseline[name] = base;
    const worse = LOWER_IS_BETTER.has(name) ? value > base * (1 + tolerance) : base - value > tolerance;
    if (worse) reasons.push(`${name} ${round(base)} → ${round(value)}`);
  }
  return { status: 'ok', task: task.type, labeled: rows.length, scored, excluded, metrics, baseline, degraded: reasons.length > 0, reasons, notes };
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;
