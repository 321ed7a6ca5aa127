/**
 * Readers of tabular data into one columnar shape ({@link TabularTable}): CSV (and .csv.gz),
 * Arrow IPC files and streams, Parquet. Each takes a path, bytes or a Node Readable, so the CLI
 * (files) and the monitoring ingestion (HTTP bodies) share them.
 */
import { readArrow } from './arrow.js';
import { readCsv } from './csv.js';
import { readParquet } from './parquet.js';
import { detectFormat, type TabularSource } from './source.js';
import type { TabularFormat, TabularReadOptions, TabularTable } from './types.js';

export type * from './types.js';
export { TabularParseError } from './errors.js';
export { DEFAULT_NA_VALUES, INFINITY_TOKENS, createNaMatcher } from './na.js';
export { readCsv, sniffCsv, DEFAULT_SAMPLE_ROWS, type CsvSniff } from './csv.js';
export { readArrow, arrowKinds } from './arrow.js';
export { readParquet, parquetInfo } from './parquet.js';
export { agreeKinds, inferKind, MAX_NON_NUMERIC_SHARE } from './infer.js';
export { detectFormat, type TabularSource } from './source.js';

/** Reads any supported source; the format is `options.format`, else detected (see {@link detectFormat}). */
export function readTable(source: TabularSource, options: TabularReadOptions & { format?: TabularFormat } = {}): Promise<TabularTable> {
  const format = options.format ?? detectFormat(source);
  if (format === 'arrow') return readArrow(source, options);
  if (format === 'parquet') return readParquet(source, options);
  return readCsv(source, options);
}
