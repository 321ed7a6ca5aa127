import { asyncBufferFromFile, parquetMetadataAsync, type AsyncBuffer, type FileMetaData, type SchemaElement } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { createColumnBuilder, finishTable, type ColumnBuilder } from './columns.js';
import { parseError } from './errors.js';
import { readFlatColumns, type FlatColumnSink } from './parquet-pages.js';
import { createNaMatcher, DEFAULT_NA_VALUES } from './na.js';
import { readAllBytes, sourceName, type TabularSource } from './source.js';
import type { ColumnKind, TabularReadOptions, TabularTable } from './types.js';

/**
 * Kind of a Parquet leaf column from its physical and logical type: integers, floats, decimals,
 * dates and timestamps are numeric; strings, enums, booleans and other byte arrays categorical.
 */
export function parquetColumnKind(element: SchemaElement): ColumnKind {
  switch (element.type) {
    case 'INT32':
    case 'INT64':
    case 'INT96':
    case 'FLOAT':
    case 'DOUBLE':
      return 'numeric';
    case 'FIXED_LEN_BYTE_ARRAY':
      return element.converted_type === 'DECIMAL' || element.logical_type?.type === 'DECIMAL' ? 'numeric' : 'categorical';
    default:
      return 'categorical';
  }
}

/** Top-level columns and their kinds; nested columns (lists, structs) cannot be compared as features. */
export function parquetKinds(metadata: FileMetaData, source: string): Map<string, ColumnKind> {
  const kinds = new Map<string, ColumnKind>();
  const schema = metadata.schema;
  let i = 1;
  while (i < schema.length) {
    const element = schema[i]!;
    if ((element.num_children ?? 0) > 0) {
      throw parseError(source, 'nested Parquet columns (lists, maps, structs) are not supported', { column: element.name });
    }
    kinds.set(element.name, parquetColumnKind(element));
    i++;
  }
  return kinds;
}

async function asyncBufferOf(source: TabularSource): Promise<AsyncBuffer> {
  if (typeof source === 'string') return asyncBufferFromFile(source);
  const bytes = await readAllBytes(source);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Reads the footer only: the schema and row count. */
export async function parquetInfo(source: TabularSource, options: TabularReadOptions = {}) {
  const name = sourceName(source, options.sourceName);
  const file = await asyncBufferOf(source);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (err) {
    throw parseError(name, `not a readable Parquet file (${err instanceof Error ? err.message : String(err)})`);
  }
  return { file, metadata, kinds: parquetKinds(metadata, name), rows: Number(metadata.num_rows) };
}

// Timestamps become epoch milliseconds (numbers, as the drift statistics need), never Date objects.
const parsers = {
  timestampFromMilliseconds: (v: bigint) => Number(v),
  timestampFromMicroseconds: (v: bigint) => Number(v) / 1e3,
  timestampFromNanoseconds: (v: bigint) => Number(v) / 1e6,
};

/**
 * Reads a Parquet file (a path, or bytes: Parquet needs random access, so a stream is read whole
 * first) page by page straight into the output columns (see parquet-pages.ts). Codecs: snappy, gzip,
 * brotli, zstd, lz4 (hyparquet-compressors).
 */
export async function readParquet(source: TabularSource, options: TabularReadOptions = {}): Promise<TabularTable> {
  const name = sourceName(source, options.sourceName);
  const { file, metadata, kinds, rows } = await parquetInfo(source, options);
  for (const [col, kind] of options.types ?? []) if (kinds.has(col)) kinds.set(col, kind);
  const na = createNaMatcher([...(options.naValues ?? DEFAULT_NA_VALUES), '']);
  const builders = new Map<string, ColumnBuilder>();
  for (const [col, kind] of kinds) {
    builders.set(col, createColumnBuilder(kind, rows, { name: col, source: name, na, nonNumeric: options.nonNumeric ?? 'error' }));
  }
  const sinks = new Map<string, FlatColumnSink>();
  for (const [col, builder] of builders) {
    sinks.set(col, {
      write: (rowStart, count, values, present, maxLevel) => builder.scatter(rowStart, count, values as ArrayLike<unknown>, present, maxLevel),
    });
  }
  try {
    await readFlatColumns(file, metadata, sinks, { compressors, parsers, onRowGroup: (done) => options.onProgress?.({ rows: done, bytes: 0 }) });
  } catch (err) {
    if (err instanceof Error && err.name === 'TabularParseError') throw err;
    throw parseError(name, `cannot read the Parquet data (${err instanceof Error ? err.message : String(err)})`);
  }
  return finishTable(builders, rows, options.onWarning);
}
