/**
 * Readers of tabular data into one columnar shape ({@link TabularTable}): CSV (and .csv.gz),
 * Arrow IPC files and streams, Parquet. Each takes a path, bytes or a Node Readable, so the CLI
 * (files) and the monitoring ingestion (HTTP bodies) share them.
 */
export type * from './types.js';
export { TabularParseError } from './errors.js';
export { DEFAULT_NA_VALUES, INFINITY_TOKENS, createNaMatcher } from './na.js';
export { readCsv, sniffCsv, DEFAULT_SAMPLE_ROWS, type CsvSniff } from './csv.js';
export { readArrow, arrowKinds } from './arrow.js';
export { readParquet, parquetInfo } from './parquet.js';
export { agreeKinds, inferKind, MAX_NON_NUMERIC_SHARE } from './infer.js';
export { detectFormat, type TabularSource } from './source.js';

export { readTable } from './read-table.js';
