import type { BatchScores } from './batch.js';
import type { FieldErrorCollector } from './ingest-errors.js';

/**
 * Scores in CSV and Arrow bodies: a `__score` column (binary: P(positive class)) or one
 * `__score_<class>` column per class (multiclass; the column order is the class order). A class
 * is a number when every suffix is an integer and the predictions (or labels) are numeric, so
 * `__score_0`, `__score_1` stand for classes 0 and 1; otherwise the suffixes are string classes.
 */
export const SCORE_COLUMN = '__score';
const SCORE_PREFIX = '__score_';

export const isScoreColumn = (name: string): boolean => name === SCORE_COLUMN || (name.startsWith(SCORE_PREFIX) && name.length > SCORE_PREFIX.length);

export function scoresFromColumns(
  columns: readonly { name: string; values: Float64Array }[],
  rowCount: number,
  numericOutcomes: boolean,
  path: (name: string) => string,
  errors: FieldErrorCollector,
): BatchScores | undefined {
  if (columns.length === 0) return undefined;
  const binary = columns.find((c) => c.name === SCORE_COLUMN);
  if (binary) {
    if (columns.length > 1) errors.add(path(SCORE_COLUMN), `send ${SCORE_COLUMN} (binary) or ${SCORE_PREFIX}<class> columns (multiclass), not both`);
    return { classes: null, values: binary.values };
  }
  const suffixes = columns.map((c) => c.name.slice(SCORE_PREFIX.length));
  const classes = numericOutcomes && suffixes.every((s) => /^-?\d{1,15}$/.test(s)) ? suffixes.map(Number) : suffixes;
  const k = columns.length;
  const values = new Float64Array(rowCount * k);
  columns.forEach((c, j) => {
    for (let i = 0; i < rowCount; i++) values[i * k + j] = c.values[i]!;
  });
  return { classes, values };
}
