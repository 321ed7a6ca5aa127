/**
 * Decimal numbers parsed straight from CSV bytes, with no per-cell string: the hot path of
 * reading a large numeric CSV.
 *
 * Accepted: optional spaces/tabs, sign, digits with an optional fraction (".5" and "5." too) and
 * exponent — what `Number()` accepts for decimals, minus hex/binary/octal and "Infinity", which
 * must not make a column numeric. With at most 15 significant digits and |exponent| ≤ 22 the
 * mantissa and the power of ten are exact doubles, so one multiplication or division is correctly
 * rounded (Clinger, "How to read floating point numbers accurately", PLDI 1990, the fast path);
 * anything longer goes through `Number()` on the bytes, which rounds correctly too.
 */
export const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

/** NaN when the bytes are not a decimal number; may return ±Infinity on overflow ("1e999"). */
export function parseDecimalBytes(b: Uint8Array, start: number, end: number): number {
  let s = start;
  let e = end;
  while (s < e && (b[s] === 32 || b[s] === 9)) s++;
  while (e > s && (b[e - 1] === 32 || b[e - 1] === 9)) e--;
  if (s === e) return NaN;
  let i = s;
  let negative = false;
  if (b[i] === 45) {
    negative = true;
    i++;
  } else if (b[i] === 43) i++;
  let mantissa = 0;
  let significant = 0;
  let digits = 0;
  let exponent = 0;
  for (; i < e; i++) {
    const d = b[i]! - 48;
    if (d < 0 || d > 9) break;
    if (significant > 0 || d !== 0) significant++;
    mantissa = mantissa * 10 + d;
    digits++;
  }
  if (i < e && b[i] === 46) {
    i++;
    for (; i < e; i++) {
      const d = b[i]! - 48;
      if (d < 0 || d > 9) break;
      if (significant > 0 || d !== 0) significant++;
      mantissa = mantissa * 10 + d;
      digits++;
      exponent--;
    }
  }
  if (digits === 0) return NaN;
  if (i < e && (b[i]! | 0x20) === 101) {
    i++;
    let expNegative = false;
    if (b[i] === 45) {
      expNegative = true;
      i++;
    } else if (b[i] === 43) i++;
    let exp = 0;
    const expStart = i;
    for (; i < e; i++) {
      const d = b[i]! - 48;
      if (d < 0 || d > 9) break;
      if (exp < 100_000) exp = exp * 10 + d;
    }
    if (i === expStart) return NaN;
    exponent += expNegative ? -exp : exp;
  }
  if (i !== e) return NaN;
  if (significant <= 15 && exponent >= -22 && exponent <= 22) {
    const v = exponent < 0 ? mantissa / POW10[-exponent]! : mantissa * POW10[exponent]!;
    return negative ? -v : v;
  }
  return Number(latin1(b, s, e));
}

/** Text of a byte range; CSV delimiters and digits are ASCII, so latin1 is exact for numbers. */
function latin1(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
}
