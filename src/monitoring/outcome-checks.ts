import { AppError } from '../http/errors.js';
import type { Task } from './performance.js';
import type { IngestedBatch, OutcomeFieldNames } from './ingest-types.js';
import type { OutcomeValues } from './batch.js';
import { FieldErrorCollector } from './ingest-errors.js';

/**
 * Predictions, labels and scores checked against the version's declared task before anything is
 * stored: a batch that does not fit is a 400 naming the field, for the whole batch. Without a task
 * nothing is checked (the reports say performance is off).
 *
 * - regression: predictions and labels are numbers; no scores;
 * - classification: class labels are integers or strings, predictions and labels of one type (and
 *   of the declared positive's type); a number with a fraction is a probability, which belongs in
 *   `scores`: binary scores are P(positive) in [0, 1], multiclass scores one probability per class
 *   of `classes`, summing to 1 (±1e-6).
 */

export const JSON_OUTCOME_FIELDS: OutcomeFieldNames = { predictions: 'predictions', labels: 'labels', scores: 'scores', classes: 'classes' };
const SUM_TOLERANCE = 1e-6;

const kindOf = (values: OutcomeValues | undefined): 'number' | 'string' | undefined => {
  for (const v of values ?? []) if (v !== null) return typeof v as 'number' | 'string';
  return undefined;
};

const shown = (v: unknown) => JSON.stringify(v)?.slice(0, 40);

export function checkOutcomes(batch: IngestedBatch, task: Task | null | undefined): void {
  if (!task) return;
  const names = batch.outcomeFields ?? JSON_OUTCOME_FIELDS;
  const errors = new FieldErrorCollector();
  const predictionKind = kindOf(batch.predictions);
  const labelKind = kindOf(batch.labels);
  if (task.type === 'regression') {
    for (const [values, name] of [
      [batch.predictions, names.predictions],
      [batch.labels, names.labels],
    ] as const) {
      const i = values?.findIndex((v) => typeof v === 'string') ?? -1;
      if (i >= 0) errors.add(`${name}[${i}]`, `is a string (${shown(values![i])}); the version's task is regression: send numbers`);
    }
    if (batch.scores) errors.add(names.scores, 'a regression has no scores: leave them out or declare a classification task');
    errors.throwIfAny();
    return;
  }
  for (const [values, name] of [
    [batch.predictions, names.predictions],
    [batch.labels, names.labels],
  ] as const) {
    const i = values?.findIndex((v) => typeof v === 'number' && !Number.isInteger(v)) ?? -1;
    if (i >= 0)
      errors.add(`${name}[${i}]`, `${values![i]} is not a class label: classification takes integer or string classes; send probabilities as ${names.scores}`);
  }
  if (predictionKind && labelKind && predictionKind !== labelKind)
    errors.add(names.labels, `are ${labelKind}s but the predictions are ${predictionKind}s: send the classes of both as one type`);
  if (task.positive !== undefined) {
    const expected = typeof task.positive;
    for (const [kind, name] of [
      [predictionKind, names.predictions],
      [labelKind, names.labels],
    ] as const) {
      if (kind && kind !== expected) errors.add(name, `are ${kind}s but the task's positive class ${shown(task.positive)} is a ${expected}`);
    }
  }
  if (batch.scores) checkScores(batch.scores, batch.rowCount, predictionKind ?? labelKind, names, errors);
  errors.throwIfAny();
}

function checkScores(
  scores: NonNullable<IngestedBatch['scores']>,
  rowCount: number,
  classKind: string | undefined,
  names: OutcomeFieldNames,
  errors: FieldErrorCollector,
): void {
  const { classes, values } = scores;
  if (classes) {
    if (classes.length < 2) errors.add(names.classes, 'multiclass scores need at least two classes');
    if (new Set(classes).size !== classes.length) errors.add(names.classes, 'has a class twice');
    const bad = classes.find((c) => (typeof c === 'number' && !Number.isInteger(c)) || (classKind !== undefined && typeof c !== classKind));
    if (bad !== undefined) errors.add(names.classes, `${shown(bad)} is not a class of the predictions' type (${classKind ?? 'integer or string'})`);
  }
  const width = classes ? classes.length : 1;
  for (let i = 0; i < rowCount; i++) {
    let sum = 0;
    let missing = 0;
    for (let j = 0; j < width; j++) {
      const p = values[i * width + j]!;
      if (Number.isNaN(p)) missing++;
      else if (!(p >= 0 && p <= 1)) errors.add(`${names.scores}[${i}]`, `${p} is not a probability in [0, 1]`);
      else sum += p;
    }
    if (missing > 0 && missing < width) errors.add(`${names.scores}[${i}]`, 'has a probability for some classes only');
    else if (classes && missing === 0 && Math.abs(sum - 1) > SUM_TOLERANCE)
      errors.add(`${names.scores}[${i}]`, `sums to ${sum}; probabilities over the classes must sum to 1`);
  }
}

/** A late label checked against the task of the version whose sample it labels. */
export function labelMismatch(label: number | string, task: Task | null | undefined, predictionKind: string | null): string | undefined {
  if (!task) return undefined;
  if (task.type === 'regression') return typeof label === 'string' ? "is a string; the version's task is regression: send a number" : undefined;
  if (typeof label === 'number' && !Number.isInteger(label)) return `${label} is not a class label: classification takes integer or string classes`;
  if (predictionKind && typeof label !== predictionKind) return `is a ${typeof label} but the sample's prediction is a ${predictionKind}`;
  if (task.positive !== undefined && typeof label !== typeof task.positive)
    return `is a ${typeof label} but the task's positive class ${shown(task.positive)} is a ${typeof task.positive}`;
  return undefined;
}

export function labelsError(errors: { path: string; message: string }[]): AppError {
  const first = errors
    .slice(0, 3)
    .map((e) => `${e.path}: ${e.message}`)
    .join('; ');
  return new AppError('VALIDATION_FAILED', `no label was stored: ${first}${errors.length > 3 ? ` (and ${errors.length - 3} more)` : ''}`, errors);
}
