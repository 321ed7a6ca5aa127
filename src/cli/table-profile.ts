import { access } from 'node:fs/promises';
import { categoricalProfile, type DatasetProfile, type FeatureProfile } from '../drift/profile.js';
import { sortFloat64 } from '../drift/sort.js';
// Module by module rather than through tabular/index.ts, so the Arrow and Parquet readers load
// only when a file needs them.
import { sniffCsv } from '../tabular/csv.js';
import { TabularParseError } from '../tabular/errors.js';
import { agreeKinds } from '../tabular/infer.js';
import { readTable } from '../tabular/read-table.js';
import { detectFormat } from '../tabular/source.js';
import type { ColumnKind, NonNumericPolicy, TabularFormat, TabularReadOptions, TabularTable } from '../tabular/types.js';
import { CliError } from './errors.js';
import { createProgressLine } from './progress.js';

export interface PairOptions {
  format?: TabularFormat;
  categorical: ReadonlySet<string>;
  numeric: ReadonlySet<string>;
  naValues?: readonly string[];
  nonNumeric: NonNumericPolicy;
  progress: boolean;
}

/** Data errors become exit-2 CLI errors; a stray text in a numeric column says how to go on. */
function asCliError(err: unknown, format: TabularFormat = 'csv'): never {
  if (err instanceof TabularParseError) {
    const hint =
      err.column !== undefined && /is not a number/.test(err.message)
        ? ` (pass --categorical ${err.column} if the column is not numeric, or --non-numeric missing to count such cells as missing)`
        : '';
    throw new CliError(`cannot ${format === 'csv' ? 'parse CSV' : `read ${format}`} ${err.message}${hint}`);
  }
  throw err;
}

async function readOne(path: string, format: TabularFormat, options: PairOptions, types: Map<string, ColumnKind>): Promise<TabularTable> {
  const progress = createProgressLine(`reading ${path}`, { enabled: options.progress });
  const read: TabularReadOptions & { format: TabularFormat } = {
    format,
    types,
    naValues: options.naValues,
    nonNumeric: options.nonNumeric,
    sourceName: path,
    onProgress: (p) => progress.update(p.rows),
    onWarning: (w) =>
      process.stderr.write(
        `mlcycle: warning: ${path}, column "${w.column}": ${w.count} cell(s) are not numbers and were counted as missing (first "${w.firstValue}" at line ${w.firstLine})\n`,
      ),
  };
  try {
    return await readTable(path, read);
  } catch (err) {
    return asCliError(err, format);
  } finally {
    progress.done();
  }
}

/**
 * Reads the reference and current files (CSV, .csv.gz, Arrow, Parquet) into drift profiles with
 * one kind per column. Kinds, strongest first: --categorical/--numeric; the schema of an Arrow or
 * Parquet file; for CSV, the kind each file's head supports — categorical if either file's
 * sample says so. Columns present in one file only and an empty side are errors (exit 2).
 */
export async function readPair(
  referencePath: string,
  currentPath: string,
  options: PairOptions,
): Promise<{ reference: DatasetProfile; current: DatasetProfile }> {
  for (const path of [referencePath, currentPath]) {
    try {
      await access(path);
    } catch {
      throw new CliError(`cannot read file ${path}: it does not exist or is not readable`);
    }
  }
  const declared = new Map<string, ColumnKind>();
  for (const name of options.numeric) declared.set(name, 'numeric');
  for (const name of options.categorical) declared.set(name, 'categorical');
  // Per side, not per path: a file may be compared with itself.
  const sides = [referencePath, currentPath].map((path) => ({
    path,
    format: options.format ?? detectFormat(path),
    table: null as TabularTable | null,
    header: [] as string[],
  }));

  // Schema-typed files are read first: their kinds are facts the CSV side must follow.
  const opinions: Map<string, ColumnKind | null>[] = [];
  const firm = new Map<string, ColumnKind>();
  for (const side of sides) {
    if (side.format === 'csv') continue;
    const table = await readOne(side.path, side.format, options, declared);
    side.table = table;
    side.header = [...table.columns.keys()];
    for (const [name, col] of table.columns) {
      const before = firm.get(name);
      if (before && before !== col.kind && !declared.has(name)) {
        throw new CliError(
          `column "${name}" is ${before} in one file's schema and ${col.kind} in the other's; pass --categorical ${name} or --numeric ${name}`,
        );
      }
      firm.set(name, col.kind);
    }
  }
  for (const side of sides) {
    if (side.format !== 'csv') continue;
    const sniff = await sniffCsv(side.path, { naValues: options.naValues, sourceName: side.path }).catch(asCliError);
    side.header = sniff.header;
    opinions.push(sniff.kinds);
  }

  const refHeader = sides[0]!.header;
  const curHeader = sides[1]!.header;
  const onlyRef = refHeader.filter((h) => !curHeader.includes(h));
  const onlyCur = curHeader.filter((h) => !refHeader.includes(h));
  if (onlyRef.length > 0 || onlyCur.length > 0) {
    const parts = [...onlyRef.map((h) => `"${h}" is only in ${referencePath}`), ...onlyCur.map((h) => `"${h}" is only in ${currentPath}`)];
    throw new CliError(`column mismatch: ${parts.join('; ')}`);
  }
  for (const [flag, names] of [
    ['--categorical', options.categorical],
    ['--numeric', options.numeric],
  ] as const) {
    for (const name of names) if (!refHeader.includes(name)) throw new CliError(`${flag} names column "${name}", which is not in ${referencePath}`);
  }

  const kinds = agreeKinds(...opinions);
  for (const [name, kind] of firm) kinds.set(name, kind);
  for (const [name, kind] of declared) kinds.set(name, kind);
  // Each side is profiled as soon as it is read, so one CSV table at most is in memory.
  const profiles: DatasetProfile[] = [];
  for (const side of sides) {
    const table = side.table ?? (await readOne(side.path, 'csv', options, kinds));
    side.table = null;
    if (table.rowCount === 0) throw new CliError(`${side.path} has no data rows: an empty side cannot be compared (it would pass any drift gate)`);
    profiles.push(toProfile(table, refHeader));
  }
  return { reference: profiles[0]!, current: profiles[1]! };
}

/** Profiles column by column, dropping each column once profiled to keep the peak memory low. */
function toProfile(table: TabularTable, order: readonly string[]): DatasetProfile {
  const features = new Map<string, FeatureProfile>();
  for (const name of order) {
    const column = table.columns.get(name)!;
    table.columns.delete(name);
    features.set(name, column.kind === 'numeric' ? numericInPlace(column.values) : categoricalProfile(column.values));
  }
  return { rows: table.rowCount, features };
}

/**
 * The numeric profile built in the column's own array: the table is ours and dropped right after,
 * so missing values are squeezed out in place and the rest sorted there, instead of
 * {@link numericProfile}'s copy (which must leave a caller's array untouched).
 */
function numericInPlace(values: Float64Array): FeatureProfile {
  let kept = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v - v === 0) values[kept++] = v; // finite: NaN and ±Infinity give NaN
  }
  return { kind: 'numeric', count: values.length, missing: values.length - kept, values: sortFloat64(values.subarray(0, kept)) };
}
