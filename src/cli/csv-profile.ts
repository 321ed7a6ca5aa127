import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { parse } from 'csv-parse';
import { sortFloat64 } from '../drift/sort.js';
import { parseFiniteNumber, type DatasetProfile, type FeatureProfile } from '../drift/profile.js';
import { CliError } from './errors.js';

/**
 * Streams a CSV file into drift profiles without ever holding the file, or a row-level copy of a
 * categorical column, in memory:
 * - numeric columns go into a growable Float64Array (8 bytes a cell: 1 M rows × 20 columns is
 *   160 MB at most), sorted at the end;
 * - categorical columns only keep their category counts.
 * A column is numeric while every non-empty cell parses as a finite number. When a column turns
 * out categorical after numeric cells were already read, their original text is gone (keeping
 * every raw string "just in case" would cost ~40 bytes a cell), so that column alone is
 * re-counted in a second pass. Whitespace-only cells are empty, i.e. missing.
 */

class Float64Builder {
  private buf = new Float64Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }
  /** Exact-size copy; the builder's spare capacity is released with it. */
  finish(): Float64Array {
    return this.buf.slice(0, this.length);
  }
}

interface NumericAcc {
  kind: 'numeric';
  values: Float64Builder;
  missing: number;
}

interface CategoricalAcc {
  kind: 'categorical';
  counts: Map<string, number>;
  missing: number;
  /** True when the column became categorical mid-file: counts miss the earlier rows. */
  partial: boolean;
}

type Acc = NumericAcc | CategoricalAcc;

export interface CsvScan {
  path: string;
  header: string[];
  rows: number;
  columns: Map<string, Acc>;
}

const numericAcc = (): NumericAcc => ({ kind: 'numeric', values: new Float64Builder(), missing: 0 });
const categoricalAcc = (partial = false): CategoricalAcc => ({ kind: 'categorical', counts: new Map(), missing: 0, partial });

/**
 * One streamed pass over `path`. Columns in `categorical` are counted as categories from the
 * start; `only`, when given, limits the pass to those columns (used for re-counting).
 */
export async function scanCsv(path: string, categorical: ReadonlySet<string>, only?: ReadonlySet<string>): Promise<CsvScan> {
  try {
    await access(path);
  } catch {
    throw new CliError(`cannot read file ${path}: it does not exist or is not readable`);
  }
  const parser = createReadStream(path).pipe(
    parse({ bom: true, skip_empty_lines: true, relax_column_count: false }),
  );
  let header: string[] | null = null;
  let accs: Acc[] = [];
  let rows = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (header === null) {
        header = record.map((h) => h.trim());
        checkHeader(path, header);
        accs = header.map((name) => (categorical.has(name) ? categoricalAcc() : numericAcc()));
        continue;
      }
      rows++;
      for (let j = 0; j < record.length; j++) {
        if (only && !only.has(header[j]!)) continue;
        const cell = record[j]!;
        const acc = accs[j]!;
        if (acc.kind === 'numeric') {
          // Parse first: the common numeric cell then costs no blank check.
          const v = parseFiniteNumber(cell);
          if (!Number.isNaN(v)) {
            acc.values.push(v);
            continue;
          }
          if (isBlank(cell)) {
            acc.missing++;
            continue;
          }
          accs[j] = categoricalAcc(true);
        }
        const cat = accs[j] as CategoricalAcc;
        if (isBlank(cell)) cat.missing++;
        else cat.counts.set(cell, (cat.counts.get(cell) ?? 0) + 1);
      }
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new CliError(`cannot parse CSV ${path}: ${message}`);
  }
  if (header === null) throw new CliError(`cannot parse CSV ${path}: the file is empty (no header row)`);
  const columns = new Map<string, Acc>();
  header.forEach((name, j) => {
    if (!only || only.has(name)) columns.set(name, accs[j]!);
  });
  return { path, header, rows, columns };
}

function isBlank(cell: string): boolean {
  return cell.length === 0 || (cell.charCodeAt(0) <= 32 && cell.trim().length === 0);
}

function checkHeader(path: string, header: string[]): void {
  const seen = new Set<string>();
  for (const [j, name] of header.entries()) {
    if (name.length === 0) throw new CliError(`cannot parse CSV ${path}: column ${j + 1} has an empty name in the header`);
    if (seen.has(name)) throw new CliError(`cannot parse CSV ${path}: column "${name}" appears twice in the header`);
    seen.add(name);
  }
}

/**
 * Reads the reference and current files into profiles with one type per column: numeric only if
 * numeric in both files and not listed in `categorical`. Columns present in one file only are an
 * error (exit 2), since the comparison would silently skip them.
 */
export async function readCsvPair(
  referencePath: string,
  currentPath: string,
  categorical: ReadonlySet<string>,
): Promise<{ reference: DatasetProfile; current: DatasetProfile }> {
  const ref = await scanCsv(referencePath, categorical);
  const cur = await scanCsv(currentPath, categorical);
  const onlyRef = ref.header.filter((h) => !cur.columns.has(h));
  const onlyCur = cur.header.filter((h) => !ref.columns.has(h));
  if (onlyRef.length > 0 || onlyCur.length > 0) {
    const parts = [
      ...onlyRef.map((h) => `"${h}" is only in ${referencePath}`),
      ...onlyCur.map((h) => `"${h}" is only in ${currentPath}`),
    ];
    throw new CliError(`column mismatch: ${parts.join('; ')}`);
  }
  for (const name of categorical) {
    if (!ref.columns.has(name)) throw new CliError(`--categorical names column "${name}", which is not in ${referencePath}`);
  }
  const categoricalNames = new Set(ref.header.filter((h) => ref.columns.get(h)!.kind === 'categorical' || cur.columns.get(h)!.kind === 'categorical'));
  return {
    reference: await finishProfile(ref, categoricalNames),
    current: await finishProfile(cur, categoricalNames),
  };
}

/** Re-counts columns that must be categorical but were (partly) read as numbers, then builds the profile. */
async function finishProfile(scan: CsvScan, categorical: ReadonlySet<string>): Promise<DatasetProfile> {
  const recount = new Set<string>();
  for (const [name, acc] of scan.columns) {
    if (categorical.has(name) && (acc.kind === 'numeric' || acc.partial)) recount.add(name);
  }
  if (recount.size > 0) {
    const again = await scanCsv(scan.path, recount, recount);
    for (const name of recount) scan.columns.set(name, again.columns.get(name)!);
  }
  const features = new Map<string, FeatureProfile>();
  for (const name of scan.header) {
    const acc = scan.columns.get(name)!;
    if (acc.kind === 'numeric') {
      features.set(name, { kind: 'numeric', count: scan.rows, missing: acc.missing, values: sortFloat64(acc.values.finish()) });
    } else {
      features.set(name, { kind: 'categorical', count: scan.rows, missing: acc.missing, counts: acc.counts });
    }
  }
  return { rows: scan.rows, features };
}
