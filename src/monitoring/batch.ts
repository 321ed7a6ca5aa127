/**
 * One batch of serving samples as the monitoring code holds it: columnar, typed arrays for
 * numbers. `rowCount` + `columns` is the same shape as `TabularTable` (src/tabular/types.ts), so a
 * batch can go wherever a table goes (profiles, computeDrift).
 */

export interface NumericColumn {
  kind: 'numeric';
  /** NaN marks a missing value. */
  values: Float64Array;
}

export interface CategoricalColumn {
  kind: 'categorical';
  /** null marks a missing value. */
  values: (string | null)[];
}

export type FeatureColumn = NumericColumn | CategoricalColumn;

/** Predictions or labels: all numbers (regression, class ids) or all strings (class names); null = none. */
export type OutcomeValues = (number | null)[] | (string | null)[];

/**
 * The model's probabilities. Binary (`classes` null): one P(positive class) per row. Multiclass:
 * one probability per class of `classes` per row, row-major. NaN marks a row without scores.
 */
export interface BatchScores {
  classes: (number | string)[] | null;
  values: Float64Array;
}

export interface SampleBatch {
  rowCount: number;
  columns: Map<string, FeatureColumn>;
  /** Caller's sample ids, to join delayed labels; null where a row has none. */
  ids?: (string | null)[];
  predictions?: OutcomeValues;
  labels?: OutcomeValues;
  scores?: BatchScores;
  /** Epoch milliseconds per row; NaN where a row has none (the batch time applies). */
  timestamps?: Float64Array;
}

export type FeatureType = 'numeric' | 'categorical';

/** A version's declared feature (POST /models/{name}/versions `features`). */
export interface FeatureSpec {
  name: string;
  type: FeatureType;
}
