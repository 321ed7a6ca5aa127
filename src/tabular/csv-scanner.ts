import { parseError } from './errors.js';
import { createInterner } from './interner.js';
import type { NaMatcher } from './na.js';
import { scanPlainRows, type ScanState } from './csv-plain-rows.js';
import { createNonNumberHandler, type NonNumberHandler } from './non-numeric.js';
import { parseDecimalBytes } from './number.js';
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
  const s: ScanState = {
    numeric: [],
    categorical: [],
    interners: [],
    capacity: Math.max(1024, options.expectedRows ?? 0),
    rows: 0,
    line: 1,
    grow: () => growColumns(),
    // Set right below: its error message needs `fail` and the header.
    nonNumber: null as unknown as NonNumberHandler,
  };
  let fed = 0;
  let started = false;
  // The unparsed tail of the last chunk (a row cut by the chunk boundary) is copied to the start
  // of `work`, and the next chunk after it. Chunks are never kept: a reader may reuse its buffer,
  // and a fresh concatenation per chunk left ~150 MB of garbage behind on a 140 MB file.
  let work = Buffer.alloc(0);
  let carry = 0;
  let headerCells: string[] = [];

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
    s.numeric = kinds.map((k) => (k === 'numeric' ? new Float64Array(s.capacity) : null));
    // Pre-sized like the numeric columns, so writing row r never grows a holey array.
    s.categorical = kinds.map((k) => (k === 'categorical' ? new Array<string | null>(s.capacity).fill(null) : null));
    s.interners = kinds.map((k) => (k === 'categorical' ? createInterner(na.isNa) : null));
  };

  const growColumns = (): void => {
    s.capacity *= 2;
    s.numeric = s.numeric.map((col: Float64Array | null) => {
      if (!col) return null;
      const next = new Float64Array(s.capacity);
      next.set(col);
      return next;
    });
  };

  const nonNumber = (s.nonNumber = createNonNumberHandler(na, nonNumeric, (j, text, rowLine) =>
    fail(`"${text}" is not a number, but the column is numeric (as its sampled values are)`, { line: rowLine, column: header![j]! }),
  ));

  const storeCell = (buf: Buffer, j: number, start: number, end: number, escaped: boolean, rowLine: number): void => {
    if (header === null) {
      const text = buf.toString('utf8', start, end);
      headerCells.push((escaped ? text.replaceAll('""', '"') : text).trim());
      return;
    }
    const col = s.numeric[j];
    if (col) {
      let v = escaped ? NaN : parseDecimalBytes(buf, start, end);
      if (v !== v) {
        const text = buf.toString('utf8', start, end);
        v = nonNumber.handle(j, escaped ? text.replaceAll('""', '"') : text, s.rows, rowLine);
      } else if (v === Infinity || v === -Infinity) v = NaN;
      col[s.rows] = v;
    } else {
      const interner = s.interners[j]!;
      s.categorical[j]![s.rows] = escaped ? interner.internString(buf.toString('utf8', start, end).replaceAll('""', '"')) : interner.intern(buf, start, end);
    }
  };

  /** Parses one row starting at `pos`; returns the position after it, or INCOMPLETE. */
  const parseRow = (buf: Buffer, pos: number, final: boolean): number => {
    const len = buf.length;
    const rowLine = s.line;
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
      s.rows++;
      if (s.rows === s.capacity) growColumns();
    }
    s.line += 1 + newlines;
    return pos;
  };

  const scan = (buf: Buffer, final: boolean): void => {
    let pos = 0;
    const len = buf.length;
    if (!started && len >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3; // UTF-8 BOM
    started = true;
    while (pos < len && s.rows < maxRows) {
      const c = buf[pos];
      if (c === LF || c === CR) {
        // Blank line: skipped, but still counted so later line numbers match an editor's.
        if (c === CR && pos + 1 >= len && !final) break;
        pos += c === CR && buf[pos + 1] === LF ? 2 : 1;
        s.line++;
        continue;
      }
      if (header !== null) {
        const after = scanPlainRows(buf, pos, maxRows, s);
        if (after !== pos) {
          pos = after;
          continue;
        }
      } else headerCells = [];
      const next = parseRow(buf, pos, final);
      if (next === INCOMPLETE) break;
      pos = next;
    }
    carry = len - pos;
    if (carry > 0) {
      if (buf.buffer === work.buffer && buf.byteOffset === work.byteOffset) work.copyWithin(0, pos, len);
      else {
        if (work.length < carry) work = Buffer.allocUnsafe(Math.max(carry * 2, 1 << 16));
        buf.copy(work, 0, pos, len);
      }
    }
  };

  return {
    feed(chunk) {
      let buf = chunk;
      if (carry > 0) {
        if (work.length < carry + chunk.length) {
          const next = Buffer.allocUnsafe(Math.max(2 * (carry + chunk.length), 1 << 16));
          work.copy(next, 0, 0, carry);
          work = next;
        }
        chunk.copy(work, carry);
        buf = work.subarray(0, carry + chunk.length);
      }
      fed += chunk.length;
      scan(buf, false);
      return s.rows < maxRows;
    },
    end() {
      if (carry > 0 && s.rows < maxRows) scan(work.subarray(0, carry), true);
      if (header === null) throw fail('the input is empty (no header row)');
    },
    get header() {
      return header;
    },
    get rows() {
      return s.rows;
    },
    get bytesConsumed() {
      return fed - carry;
    },
    table() {
      const columns = new Map<string, TabularColumn>();
      (header ?? []).forEach((name, j) => {
        const num = s.numeric[j];
        // A view when the estimate was close (no 8 MB copy per column), a copy when much was spare.
        if (num) columns.set(name, { kind: 'numeric', values: num.length - s.rows <= num.length / 4 ? num.subarray(0, s.rows) : num.slice(0, s.rows) });
        else {
          const values = s.categorical[j]!;
          values.length = s.rows;
          columns.set(name, { kind: 'categorical', values });
        }
      });
      return { rowCount: s.rows, columns };
    },
    tallies() {
      const t = nonNumber.tallies();
      return (header ?? []).map((_, j) => t[j] ?? { missing: 0, other: 0 });
    },
    warnings() {
      return nonNumber.warnings(header ?? []);
    },
  };
}
