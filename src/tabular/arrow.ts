import { DataType, Precision, RecordBatchReader, type RecordBatch, type Field, type Schema, type Vector } from 'apache-arrow';
import { createColumnBuilder, finishTable, type ColumnBuilder } from './columns.js';
import { parseError } from './errors.js';
import { createNaMatcher, DEFAULT_NA_VALUES } from './na.js';
import { readAllBytes, sourceName, type TabularSource } from './source.js';
import type { ColumnKind, TabularReadOptions, TabularTable } from './types.js';

/**
 * Kind of an Arrow field from the schema: numbers, decimals and temporal types (as epoch
 * milliseconds or the unit's count) are numeric; strings, dictionaries and booleans categorical.
 */
export function arrowFieldKind(field: Field): ColumnKind {
  const t = field.type;
  if (DataType.isDictionary(t)) return 'categorical';
  if (
    DataType.isInt(t) ||
    DataType.isFloat(t) ||
    DataType.isDecimal(t) ||
    DataType.isDate(t) ||
    DataType.isTimestamp(t) ||
    DataType.isTime(t) ||
    DataType.isDuration(t)
  ) {
    return 'numeric';
  }
  return 'categorical';
}

/** Column kinds from the schema alone (declared types applied by the caller). */
export function arrowKinds(schema: Schema): Map<string, ColumnKind> {
  return new Map(schema.fields.map((f) => [f.name, arrowFieldKind(f)] as const));
}

/**
 * Values of one batch's column as something indexable: the vector's own typed array when it is a
 * plain number column without nulls (no per-cell call), else one `get` per cell.
 */
function cells(vector: Vector): ArrayLike<unknown> {
  const t = vector.type;
  const plain = DataType.isInt(t) || (DataType.isFloat(t) && t.precision !== Precision.HALF);
  if (plain && vector.nullCount === 0) return vector.toArray() as ArrayLike<unknown>;
  return Array.from({ length: vector.length }, (_, i) => vector.get(i));
}

async function* bytesOf(stream: AsyncIterable<unknown>): AsyncGenerator<Uint8Array> {
  for await (const chunk of stream) yield typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
}

/**
 * Reads an Arrow IPC file or stream (a path, bytes, or a Node Readable of the stream format,
 * e.g. an `application/vnd.apache.arrow.stream` body) batch by batch into columns.
 */
export async function readArrow(source: TabularSource, options: TabularReadOptions = {}): Promise<TabularTable> {
  const name = sourceName(source, options.sourceName);
  const na = createNaMatcher([...(options.naValues ?? DEFAULT_NA_VALUES), '']);
  let reader: RecordBatchReader;
  try {
    // A Readable goes in as a plain async iterable of bytes: handed the stream itself, apache-arrow
    // read no batch from an object-mode stream of small chunks.
    reader =
      typeof source === 'string' || source instanceof Uint8Array
        ? RecordBatchReader.from(await readAllBytes(source))
        : await RecordBatchReader.from(bytesOf(source));
    reader = await reader.open();
  } catch (err) {
    throw parseError(name, `not a readable Arrow IPC file or stream (${err instanceof Error ? err.message : String(err)})`);
  }
  const schema = reader.schema;
  if (!schema) throw parseError(name, 'the Arrow input has no schema');
  const kinds = arrowKinds(schema);
  for (const [col, kind] of options.types ?? []) if (kinds.has(col)) kinds.set(col, kind);
  // Batches are collected per column and joined at the end, as the row count is not known up front.
  const parts = new Map<string, { builder: ColumnBuilder; rows: number }[]>();
  for (const field of schema.fields) parts.set(field.name, []);
  let rowCount = 0;
  try {
    for await (const batch of reader as AsyncIterable<RecordBatch>) {
      schema.fields.forEach((field, i) => {
        const vector = batch.getChildAt(i)!;
        const builder = createColumnBuilder(kinds.get(field.name)!, batch.numRows, {
          name: field.name,
          source: name,
          na,
          nonNumeric: options.nonNumeric ?? 'error',
        });
        builder.write(0, cells(vector));
        parts.get(field.name)!.push({ builder, rows: batch.numRows });
      });
      rowCount += batch.numRows;
      options.onProgress?.({ rows: rowCount, bytes: 0 });
    }
  } catch (err) {
    if (err instanceof Error && err.name === 'TabularParseError') throw err;
    throw parseError(name, `cannot read the Arrow data (${err instanceof Error ? err.message : String(err)})`);
  }
  const builders = new Map<string, ColumnBuilder>();
  for (const [col, list] of parts) {
    const joined = createColumnBuilder(kinds.get(col)!, rowCount, { name: col, source: name, na, nonNumeric: 'missing' });
    let at = 0;
    for (const part of list) {
      const column = part.builder.finish(part.rows);
      joined.write(at, column.values);
      at += part.rows;
      const w = part.builder.warning();
      if (w) options.onWarning?.(w);
    }
    builders.set(col, joined);
  }
  return finishTable(builders, rowCount);
}
