import { DataType, tableFromIPC, type Table, type Vector } from 'apache-arrow';
import { AppError } from '../http/errors.js';
import { arrowStrings } from './arrow-strings.js';
import type { FeatureColumn, OutcomeValues } from './batch.js';
import { FieldErrorCollector, batchTooLarge } from './ingest-errors.js';
import { readRowTimes, TIMESTAMP_COLUMN } from './ingest-times.js';
import { DEFAULT_MAX_ROWS, type IngestOptions, type IngestedBatch } from './ingest-types.js';
import { isScoreColumn, scoresFromColumns } from './score-columns.js';

/**
 * Arrow IPC stream bodies (`application/vnd.apache.arrow.stream`), e.g. from pyarrow's
 * `pa.ipc.new_stream`. Each column is a declared feature, except three reserved names:
 *
 *   __id          sample ids (string, or integer written as text), to join delayed labels
 *   __prediction  the model's outputs (numeric or string)
 *   __label       ground truth, when known at scoring time (numeric or string)
 *   __score       binary scores: P(positive class) (numeric), or
 *   __score_<c>   one probability column per class c (multiclass; see score-columns.ts)
 *   __timestamp   each row's time: an Arrow timestamp, epoch ms (whole numbers), or ISO-8601 text
 *                 (the monitor's `timestampColumn` names another column for the same)
 *
 * A numeric feature takes any integer or floating-point column; a categorical feature a string
 * column (Utf8, LargeUtf8, or dictionary-encoded strings). Arrow nulls are missing values, and so
 * is NaN in a float column (pandas' missing marker); ±Infinity is refused. The schema is checked
 * before any value is read, so a wrongly typed column costs nothing.
 */

export const ARROW_STREAM_TYPE = 'application/vnd.apache.arrow.stream';
export const ARROW_ID_COLUMN = '__id';
export const ARROW_PREDICTION_COLUMN = '__prediction';
export const ARROW_LABEL_COLUMN = '__label';

const isNumeric = (type: DataType): boolean => DataType.isInt(type) || DataType.isFloat(type);
const isString = (type: DataType): boolean =>
  DataType.isUtf8(type) ||
  DataType.isLargeUtf8(type) ||
  (DataType.isDictionary(type) && (DataType.isUtf8(type.dictionary) || DataType.isLargeUtf8(type.dictionary)));

function readTable(bytes: Uint8Array): Table {
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (error) {
    throw new AppError('MALFORMED_BATCH', `the body is not a readable Arrow IPC stream: ${(error as Error).message}`);
  }
  // tableFromIPC reads garbage as an empty stream instead of failing.
  if (table.schema.fields.length === 0) throw new AppError('MALFORMED_BATCH', 'the body is not an Arrow IPC stream with at least one column');
  return table;
}

/** Numeric column → Float64Array with NaN where the value is null or NaN; ±Infinity is an error. */
function toFloat64(vector: Vector, path: string, errors: FieldErrorCollector): Float64Array {
  const raw = vector.toArray() as ArrayLike<number> | BigInt64Array | BigUint64Array;
  // The typed-array constructor copies natively; Float64Array.from would go through the iterator.
  const out = raw instanceof BigInt64Array || raw instanceof BigUint64Array ? Float64Array.from(raw, Number) : new Float64Array(raw);
  if (vector.nullCount > 0) {
    for (let i = 0; i < out.length; i++) if (!vector.isValid(i)) out[i] = Number.NaN;
  }
  for (let i = 0; i < out.length; i++) {
    const v = out[i]!;
    if (v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY) errors.add(`${path}[${i}]`, 'must be a finite number');
  }
  return out;
}

/** Strings, or integer ids written as text. */
function toStrings(vector: Vector): (string | null)[] {
  if (isString(vector.type)) return arrowStrings(vector);
  const out = new Array<string | null>(vector.length);
  let i = 0;
  for (const v of vector as Iterable<unknown>) out[i++] = v === null || v === undefined ? null : String(v);
  return out;
}

function toOutcomes(vector: Vector, path: string, errors: FieldErrorCollector): OutcomeValues {
  if (isString(vector.type)) return toStrings(vector);
  return Array.from(toFloat64(vector, path, errors), (v) => (Number.isNaN(v) ? null : v));
}

/** Validates an Arrow IPC stream against the declared features and returns it as a columnar batch. */
export function ingestArrow(bytes: Uint8Array, options: IngestOptions): IngestedBatch {
  const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
  const table = readTable(bytes);
  const rowCount = table.numRows;
  if (rowCount > maxRows) throw batchTooLarge(rowCount, maxRows);
  const errors = new FieldErrorCollector();
  if (rowCount === 0) errors.add('body', 'the Arrow stream must hold at least one row');

  const declared = new Map(options.features.map((f) => [f.name, f.type]));
  const timesName = table.getChild(TIMESTAMP_COLUMN) ? TIMESTAMP_COLUMN : options.timestampColumn;
  for (const field of table.schema.fields) {
    const path = `columns.${field.name}`;
    if (field.name === timesName && !declared.has(field.name)) {
      // Floats too: readers hand dates over as float64 epoch ms (whole values are checked per row).
      if (!DataType.isTimestamp(field.type) && !isNumeric(field.type) && !isString(field.type))
        errors.add(path, `must be a timestamp, numeric (epoch ms) or string (ISO-8601) column, got ${field.type}`);
    } else if (field.name === ARROW_ID_COLUMN) {
      if (!isString(field.type) && !DataType.isInt(field.type)) errors.add(path, `must be a string or integer column, got ${field.type}`);
    } else if (isScoreColumn(field.name)) {
      if (!isNumeric(field.type)) errors.add(path, `must be a numeric column of probabilities, got ${field.type}`);
    } else if (field.name === ARROW_PREDICTION_COLUMN || field.name === ARROW_LABEL_COLUMN) {
      if (!isString(field.type) && !isNumeric(field.type)) errors.add(path, `must be a numeric or string column, got ${field.type}`);
    } else {
      const type = declared.get(field.name);
      if (type === undefined) errors.add(path, 'is not a declared feature of this version');
      else if (type === 'numeric' && !isNumeric(field.type)) errors.add(path, `is ${field.type}; a numeric feature needs an integer or floating-point column`);
      else if (type === 'categorical' && !isString(field.type))
        errors.add(path, `is ${field.type}; a categorical feature needs a string or dictionary<string> column`);
    }
  }
  errors.throwIfAny();

  const columns = new Map<string, FeatureColumn>();
  for (const { name, type } of options.features) {
    const vector = table.getChild(name);
    if (type === 'numeric') {
      columns.set(name, { kind: 'numeric', values: vector ? toFloat64(vector, `columns.${name}`, errors) : new Float64Array(rowCount).fill(Number.NaN) });
    } else {
      columns.set(name, { kind: 'categorical', values: vector ? toStrings(vector) : new Array<string | null>(rowCount).fill(null) });
    }
  }
  const batch: IngestedBatch = { rowCount, columns };
  const ids = table.getChild(ARROW_ID_COLUMN);
  if (ids) batch.ids = toStrings(ids);
  const predictions = table.getChild(ARROW_PREDICTION_COLUMN);
  if (predictions) batch.predictions = toOutcomes(predictions, `columns.${ARROW_PREDICTION_COLUMN}`, errors);
  const labels = table.getChild(ARROW_LABEL_COLUMN);
  if (labels) batch.labels = toOutcomes(labels, `columns.${ARROW_LABEL_COLUMN}`, errors);
  const scoreColumns = table.schema.fields
    .filter((f) => isScoreColumn(f.name))
    .map((f) => ({ name: f.name, values: toFloat64(table.getChild(f.name)!, `columns.${f.name}`, errors) }));
  const outcomeType = (predictions ?? labels)?.type;
  const scores = scoresFromColumns(scoreColumns, rowCount, outcomeType !== undefined && isNumeric(outcomeType), (n) => `columns.${n}`, errors);
  if (scores) batch.scores = scores;
  if (predictions || labels || scores)
    batch.outcomeFields = {
      predictions: `columns.${ARROW_PREDICTION_COLUMN}`,
      labels: `columns.${ARROW_LABEL_COLUMN}`,
      scores: `columns.${scoreColumns[0]?.name ?? '__score'}`,
      classes: 'columns.__score_<class>',
    };
  const times = timesName === undefined ? null : table.getChild(timesName);
  if (times && timesName !== undefined) {
    // NaN in a float column is missing, as in features (pandas' marker).
    const values = isString(times.type)
      ? toStrings(times)
      : Array.from({ length: rowCount }, (_, i) => {
          const v = times.get(i) as unknown;
          return typeof v === 'number' && Number.isNaN(v) ? null : v;
        });
    batch.timestamps = readRowTimes(values, `columns.${timesName}`, errors);
  }
  errors.throwIfAny();
  return batch;
}
