/**
 * Decimal numbers parsed straight from CSV bytes, with no per-cell string: the hot path of
 * reading a large numeric CSV.
 *
 * Accepted: optional spaces/tabs, sign, digits with an optional fraction (".5" and "5." too) and
 * exponent — what `Number()` accepts for decimals, minus hex/binary/octal and "Infinity", which
 * must not make a column numeric. With at most 15 significant digits and |exponent| ≤ 22 the
 * mantissa and the power of ten are exact doubles, so one multiplication or division is correctly
 * rounded (Clinger, "How to read floating point numbers accurately", PLDI 1990, the fast path).
 * 16 to 19 significant digits — what JavaScript and Python print for most doubles (shortest
 * round trip, up to 17) — are computed exactly enough in double-double arithmetic (error-free
 * products and sums, Dekker 1971) to round correctly, except within 2⁻³⁰ ulp of a halfway point,
 * where the answer could go either way: those, and anything longer, go through `Number()` on the
 * bytes, which rounds correctly too.
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
  // The first 15 significant digits in `mantissa` (exact), the next up to 4 in `tail`.
  let mantissa = 0;
  let tail = 0;
  let significant = 0;
  let digits = 0;
  let exponent = 0;
  for (; i < e; i++) {
    const d = b[i]! - 48;
    if (d < 0 || d > 9) break;
    if (significant > 0 || d !== 0) significant++;
    if (significant <= 15) mantissa = mantissa * 10 + d;
    else tail = tail * 10 + d;
    digits++;
  }
  if (i < e && b[i] === 46) {
    i++;
    for (; i < e; i++) {
      const d = b[i]! - 48;
      if (d < 0 || d > 9) break;
      if (significant > 0 || d !== 0) significant++;
      if (significant <= 15) mantissa = mantissa * 10 + d;
      else tail = tail * 10 + d;
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
  if (exponent >= -22 && exponent <= 22) {
    if (significant <= 15) {
      const v = exponent < 0 ? mantissa / POW10[-exponent]! : mantissa * POW10[exponent]!;
      return negative ? -v : v;
    }
    if (significant <= 19) {
      const v = longDecimal(mantissa, tail, significant - 15, exponent);
      if (v === v) return negative ? -v : v;
    }
  }
  return Number(latin1(b, s, e));
}

// Error-free transformations (Dekker; Knuth's TwoSum): a = hi + lo exactly, for doubles far from overflow.
const SPLITTER = 134217729; // 2^27 + 1
let lo = 0;
/** a × b = result + `lo`, exactly. */
function twoProduct(a: number, b: number): number {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  lo = al * bl - (p - ah * bh - al * bh - ah * bl);
  return p;
}
/** a + b = result + `lo`, exactly. */
function twoSum(a: number, b: number): number {
  const s = a + b;
  const bb = s - a;
  lo = a - (s - bb) + (b - bb);
  return s;
}

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
const HIGH = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0; // the word with sign and exponent

/**
 * (head · 10^tailDigits + tail) · 10^exponent correctly rounded, for head < 10¹⁵, tail < 10⁴,
 * |exponent| ≤ 22; NaN when the value is too close to halfway between two doubles to be sure
 * (the caller then asks `Number()`), or subnormal, or at a power of two.
 */
function longDecimal(head: number, tail: number, tailDigits: number, exponent: number): number {
  // w = head · 10^t + tail exactly, as wh + wl (w < 10¹⁹ < 2⁶⁴: integers, the low part small).
  const p = twoProduct(head, POW10[tailDigits]!);
  const pl = lo;
  const s = twoSum(p, tail);
  const wl0 = lo + pl; // two integers below ulp(p) ≤ 2¹¹: exact
  const wh = s + wl0;
  const wl = wl0 - (wh - s);
  let q1: number;
  let q2: number;
  if (exponent === 0) {
    q1 = wh;
    q2 = wl;
  } else if (exponent < 0) {
    // w / P as q1 + q2: q1 the rounded quotient, q2 the remainder (computed exactly up to ~2⁻¹⁰⁶ w) over P.
    const P = POW10[-exponent]!;
    q1 = wh / P;
    const ph = twoProduct(q1, P);
    const r = wh - ph - lo + wl;
    q2 = r / P;
  } else {
    const P = POW10[exponent]!;
    q1 = twoProduct(wh, P);
    q2 = lo + wl * P;
  }
  const x = twoSum(q1, q2);
  const t = lo;
  // x is round(q1 + q2); the true value differs from q1 + q2 by far less than 2⁻⁴⁰ ulp(x). It
  // rounds to x too unless q1 + q2 sits within that of halfway between x and a neighbour.
  bits[0] = x;
  const high = words[HIGH]!;
  const biased = (high >>> 20) & 0x7ff;
  if (biased <= 53 || biased === 0x7ff) return NaN; // subnormal-adjacent, infinite or NaN: let Number() decide
  if ((high & 0xfffff) === 0 && words[1 - HIGH] === 0) return NaN; // a power of two: the spacing differs on each side
  words[HIGH] = (biased - 52) << 20; // ulp(x) (positive, exponent only)
  words[1 - HIGH] = 0;
  const half = bits[0]! / 2;
  const margin = Math.abs(Math.abs(t) - half);
  return margin > half * 2 ** -29 ? x : NaN;
}

/** Text of a byte range; CSV delimiters and digits are ASCII, so latin1 is exact for numbers. */
function latin1(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
}
