import { AppError, invalidField } from '../http/errors.js';
import { readCsv, TabularParseError } from '../tabular/index.js';
import type { ColumnKind, TabularColumn } from '../tabular/types.js';
import type { FeatureColumn } from './batch.js';
import { ARROW_ID_COLUMN, ARROW_LABEL_COLUMN, ARROW_PREDICTION_COLUMN } from './ingest-arrow.js';
import { batchTooLarge, FieldErrorCollector } from './ingest-errors.js';
import { TIMESTAMP_COLUMN, timesFromColumn } from './ingest-times.js';
import { isScoreColumn, scoresFromColumns } from './score-columns.js';
import { DEFAULT_MAX_ROWS, type IngestedBatch, type IngestOptions } from './ingest-types.js';

export const CSV_TYPE = 'text/csv';

/**
 * CSV bodies (`text/csv`, a header row), read with the same scanner as `mlcycle drift`: the
 * pandas NA tokens are missing values, declared feature types win over inference, and a stray
 * text in a numeric feature is a 400 naming its line and column. The reserved columns are those
 * of Arrow bodies: `__id`, `__prediction`, `__label`, `__timestamp` (and the monitor's `timestampColumn`),
 * and `__score` or `__score_<class>` (numeric).
 */
export async function ingestCsv(bytes: Uint8Array, options: IngestOptions): Promise<IngestedBatch> {
  const declared = new Map<string, ColumnKind>(options.features.map((f) => [f.name, f.type]));
  // Ids are names, never numbers, even when they look like numbers.
  // Row times are read as text (ISO-8601 or epoch-ms digits), then parsed.
  const timeColumn = options.timestampColumn !== undefined && !declared.has(options.timestampColumn) ? options.timestampColumn : undefined;
  const types = new Map<string, ColumnKind>([
    ...declared,
    [ARROW_ID_COLUMN, 'categorical'],
    [TIMESTAMP_COLUMN, 'categorical'],
    ...(timeColumn ? ([[timeColumn, 'categorical']] as const) : []),
  ]);
  let table;
  try {
    table = await readCsv(bytes, { types, sourceName: 'request body' });
  } catch (error) {
    if (error instanceof TabularParseError) {
      const path = error.column !== undefined ? `${error.column}${error.line !== undefined ? `[line ${error.line}]` : ''}` : 'body';
      throw invalidField(path, error.message);
    }
    throw error;
  }
  const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
  if (table.rowCount > maxRows) throw batchTooLarge(table.rowCount, maxRows);
  const reserved = new Set([ARROW_ID_COLUMN, ARROW_PREDICTION_COLUMN, ARROW_LABEL_COLUMN, TIMESTAMP_COLUMN, ...(timeColumn ? [timeColumn] : [])]);
  for (const name of table.columns.keys()) {
    if (!declared.has(name) && !reserved.has(name) && !isScoreColumn(name))
      throw invalidField(name, `"${name}" is not a feature of this version (expected ${[...declared.keys()].join(', ')})`);
  }
  const columns = new Map<string, FeatureColumn>();
  for (const [name, kind] of declared) {
    const column = table.columns.get(name);
    if (column) columns.set(name, column);
    else
      columns.set(
        name,
        kind === 'numeric' ? { kind, values: new Float64Array(table.rowCount).fill(Number.NaN) } : { kind, values: new Array(table.rowCount).fill(null) },
      );
  }
  const outcome = (c: TabularColumn | undefined) =>
    c ? (c.kind === 'numeric' ? Array.from(c.values, (v) => (Number.isNaN(v) ? null : v)) : c.values) : undefined;
  const ids = table.columns.get(ARROW_ID_COLUMN);
  if (table.rowCount === 0) throw new AppError('VALIDATION_FAILED', 'the CSV body has a header but no rows', [{ path: 'body', message: 'no rows' }]);
  const timesName = table.columns.has(TIMESTAMP_COLUMN) ? TIMESTAMP_COLUMN : options.timestampColumn;
  const timesColumn = timesName === undefined ? undefined : (table.columns.get(timesName) ?? columns.get(timesName));
  let timestamps: Float64Array | undefined;
  if (timesColumn && timesName !== undefined) {
    const errors = new FieldErrorCollector();
    // The header is line 1: row i is on line i + 2.
    timestamps = timesFromColumn(timesColumn, (i) => `${timesName}[line ${i + 2}]`, errors);
    errors.throwIfAny();
  }
  const errors = new FieldErrorCollector();
  const scoreColumns: { name: string; values: Float64Array }[] = [];
  for (const [name, column] of table.columns) {
    if (!isScoreColumn(name)) continue;
    if (column.kind === 'numeric') scoreColumns.push({ name, values: column.values });
    else errors.add(name, 'must be numeric: probabilities in [0, 1]');
  }
  const outcomeColumn = table.columns.get(ARROW_PREDICTION_COLUMN) ?? table.columns.get(ARROW_LABEL_COLUMN);
  const scores = scoresFromColumns(scoreColumns, table.rowCount, outcomeColumn?.kind === 'numeric', (n) => n, errors);
  errors.throwIfAny();
  return {
    ...(timestamps ? { timestamps } : {}),
    ...(outcomeColumn || scores
      ? {
          outcomeFields: {
            predictions: ARROW_PREDICTION_COLUMN,
            labels: ARROW_LABEL_COLUMN,
            scores: scoreColumns[0]?.name ?? '__score',
            classes: '__score_<class>',
          },
        }
      : {}),
    ...(scores ? { scores } : {}),
    rowCount: table.rowCount,
    columns,
    ...(ids ? { ids: ids.values as (string | null)[] } : {}),
    ...(table.columns.has(ARROW_PREDICTION_COLUMN) ? { predictions: outcome(table.columns.get(ARROW_PREDICTION_COLUMN)) } : {}),
    ...(table.columns.has(ARROW_LABEL_COLUMN) ? { labels: outcome(table.columns.get(ARROW_LABEL_COLUMN)) } : {}),
  };
}
