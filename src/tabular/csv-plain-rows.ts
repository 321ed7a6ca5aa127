import { FNV_OFFSET, FNV_PRIME, type Interner } from './interner.js';
import type { NonNumberHandler } from './non-numeric.js';
import { parseDecimalBytes, POW10 } from './number.js';

/** The column storage and position a CSV scanner shares with its hot loop. */
export interface ScanState {
  /** Per column: its Float64Array when numeric, else null. */
  numeric: (Float64Array | null)[];
  /** Per column: its label array when categorical, else null. */
  categorical: ((string | null)[] | null)[];
  interners: (Interner | null)[];
  capacity: number;
  /** Complete data rows so far; row `rows` is the one being written. */
  rows: number;
  /** 1-based line of the next row. */
  line: number;
  /** Doubles `capacity`, replacing the column arrays. */
  grow(): void;
  nonNumber: NonNumberHandler;
}

const COMMA = 44;
const LF = 10;
const CR = 13;
const QUOTE = 34;

/**
 * The hot loop for plain rows (no quotes, LF or CRLF endings): numbers are parsed while the
 * field is scanned, in one pass over its bytes, with the Clinger fast path inline (at most 15
 * digits: an exact mantissa, one correctly rounded division). It returns at the first row it
 * does not handle plainly (a quote, a ragged row, the end of the buffer) with that row unparsed;
 * the scanner's RFC 4180 path takes it from there, errors included. State lives in locals during
 * the loop and is written back at the end.
 */
export function scanPlainRows(buf: Buffer, start: number, limit: number, s: ScanState): number {
  const len = buf.length;
  const width = s.numeric.length;
  const last = width - 1;
  let pos = start;
  let row = s.rows;
  let line = s.line;
  let cols = s.numeric;
  let cats = s.categorical;
  const interners = s.interners;
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
          let v = parseDecimalBytes(buf, fieldStart, pos);
          if (v !== v) v = s.nonNumber.handle(j, buf.toString('utf8', fieldStart, pos), row, line);
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
        cats[j]![row] = interners[j]!.internHashed(buf, fieldStart, pos, hash);
      }
      // The field must end the way its position says: a comma before the last, a line end after it.
      if (j < last !== (c === COMMA)) {
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
    if (row === s.capacity) {
      s.rows = row;
      s.grow();
      cols = s.numeric;
      cats = s.categorical;
    }
  }
  s.rows = row;
  s.line = line;
  return pos;
}
