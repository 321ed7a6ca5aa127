/**
 * The columnar table every reader in src/tabular/ produces (CSV, Arrow IPC, Parquet), shared by
 * the `mlcycle drift` CLI and the monitoring ingestion of HTTP bodies.
 */
export type TabularColumn =
  | { kind: 'numeric'; values: Float64Array } // NaN = missing
  | { kind: 'categorical'; values: (string | null)[] }; // null = missing

export interface TabularTable {
  rowCount: number;
  columns: Map<string, TabularColumn>;
}

export type ColumnKind = TabularColumn['kind'];

/** Formats the readers understand; `csv` covers gzipped CSV too (detected by its magic bytes). */
export type TabularFormat = 'csv' | 'arrow' | 'parquet';

/** What to do with a cell that is neither a number nor an NA token in a numeric column. */
export type NonNumericPolicy = 'error' | 'missing';

export interface TabularWarning {
  column: string;
  /** Cells turned into missing values under `nonNumeric: 'missing'`. */
  count: number;
  /** 1-based line of the first such cell, and its text. */
  firstLine: number;
  firstValue: string;
}

export interface TabularProgress {
  rows: number;
  bytes: number;
}

export interface TabularReadOptions {
  /** Declared column types; they always win over inference (and over a file's schema). */
  types?: ReadonlyMap<string, ColumnKind>;
  /** Cell texts that mean "missing" (replaces the default list, see {@link DEFAULT_NA_VALUES}). */
  naValues?: readonly string[];
  /** Default 'error': a stray text in a numeric column stops the read, naming line and column. */
  nonNumeric?: NonNumericPolicy;
  /** Rows at the head of a CSV used to infer the types of undeclared columns (default 10 000). */
  sampleRows?: number;
  /** Called with counts of cells coerced to missing, once per column at the end. */
  onWarning?: (warning: TabularWarning) => void;
  /** Called after each chunk read. */
  onProgress?: (progress: TabularProgress) => void;
  /** Shown in error messages (a file path, "request body"). */
  sourceName?: string;
}
