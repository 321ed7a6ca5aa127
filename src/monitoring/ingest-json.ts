import { AppError } from '../http/errors.js';
import type { BatchScores, FeatureColumn, OutcomeValues } from './batch.js';
import { FieldErrorCollector, batchTooLarge, describe } from './ingest-errors.js';
import { readRowTimes, timesFromColumn } from './ingest-times.js';
import { DEFAULT_MAX_ROWS, type IngestOptions, type IngestedBatch } from './ingest-types.js';

/**
 * JSON sample bodies: `{rows:[{feature:value}]}` or `{columns:{feature:[values]}}`, plus optional
 * `predictions`, `labels`, `ids`, `scores` (arrays aligned with the rows), `classes`, `timestamp` and
 * `batchId`. `scores` holds per row P(positive class) (binary) or, with `classes`, an array of one
 * probability per class in that order (multiclass); null for a row without.
 *
 * JSON is typed, so types are taken as sent: a numeric feature takes numbers (a numeric string
 * such as "3.5" is refused, it usually means a serialisation bug upstream); a categorical feature
 * takes strings, and numbers or booleans, which are stored as their text ("3", "true") so integer-
 * coded categories work. `null` is a missing value; a declared feature absent from the body is
 * missing in every row. `ids` are strings (or null), at most 256 characters; `predictions` and
 * `labels` are all numbers or all strings (nulls anywhere). `timestamps` (aligned with the rows) or
 * the monitor's `timestampColumn` give each row its time: ISO-8601 with a zone, or epoch ms. This runs on every serving request, so the row loop is written for speed:
 * one pass, writes straight into the typed output columns, no per-row allocation.
 */

const KNOWN_FIELDS = new Set(['rows', 'columns', 'predictions', 'labels', 'ids', 'scores', 'classes', 'timestamp', 'timestamps', 'batchId']);
const BATCH_ID = /^[A-Za-z0-9._:-]{1,200}$/;
const MAX_ID_LENGTH = 256;

interface Slot {
  numeric: boolean;
  num: Float64Array;
  cat: (string | null)[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** JSON.parse of a raw body; a body that is not JSON answers 400 MALFORMED_BODY. */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AppError('MALFORMED_BODY', `the body could not be parsed as JSON: ${(error as Error).message}`);
  }
}

/** JSON.parse, then ingestJson. */
export function parseJsonBatch(text: string, options: IngestOptions): IngestedBatch {
  return ingestJson(parseJsonText(text), options);
}

/** Validates a parsed JSON body against the declared features and returns it as a columnar batch. */
export function ingestJson(body: unknown, options: IngestOptions): IngestedBatch {
  const errors = new FieldErrorCollector();
  const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
  if (!isPlainObject(body))
    throw new AppError('VALIDATION_FAILED', 'the body must be a JSON object', [{ path: 'body', message: `must be an object, got ${describe(body)}` }]);
  const passThrough = new Set(options.passThroughFields ?? []);
  for (const key of Object.keys(body)) {
    if (!KNOWN_FIELDS.has(key) && !passThrough.has(key)) errors.add(key, 'is not an allowed field');
  }
  const { rows, columns } = body;
  if ((rows === undefined) === (columns === undefined)) {
    errors.add(rows === undefined ? 'body' : 'columns', rows === undefined ? 'either rows or columns is required' : 'send rows or columns, not both');
    errors.throwIfAny();
  }
  if (rows !== undefined && !Array.isArray(rows)) errors.add('rows', `must be an array of objects, got ${describe(rows)}`);
  if (columns !== undefined && !isPlainObject(columns)) errors.add('columns', `must be an object of arrays, got ${describe(columns)}`);
  errors.throwIfAny();

  const rowCount = Array.isArray(rows) ? rows.length : columnsLength(columns as Record<string, unknown>, errors);
  if (rowCount > maxRows) throw batchTooLarge(rowCount, maxRows);
  if (rowCount === 0) errors.add(Array.isArray(rows) ? 'rows' : 'columns', 'must hold at least one row');
  errors.throwIfAny();

  // A null-prototype table: a body key such as "__proto__" or "constructor" is just unknown.
  const slots: Record<string, Slot> = Object.create(null);
  const output = new Map<string, FeatureColumn>();
  for (const { name, type } of options.features) {
    const numeric = type === 'numeric';
    const slot: Slot = {
      numeric,
      num: numeric ? new Float64Array(rowCount).fill(Number.NaN) : new Float64Array(0),
      cat: numeric ? [] : new Array<string | null>(rowCount).fill(null),
    };
    slots[name] = slot;
    output.set(name, numeric ? { kind: 'numeric', values: slot.num } : { kind: 'categorical', values: slot.cat });
  }

  // The monitor's timestamp column, when it is not a declared feature: its raw values, by row.
  const tsColumn = options.timestampColumn;
  const rawTimes = tsColumn !== undefined && slots[tsColumn] === undefined ? new Array<unknown>(rowCount).fill(null) : undefined;
  const extra = rawTimes ? { name: tsColumn!, values: rawTimes } : undefined;
  if (Array.isArray(rows)) readRows(rows, slots, errors, extra);
  else readColumns(columns as Record<string, unknown>, slots, errors, extra);

  const batch: IngestedBatch = { rowCount, columns: output };
  if (body.ids !== undefined) batch.ids = readIds(body.ids, rowCount, errors);
  if (body.predictions !== undefined) batch.predictions = readOutcomes(body.predictions, 'predictions', rowCount, errors);
  if (body.labels !== undefined) batch.labels = readOutcomes(body.labels, 'labels', rowCount, errors);
  if (body.scores !== undefined) batch.scores = readScores(body.scores, body.classes, rowCount, errors);
  else if (body.classes !== undefined) errors.add('classes', 'names the columns of multiclass scores: send it with scores');
  if (body.timestamps !== undefined) {
    if (tsColumn !== undefined && (rawTimes?.some((v) => v !== null) || (slots[tsColumn] !== undefined && columnHasValues(output.get(tsColumn)!))))
      errors.add('timestamps', `send timestamps or the "${tsColumn}" column, not both`);
    else if (checkArray(body.timestamps, 'timestamps', rowCount, errors)) batch.timestamps = readRowTimes(body.timestamps, 'timestamps', errors);
  } else if (tsColumn !== undefined) {
    const path = (i: number) => (Array.isArray(rows) ? `rows[${i}].${tsColumn}` : `columns.${tsColumn}[${i}]`);
    if (rawTimes) batch.timestamps = readRowTimes(rawTimes, path, errors);
    else batch.timestamps = timesFromColumn(output.get(tsColumn)!, path, errors);
  }
  if (body.timestamp !== undefined) {
    const ms = typeof body.timestamp === 'string' && /(Z|[+-]\d\d:?\d\d)$/i.test(body.timestamp) ? Date.parse(body.timestamp) : Number.NaN;
    if (Number.isNaN(ms)) errors.add('timestamp', 'must be an ISO-8601 date-time with a time zone, e.g. 2026-01-31T12:00:00Z');
    else batch.timestamp = ms;
  }
  if (body.batchId !== undefined) {
    if (typeof body.batchId === 'string' && BATCH_ID.test(body.batchId)) batch.batchId = body.batchId;
    else errors.add('batchId', 'must be 1–200 characters of A–Z a–z 0–9 . _ : -');
  }
  errors.throwIfAny();
  return batch;
}

type Extra = { name: string; values: unknown[] } | undefined;

function columnHasValues(column: FeatureColumn): boolean {
  return column.kind === 'numeric' ? column.values.some((v) => !Number.isNaN(v)) : column.values.some((v) => v !== null);
}

function readRows(rows: unknown[], slots: Record<string, Slot>, errors: FieldErrorCollector, extra: Extra): void {
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      errors.add(`rows[${i}]`, `must be an object of feature values, got ${describe(row)}`);
      continue;
    }
    for (const key in row) {
      const slot = slots[key];
      const value = (row as Record<string, unknown>)[key];
      if (slot === undefined) {
        if (key === extra?.name) extra.values[i] = value;
        else errors.add(`rows[${i}].${key}`, 'is not a declared feature of this version');
      } else if (slot.numeric) {
        // `value - value` is 0 for finite numbers only: one check for NaN and ±Infinity.
        if (typeof value === 'number' && value - value === 0) slot.num[i] = value;
        else if (value !== null) errors.add(`rows[${i}].${key}`, numericMessage(value));
      } else if (typeof value === 'string') slot.cat[i] = value;
      else if (value !== null) {
        const text = categoryText(value);
        if (text === undefined) errors.add(`rows[${i}].${key}`, `must be a string, number, boolean or null, got ${describe(value)}`);
        else slot.cat[i] = text;
      }
    }
  }
}

function columnsLength(columns: Record<string, unknown>, errors: FieldErrorCollector): number {
  let length: number | undefined;
  let first = '';
  for (const [name, values] of Object.entries(columns)) {
    if (!Array.isArray(values)) {
      errors.add(`columns.${name}`, `must be an array, got ${describe(values)}`);
      continue;
    }
    if (length === undefined) {
      length = values.length;
      first = name;
    } else if (values.length !== length) {
      errors.add(`columns.${name}`, `has ${values.length} values; columns.${first} has ${length}`);
    }
  }
  return length ?? 0;
}

function readColumns(columns: Record<string, unknown>, slots: Record<string, Slot>, errors: FieldErrorCollector, extra: Extra): void {
  for (const name of Object.keys(columns)) {
    const slot = slots[name];
    if (slot === undefined && name === extra?.name) {
      (columns[name] as unknown[]).forEach((v, i) => (extra.values[i] = v));
      continue;
    }
    if (slot === undefined) {
      errors.add(`columns.${name}`, 'is not a declared feature of this version');
      continue;
    }
    const values = columns[name] as unknown[];
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (slot.numeric) {
        if (typeof value === 'number' && value - value === 0) slot.num[i] = value;
        else if (value !== null) errors.add(`columns.${name}[${i}]`, numericMessage(value));
      } else if (typeof value === 'string') slot.cat[i] = value;
      else if (value !== null) {
        const text = categoryText(value);
        if (text === undefined) errors.add(`columns.${name}[${i}]`, `must be a string, number, boolean or null, got ${describe(value)}`);
        else slot.cat[i] = text;
      }
    }
  }
}

function numericMessage(value: unknown): string {
  if (typeof value === 'number') return 'must be a finite number';
  if (typeof value === 'string') return `must be a number or null, got a string ("${value.slice(0, 40)}"); send numbers unquoted`;
  return `must be a number or null, got ${describe(value)}`;
}

function categoryText(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'boolean') return String(value);
  return undefined;
}

function checkArray(value: unknown, path: string, rowCount: number, errors: FieldErrorCollector): value is unknown[] {
  if (!Array.isArray(value)) errors.add(path, `must be an array aligned with the rows, got ${describe(value)}`);
  else if (value.length !== rowCount) errors.add(path, `has ${value.length} values for ${rowCount} rows`);
  else return true;
  return false;
}

function readIds(value: unknown, rowCount: number, errors: FieldErrorCollector): (string | null)[] | undefined {
  if (!checkArray(value, 'ids', rowCount, errors)) return undefined;
  for (let i = 0; i < value.length; i++) {
    const id = value[i];
    if (id !== null && (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH)) {
      errors.add(`ids[${i}]`, `must be a string of 1–${MAX_ID_LENGTH} characters or null, got ${describe(id)}`);
    }
  }
  return value as (string | null)[];
}

/** Predictions or labels: all numbers or all strings (nulls anywhere); the first value sets the type. */
function readOutcomes(value: unknown, path: string, rowCount: number, errors: FieldErrorCollector): OutcomeValues | undefined {
  if (!checkArray(value, path, rowCount, errors)) return undefined;
  let kind: 'number' | 'string' | undefined;
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (v === null) continue;
    if (typeof v === 'number' && !(v - v === 0)) errors.add(`${path}[${i}]`, 'must be a finite number');
    else if (typeof v !== 'number' && typeof v !== 'string') errors.add(`${path}[${i}]`, `must be a number, a string or null, got ${describe(v)}`);
    else if (kind === undefined) kind = typeof v as 'number' | 'string';
    else if (typeof v !== kind) errors.add(`${path}[${i}]`, `must be a ${kind} like the values before it`);
  }
  return value as OutcomeValues;
}

/** Binary scores (numbers) or, with `classes`, one array of per-class probabilities per row. */
function readScores(value: unknown, classes: unknown, rowCount: number, errors: FieldErrorCollector): BatchScores | undefined {
  if (!checkArray(value, 'scores', rowCount, errors)) return undefined;
  if (classes !== undefined) {
    if (!Array.isArray(classes) || classes.length === 0 || classes.length > 1000 || !classes.every((c) => typeof c === 'string' || typeof c === 'number')) {
      errors.add('classes', `must be an array of 1–1000 class labels (numbers or strings), got ${describe(classes)}`);
      return undefined;
    }
    const k = classes.length;
    const out = new Float64Array(rowCount * k).fill(Number.NaN);
    for (let i = 0; i < rowCount; i++) {
      const row = value[i];
      if (row === null) continue;
      if (!Array.isArray(row) || row.length !== k)
        errors.add(`scores[${i}]`, `must be an array of ${k} probabilities (one per class) or null, got ${describe(row)}`);
      else
        for (let j = 0; j < k; j++) {
          const p = row[j];
          if (typeof p === 'number' && p - p === 0) out[i * k + j] = p;
          else errors.add(`scores[${i}][${j}]`, `must be a finite number, got ${describe(p)}`);
        }
    }
    return { classes: classes as (number | string)[], values: out };
  }
  const out = new Float64Array(rowCount).fill(Number.NaN);
  for (let i = 0; i < rowCount; i++) {
    const p = value[i];
    if (p === null) continue;
    if (typeof p === 'number' && p - p === 0) out[i] = p;
    else if (Array.isArray(p)) errors.add(`scores[${i}]`, 'is an array: per-class scores need "classes" naming their order');
    else errors.add(`scores[${i}]`, `must be a number (P(positive class)) or null, got ${describe(p)}`);
  }
  return { classes: null, values: out };
}
