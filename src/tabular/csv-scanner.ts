import { parseError } from './errors.js';
import { createInterner, FNV_OFFSET, FNV_PRIME, type Interner } from './interner.js';
import type { NaMatcher } from './na.js';
import { parseDecimalBytes, POW10 } from './number.js';
import type { ColumnKind, NonNumericPolicy, TabularColumn, TabularTable, TabularWarning } from './types.js';

/**
 * A byte-level CSV scanner (RFC 4180: comma, double quotes with "" escapes, CRLF or LF) fed with
 * chunks. Numeric cells are parsed from the bytes into Float64Arrays; categorical cells are
 * interned. Each row is written at index `rows` and only counted once complete, so a row cut by
 * a chunk boundary is simply parsed again from its start when the next chunk arrives.
 */
export interface CsvScannerOptions {
  sourceName: string;
  na: NaMatcher;
  /** 'count': tally missing and non-numeric cells per column instead (type sampling). */
  nonNumeric: NonNumericPolicy | 'count';
  /** Decides the column kinds once the header is known. */
  kindsFor: (header: string[]) => ColumnKind[];
  /** Stop after this many data rows (type sampling). */
  maxRows?: number;
  /** Initial capacity of the columns, e.g. estimated from the file size. */
  expectedRows?: number;
}

export interface CsvScanner {
  /** Parses the complete rows of `chunk` (after what was left over); false once maxRows is reached. */
  feed(chunk: Buffer): boolean;
  /** Parses what is left as the last row. */
  end(): void;
  readonly header: string[] | null;
  readonly rows: number;
  /** Bytes consumed by the header and complete rows so far. */
  readonly bytesConsumed: number;
  table(): TabularTable;
  warnings(): TabularWarning[];
  /** Per column, under nonNumeric 'count': cells that were NA tokens and cells that were other text. */
  tallies(): { missing: number; other: number }[];
}

const COMMA = 44;
const LF = 10;
const CR = 13;
const QUOTE = 34;
/** Returned by the row parser when the buffer ends inside a row. */
const INCOMPLETE = -1;

export function createCsvScanner(options: CsvScannerOptions): CsvScanner {
  const { sourceName, na, nonNumeric } = options;
  const maxRows = options.maxRows ?? Infinity;
  let header: string[] | null = null;
  let kinds: ColumnKind[] = [];
  let numeric: (Float64Array | null)[] = [];
  let categorical: ((string | null)[] | null)[] = [];
  let interners: (Interner | null)[] = [];
  let capacity = Math.max(1024, options.expectedRows ?? 0);
  let rows = 0;
  let line = 1;
  let fed = 0;
  let started = false;
  let leftover: Buffer | null = null;
  let headerCells: string[] = [];
  const bad: { count: number; lastRow: number; firstLine: number; firstValue: string }[] = [];
  const tally: { missing: number; other: number; lastRow: number }[] = [];

  const fail = (detail: string, at: { line?: number; column?: string } = {}) => parseError(sourceName, detail, at);

  const startColumns = (names: string[]): void => {
    const seen = new Set<string>();
    names.forEach((name, j) => {
      if (name.length === 0) throw fail(`column ${j + 1} has an empty name in the header`, { line: 1 });
      if (seen.has(name)) throw fail(`column "${name}" appears twice in the header`, { line: 1 });
      seen.add(name);
    });
    header = names;
    kinds = options.kindsFor(names);
    numeric = kinds.map((k) => (k === 'numeric' ? new Float64Array(capacity) : null));
    // Pre-sized like the numeric columns, so writing row r never grows a holey array.
    categorical = kinds.map((k) => (k === 'categorical' ? new Array<string | null>(capacity).fill(null) : null));
    interners = kinds.map((k) => (k === 'categorical' ? createInterner(na.isNa) : null));
    names.forEach(() => {
      bad.push({ count: 0, lastRow: -1, firstLine: 0, firstValue: '' });
      tally.push({ missing: 0, other: 0, lastRow: -1 });
    });
  };

  const growNumeric = (): void => {
    capacity *= 2;
    numeric = numeric.map((col) => {
      if (!col) return null;
      const next = new Float64Array(capacity);
      next.set(col);
      return next;
    });
  };

  /** A numeric cell that is not a number: an NA token, an infinity, or a stray text. */
  const nonNumber = (j: number, text: string, rowLine: number): number => {
    const trimmed = text.trim();
    const missing = trimmed.length === 0 || na.isNumericNa(text) || Number(trimmed) === Infinity || Number(trimmed) === -Infinity;
    if (nonNumeric === 'count') {
      // A row cut by a chunk boundary is parsed twice: count each (row, column) once.
      const t = tally[j]!;
      if (t.lastRow !== rows) {
        t.lastRow = rows;
        if (missing) t.missing++;
        else t.other++;
      }
      return NaN;
    }
    if (missing) return NaN;
    if (nonNumeric === 'error') {
      throw fail(`"${text}" is not a number, but the column is numeric (as its sampled values are)`, {
        line: rowLine,
        column: header![j]!,
      });
    }
    const b = bad[j]!;
    if (b.lastRow !== rows) {
      if (b.count === 0) {
        b.firstLine = rowLine;
        b.firstValue = text;
      }
      b.count++;
      b.lastRow = rows;
    }
    return NaN;
  };

  const storeCell = (buf: Buffer, j: number, start: number, end: number, escaped: boolean, rowLine: number): void => {
    if (header === null) {
      const text = buf.toString('utf8', start, end);
      headerCells.push((escaped ? text.replaceAll('""', '"') : text).trim());
      return;
    }
    const col = numeric[j];
    if (col) {
      let v = escaped ? NaN : parseDecimalBytes(buf, start, end);
      if (v !== v) {
        const text = buf.toString('utf8', start, end);
        v = nonNumber(j, escaped ? text.replaceAll('""', '"') : text, rowLine);
      } else if (v === Infinity || v === -Infinity) v = NaN;
      col[rows] = v;
    } else {
      const interner = interners[j]!;
      categorical[j]![rows] = escaped ? interner.internString(buf.toString('utf8', start, end).replaceAll('""', '"')) : interner.intern(buf, start, end);
    }
  };

  /** Parses one row starting at `pos`; returns the position after it, or INCOMPLETE. */
  const parseRow = (buf: Buffer, pos: number, final: boolean): number => {
    const len = buf.length;
    const rowLine = line;
    let newlines = 0;
    let j = 0;
    const width = header === null ? Infinity : header.length;
    for (;;) {
      let start: number;
      let end: number;
      let escaped = false;
      if (pos < len && buf[pos] === QUOTE) {
        start = ++pos;
        for (;;) {
          if (pos >= len) {
            if (final) throw fail('a quoted field is never closed', { line: rowLine });
            return INCOMPLETE;
          }
          const c = buf[pos]!;
          if (c === QUOTE) {
            if (pos + 1 >= len && !final) return INCOMPLETE;
            if (buf[pos + 1] === QUOTE) {
              escaped = true;
              pos += 2;
              continue;
            }
            break;
          }
          if (c === LF) newlines++;
          pos++;
        }
        end = pos++;
        if (pos < len && buf[pos] !== COMMA && buf[pos] !== LF && buf[pos] !== CR) {
          throw fail('unexpected text after a closing quote', { line: rowLine + newlines });
        }
      } else {
        start = pos;
        while (pos < len) {
          const c = buf[pos]!;
          if (c === COMMA || c === LF || c === CR) break;
          pos++;
        }
        end = pos;
      }
      if (pos >= len && !final) return INCOMPLETE;
      if (j >= width) throw fail(`the row has more fields than the ${width} columns of the header`, { line: rowLine });
      storeCell(buf, j, start, end, escaped, rowLine);
      j++;
      if (pos >= len) break;
      const c = buf[pos]!;
      if (c === COMMA) {
        pos++;
        continue;
      }
      if (c === CR) {
        if (pos + 1 >= len && !final) return INCOMPLETE;
        pos += buf[pos + 1] === LF ? 2 : 1;
      } else pos++;
      break;
    }
    if (header === null) {
      startColumns(headerCells);
      headerCells = [];
    } else {
      if (j < width) throw fail(`the row has ${j} fields, the header has ${width} columns`, { line: rowLine });
      rows++;
      if (rows === capacity) growNumeric();
    }
    line += 1 + newlines;
    return pos;
  };

  /**
   * The hot loop for plain rows (no quotes, LF or CRLF endings): numbers are parsed while the
   * field is scanned, in one pass over its bytes, with the Clinger fast path inline. It returns
   * at the first row it does not handle plainly (a quote, a ragged row, the end of the buffer)
   * with that row unparsed, and {@link parseRow} takes it, errors included.
   */
  const fastRows = (buf: Buffer, start: number, limit: number): number => {
    const len = buf.length;
    const width = kinds.length;
    const last = width - 1;
    let pos = start;
    let row = rows;
    let cols = numeric;
    rowLoop: while (row < limit && pos < len) {
      const rowStart = pos;
      if (buf[pos] === LF || buf[pos] === CR) break;
      for (let j = 0; j < width; j++) {
        const fieldStart = pos;
        const col = cols[j];
        let c = 0;
        if (col) {
          let negative = false;
          let mantissa = 0;
          let digits = 0;
          let exponent = 0;
          if (buf[pos] === 45) {
            negative = true;
            pos++;
          }
          // At most 15 digits keep the mantissa exact (< 10¹⁵ < 2⁵³); longer ones take the slow path.
          for (; pos < len; pos++) {
            const d = buf[pos]! - 48;
            if (d < 0 || d > 9) break;
            mantissa = mantissa * 10 + d;
            digits++;
          }
          if (pos < len && buf[pos] === 46) {
            const fraction = ++pos;
            for (; pos < len; pos++) {
              const d = buf[pos]! - 48;
              if (d < 0 || d > 9) break;
              mantissa = mantissa * 10 + d;
            }
            digits += pos - fraction;
            exponent = fraction - pos;
          }
          if (pos >= len) {
            pos = rowStart;
            break rowLoop;
          }
          c = buf[pos]!;
          if ((c === COMMA || c === LF || c === CR) && digits > 0 && digits <= 15) {
            const v = exponent < 0 ? mantissa / POW10[-exponent]! : mantissa;
            col[row] = negative ? -v : v;
          } else {
            while (pos < len && (c = buf[pos]!) !== COMMA && c !== LF && c !== CR) {
              if (c === QUOTE) {
                pos = rowStart;
                break rowLoop;
              }
              pos++;
            }
            if (pos >= len) {
              pos = rowStart;
              break rowLoop;
            }
            if (buf[fieldStart] === QUOTE) {
              pos = rowStart;
              break rowLoop;
            }
            rows = row; // nonNumber's warnings are keyed by row
            let v = parseDecimalBytes(buf, fieldStart, pos);
            if (v !== v) v = nonNumber(j, buf.toString('utf8', fieldStart, pos), line);
            else if (v === Infinity || v === -Infinity) v = NaN;
            col[row] = v;
          }
        } else {
          // Hashed while scanned, so the interner does not read the bytes a second time.
          let hash = FNV_OFFSET;
          while (pos < len && (c = buf[pos]!) !== COMMA && c !== LF && c !== CR) {
            hash = Math.imul(hash ^ c, FNV_PRIME);
            pos++;
          }
          if (pos >= len || buf[fieldStart] === QUOTE) {
            pos = rowStart;
            break rowLoop;
          }
          categorical[j]![row] = interners[j]!.internHashed(buf, fieldStart, pos, hash);
        }
        // The field must end the way its position says: a comma before the last, a line end after it.
        if ((j < last) !== (c === COMMA)) {
          pos = rowStart;
          break rowLoop;
        }
        pos++;
      }
      if (buf[pos - 1] === CR) {
        if (pos >= len) {
          pos = rowStart;
          break;
        }
        if (buf[pos] === LF) pos++;
      }
      row++;
      line++;
      if (row === capacity) {
        rows = row;
        growNumeric();
        cols = numeric;
      }
    }
    rows = row;
    return pos;
  };

  const scan = (buf: Buffer, final: boolean): void => {
    let pos = 0;
    const len = buf.length;
    if (!started && len >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3; // UTF-8 BOM
    started = true;
    while (pos < len && rows < maxRows) {
      const c = buf[pos];
      if (c === LF || c === CR) {
        // Blank line: skipped, but still counted so later line numbers match an editor's.
        if (c === CR && pos + 1 >= len && !final) break;
        pos += c === CR && buf[pos + 1] === LF ? 2 : 1;
        line++;
        continue;
      }
      if (header !== null) {
        const after = fastRows(buf, pos, maxRows);
        if (after !== pos) {
          pos = after;
          continue;
        }
      } else headerCells = [];
      const next = parseRow(buf, pos, final);
      if (next === INCOMPLETE) break;
      pos = next;
    }
    leftover = pos < len ? buf.subarray(pos) : null;
  };

  return {
    feed(chunk) {
      const buf = leftover ? Buffer.concat([leftover, chunk]) : chunk;
      fed += chunk.length;
      scan(buf, false);
      return rows < maxRows;
    },
    end() {
      if (leftover && rows < maxRows) scan(leftover, true);
      if (header === null) throw fail('the input is empty (no header row)');
    },
    get header() {
      return header;
    },
    get rows() {
      return rows;
    },
    get bytesConsumed() {
      return fed - (leftover?.length ?? 0);
    },
    table() {
      const columns = new Map<string, TabularColumn>();
      (header ?? []).forEach((name, j) => {
        const num = numeric[j];
        if (num) columns.set(name, { kind: 'numeric', values: num.length === rows ? num : num.slice(0, rows) });
        else {
          const values = categorical[j]!;
          values.length = rows;
          columns.set(name, { kind: 'categorical', values });
        }
      });
      return { rowCount: rows, columns };
    },
    tallies() {
      return tally.map(({ missing, other }) => ({ missing, other }));
    },
    warnings() {
      return bad.flatMap((b, j) => (b.count > 0 ? [{ column: header![j]!, count: b.count, firstLine: b.firstLine, firstValue: b.firstValue }] : []));
    },
  };
}
