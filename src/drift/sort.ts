/**
 * Fast ascending sort of a Float64Array, used to build reference profiles.
 *
 * V8's built-in `Float64Array.prototype.sort` is a comparison sort, ~7× slower than numpy's SIMD
 * sort on 1 M values, while a profile build must not be slower than `np.sort`. So we sort by the
 * IEEE-754 bit pattern with a most-significant-digit radix sort:
 *
 *   key(x) = bits(x) XOR (x < 0 ? 0xFFFF…FF : 0x8000…00)
 *
 * maps doubles to unsigned 64-bit integers in the same order as their values (Herf, "Radix
 * Tricks", 2001): negatives get every bit flipped (so larger magnitudes sort first), positives get
 * the sign bit set (so they sort after all negatives). −0 sorts before +0, as the built-in does.
 *
 * Algorithm (two MSD levels + one insertion pass):
 *  1. histogram of the top 16 key bits (sign, 11 exponent bits, 4 mantissa bits), then scatter
 *     into those 65 536 buckets. Real data concentrates into a few hundred of them, so the scatter
 *     has few live write streams.
 *  2. each bucket (now cache-resident) is scattered again by its next w mantissa bits, w ≈
 *     log2(bucket size) + 1, so sub-buckets average under one element. Within one first-level
 *     bucket all values share sign and exponent, so plain `<` on the doubles is the exact order.
 *     Sub-buckets larger than {@link BIG} (heavy ties, very concentrated data) are sorted with the
 *     built-in sort, which is correct there because they hold a single sign (no −0/+0 pair).
 *  3. one insertion-sort pass over the whole array: every element is already in its final
 *     sub-bucket, so it only moves inside it (`>` never moves −0 past +0, and sub-buckets hold at
 *     most BIG elements, so the pass is O(n · BIG) at worst and ~1 compare per element typically).
 *
 * Why WebAssembly: the same algorithm in plain JS (kept below as {@link jsRadixSortFloat64}, the
 * fallback) measured ~40–50 ms for 1 M normal values on the 2-core dev VM, against ~17–24 ms for
 * numpy's np.sort: every JS typed-array pass costs 2.5–10 ns per element (bounds checks, no 64-bit
 * integers). The kernels below are hand-assembled wasm (no toolchain dependency, <1 KB) that run
 * the identical algorithm on a 64-bit word per element without bounds checks; measured 17–23 ms
 * (bench/drift.ts, including the copies in and out of wasm memory) against np.sort's 13.6–16.8 ms
 * in the same runs: ratio ~1.25–1.7, not yet the ≤ 1.0 target. Single-threaded, like numpy.
 * The first call runs V8's baseline wasm tier and is slower; later calls use the optimized tier.
 * Correctness never depends on the radix levels being right, only speed: step 3 is a complete
 * insertion sort, the radix passes only make it cheap.
 *
 * Input must not contain NaN (profiles drop missing values before sorting).
 */

/**
 * Below this length the built-in sort wins: the radix sort has a fixed cost (65 536-entry count
 * table, prefix sum, a 256 KB zero-fill), measured break-even between 5 000 and 10 000 values.
 */
const SMALL = 8192;
/** Sub-buckets above this size are sorted with the built-in sort instead of insertion sort. */
const BIG = 48;

/**
 * Sorts `values` ascending in place and returns it. NaN must not occur.
 * `scratch`, when given, must have at least `values.length` elements and is clobbered (only the
 * plain-JS fallback uses it).
 */
export function sortFloat64(values: Float64Array, scratch?: Float64Array): Float64Array {
  if (values.length < SMALL) return values.sort();
  return radixSortFloat64(values, scratch);
}

/** The radix path of {@link sortFloat64} at any length (exported so tests can drive it directly). */
export function radixSortFloat64(values: Float64Array, scratch?: Float64Array): Float64Array {
  if (wasmSort(values, values, false)) return values;
  return jsRadixSortFloat64(values, scratch);
}

/**
 * A new ascending copy of `src`, or null when `src` holds NaN or ±Infinity (then nothing was
 * sorted). The profile build uses it on complete Float64Array columns: the finiteness check rides
 * on the radix histogram (non-finite values are exactly the top-digit buckets 0x0000–0x000F and
 * 0xFFF0–0xFFFF), so no separate scan or copy of the column is made.
 */
export function sortedFiniteCopy(src: Float64Array): Float64Array | null {
  const n = src.length;
  if (n >= SMALL) {
    const out = new Float64Array(n);
    const done = wasmSort(src, out, true);
    if (done === null) return null;
    if (done) return out;
  }
  for (let i = 0; i < n; i++) if (!Number.isFinite(src[i]!)) return null;
  return sortFloat64(src.slice());
}

// ---------------------------------------------------------------------------------------------
// WebAssembly kernels. A tiny assembler: each helper returns the bytes of one instruction.

const I32 = 0x7f;
const I64 = 0x7e;
const F64 = 0x7c;
type Code = Array<number | Code>;
const flat = (c: Code): number[] => c.flatMap((x) => (typeof x === 'number' ? [x] : flat(x)));
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}
const get = (i: number): Code => [0x20, ...uleb(i)];
const set = (i: number): Code => [0x21, ...uleb(i)];
const tee = (i: number): Code => [0x22, ...uleb(i)];
const i32c = (v: number): Code => [0x41, ...sleb(v | 0)];
const ld32 = (off = 0): Code => [0x28, 2, ...uleb(off)];
const ld64 = (off = 0): Code => [0x29, 3, ...uleb(off)];
const ldf = (off = 0): Code => [0x2b, 3, ...uleb(off)];
const st32 = (off = 0): Code => [0x36, 2, ...uleb(off)];
const st64 = (off = 0): Code => [0x37, 3, ...uleb(off)];
const stf = (off = 0): Code => [0x39, 3, ...uleb(off)];
const block = (...b: Code): Code => [0x02, 0x40, ...b, 0x0b];
const loop = (...b: Code): Code => [0x03, 0x40, ...b, 0x0b];
const if_ = (...b: Code): Code => [0x04, 0x40, ...b, 0x0b];
const br = (l: number): Code => [0x0c, l];
const brIf = (l: number): Code => [0x0d, l];
const call = (f: number): Code => [0x10, ...uleb(f)];
const add = 0x6a, sub = 0x6b, and = 0x71, or = 0x72, xor = 0x73, shl = 0x74, shrS = 0x75, shrU = 0x76;
const ltS = 0x48, ltU = 0x49, gtS = 0x4a, geU = 0x4f, clz = 0x67, fgt = 0x64, select = 0x1b;
const hiWord: Code = [0x42, 32, 0x88, 0xa7]; // i64.const 32; i64.shr_u; i32.wrap_i64

/** Top 16 key bits from the hi word in local t: (t ^ ((t >> 31) | 0x80000000)) >>> 16. */
const topDigit = (t: number): Code => [get(t), get(t), i32c(31), shrS, i32c(-2147483648), or, xor, i32c(16), shrU];

interface Fn {
  name: string;
  params: number[];
  locals: number[];
  results: number[];
  body: Code;
}

/** Widest second-level digit (hi-word bits 15…3); the sub-bucket count table has 2^13 entries. */
const MAX_WIDTH = 13;

const FUNCS: Fn[] = [
  {
    // hist(p, end, counts): counts[topDigit]++ for each double in [p, end).
    name: 'hist',
    params: [I32, I32, I32],
    locals: [I32],
    results: [],
    body: [
      block(loop(get(0), get(1), geU, brIf(1),
        get(0), ld32(4), set(3),
        topDigit(3), i32c(2), shl, get(2), add, tee(3), get(3), ld32(), i32c(1), add, st32(),
        get(0), i32c(8), add, set(0), br(0))),
    ],
  },
  {
    // scatter(p, end, dst, counts): dst[counts[topDigit]++] = *p. counts hold bucket starts.
    name: 'scatter',
    params: [I32, I32, I32, I32],
    locals: [I64, I32, I32],
    results: [],
    body: [
      block(loop(get(0), get(1), geU, brIf(1),
        get(0), ld64(), tee(4), hiWord, set(5),
        topDigit(5), i32c(2), shl, get(3), add, tee(6), get(6), ld32(), tee(5), i32c(1), add, st32(),
        get(5), i32c(3), shl, get(2), add, get(4), st64(),
        get(0), i32c(8), add, set(0), br(0))),
    ],
  },
  {
    // split(src, dst, start, end, shift, mask, flip, counts) → largest sub-bucket. Scatters
    // src[start, end) into dst[start, end) by ((hi >> shift) & mask) ^ flip; afterwards
    // counts[d] is the end index of sub-bucket d. Locals: 8 p, 9 pEnd, 10 d, 11 sum, 12 max,
    // 13 c / address, 14 v, 15 hi / address.
    name: 'split',
    params: [I32, I32, I32, I32, I32, I32, I32, I32],
    locals: [I32, I32, I32, I32, I32, I32, I64, I32],
    results: [I32],
    body: [
      i32c(0), set(10),
      block(loop(get(10), get(5), gtS, brIf(1),
        get(10), i32c(2), shl, get(7), add, i32c(0), st32(),
        get(10), i32c(1), add, set(10), br(0))),
      get(2), i32c(3), shl, get(0), add, set(8),
      get(3), i32c(3), shl, get(0), add, set(9),
      block(loop(get(8), get(9), geU, brIf(1),
        get(8), ld32(4), set(15), subDigit(15), tee(13), get(13), ld32(), i32c(1), add, st32(),
        get(8), i32c(8), add, set(8), br(0))),
      get(2), set(11), i32c(0), set(12), i32c(0), set(10),
      block(loop(get(10), get(5), gtS, brIf(1),
        get(10), i32c(2), shl, get(7), add, tee(15), ld32(), set(13),
        get(13), get(12), get(13), get(12), gtS, select, set(12),
        get(15), get(11), st32(), get(11), get(13), add, set(11),
        get(10), i32c(1), add, set(10), br(0))),
      get(2), i32c(3), shl, get(0), add, set(8),
      block(loop(get(8), get(9), geU, brIf(1),
        get(8), ld64(), tee(14), hiWord, set(15),
        subDigit(15), tee(13), get(13), ld32(), tee(15), i32c(1), add, st32(),
        get(15), i32c(3), shl, get(1), add, get(14), st64(),
        get(8), i32c(8), add, set(8), br(0))),
      get(12),
    ],
  },
  {
    // insertion(p, end): insertion sort of the doubles in [p, end); p − 8 must hold −Infinity
    // (sentinel, so the inner loop needs no bounds test). Locals: 2 v, 3 q.
    name: 'insertion',
    params: [I32, I32],
    locals: [F64, I32],
    results: [],
    body: [
      get(0), i32c(8), add, set(0),
      block(loop(get(0), get(1), geU, brIf(1),
        get(0), ldf(), set(2), get(0), i32c(8), sub, set(3),
        get(3), ldf(), get(2), fgt, if_(
          loop(get(3), get(3), ldf(), stf(8), get(3), i32c(8), sub, tee(3), ldf(), get(2), fgt, brIf(0)),
          get(3), get(2), stf(8)),
        get(0), i32c(8), add, set(0), br(0))),
    ],
  },
  {
    // level2(ends, src, dst, sub, todo, big) → number of (start, end) pairs written to todo: the
    // sub-buckets larger than big, left for the built-in sort. ends[d] = end index of top bucket
    // d. Locals: 6 d, 7 start, 8 end, 9 m / address, 10 width, 11 mask, 12 max, 13 nTodo, 14 s,
    // 15 e, 16 k.
    name: 'level2',
    params: [I32, I32, I32, I32, I32, I32],
    locals: [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32],
    results: [I32],
    body: [
      i32c(0), set(6), i32c(0), set(7), i32c(0), set(13),
      block(loop(get(6), i32c(65536), geU, brIf(1),
        get(6), i32c(2), shl, get(0), add, ld32(), tee(8), get(7), sub, tee(9),
        if_(
          // width = clamp(floor(log2 m) + 1, 2, MAX_WIDTH): sub-buckets average ≤ 1 element.
          i32c(32), get(9), clz, sub, tee(10), i32c(2), get(10), i32c(2), gtS, select,
          tee(10), i32c(MAX_WIDTH), get(10), i32c(MAX_WIDTH), ltS, select, set(10),
          i32c(1), get(10), shl, i32c(1), sub, set(11),
          get(1), get(2), get(7), get(8), i32c(16), get(10), sub, get(11),
          // Negative buckets (top digit < 0x8000) have every key bit flipped.
          get(11), i32c(0), get(6), i32c(0x8000), ltU, select,
          get(3), call(2), tee(12), get(5), gtS,
          if_(
            get(7), set(14), i32c(0), set(16),
            block(loop(get(16), get(11), gtS, brIf(1),
              get(16), i32c(2), shl, get(3), add, ld32(), tee(15), get(14), sub, get(5), gtS,
              if_(get(13), i32c(3), shl, get(4), add, tee(9), get(14), st32(), get(9), get(15), st32(4),
                get(13), i32c(1), add, set(13)),
              get(15), set(14), get(16), i32c(1), add, set(16), br(0))))),
        get(8), set(7), get(6), i32c(1), add, set(6), br(0))),
      get(13),
    ],
  },
];

/** Second-level digit address from the hi word in local t: counts + 4·(((t >> shift) & mask) ^ flip). */
function subDigit(t: number): Code {
  return [get(t), get(4), shrS, get(5), and, get(6), xor, i32c(2), shl, get(7), add];
}

function moduleBytes(): Uint8Array {
  const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
  const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
  const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
  const types = FUNCS.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]);
  const code = FUNCS.map((f) => {
    const body = [...vec(f.locals.map((t) => [1, t])), ...flat(f.body), 0x0b];
    return [...uleb(body.length), ...body];
  });
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, vec(types)),
    ...section(3, vec(FUNCS.map((_, i) => uleb(i)))),
    ...section(5, vec([[0x00, 1]])), // memory 0: 1 page initially, grown on demand
    ...section(7, vec([[...name('memory'), 2, 0], ...FUNCS.map((f, i) => [...name(f.name), 0, i])])),
    ...section(10, vec(code)),
  ]);
}

/**
 * The slice of the WebAssembly JS API used here, declared locally: the project's tsconfig has no
 * DOM lib and @types/node does not declare the global `WebAssembly` namespace.
 */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

interface Engine {
  memory: WasmMemory;
  hist(p: number, end: number, counts: number): void;
  scatter(p: number, end: number, dst: number, counts: number): void;
  level2(ends: number, src: number, dst: number, sub: number, todo: number, big: number): number;
  insertion(p: number, end: number): void;
}

let wasmModule: object | null | undefined;
/**
 * The instance (and its memory, 16 bytes per element of the largest array sorted) is held weakly,
 * so an idle process gets the memory back at the next GC instead of keeping it for good.
 */
let engineRef: WeakRef<Engine> | undefined;

function engine(): Engine | null {
  const cached = engineRef?.deref();
  if (cached) return cached;
  if (wasmModule === undefined) {
    try {
      wasmModule = wasmApi ? new wasmApi.Module(moduleBytes()) : null;
    } catch {
      wasmModule = null; // e.g. --jitless: use the JS fallback
    }
  }
  if (wasmModule === null || !wasmApi) return null;
  const e = new wasmApi.Instance(wasmModule).exports as Engine;
  engineRef = new WeakRef(e);
  return e;
}

// Memory layout (bytes): top-level counts (2^16 × 4), sub-bucket counts (2^13 × 4), the todo list
// of big sub-buckets, one sentinel double, then the data (A) and the scratch (B) regions.
const COUNTS = 0;
const SUB = COUNTS + 4 * 65536;
const TODO = SUB + 4 * (1 << MAX_WIDTH);

/**
 * Sorts `src` into `dst` (may be the same array) with the wasm kernels. Returns false when wasm is
 * unavailable or the memory cannot grow (caller falls back), and — only when `finiteOnly` — null if
 * `src` holds a non-finite value (then `dst` is untouched).
 */
function wasmSort(src: Float64Array, dst: Float64Array, finiteOnly: boolean): boolean | null {
  const e = engine();
  if (e === null) return false;
  const n = src.length;
  const a = TODO + 8 * (Math.floor(n / (BIG + 1)) + 2) + 8;
  const b = a + 8 * n;
  const need = b + 8 * n;
  const memory = e.memory;
  if (memory.buffer.byteLength < need) {
    try {
      memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
    } catch {
      return false; // beyond wasm32's 4 GB
    }
  }
  const f64 = new Float64Array(memory.buffer);
  const i32 = new Int32Array(memory.buffer);
  const a8 = a / 8;
  f64.set(src, a8);
  i32.fill(0, COUNTS / 4, COUNTS / 4 + 65536);
  e.hist(a, b, COUNTS);
  if (finiteOnly) {
    for (let d = 0; d < 16; d++) if (i32[d]! !== 0 || i32[0xfff0 + d]! !== 0) return null;
  }
  let sum = 0;
  for (let d = 0; d < 65536; d++) {
    const c = i32[d]!;
    i32[d] = sum;
    sum += c;
  }
  e.scatter(a, b, b, COUNTS); // A → B; counts[d] ends as the end index of bucket d
  const todo = e.level2(COUNTS, b, a, SUB, TODO, BIG); // B → A
  for (let k = 0; k < todo; k++) {
    f64.subarray(a8 + i32[TODO / 4 + 2 * k]!, a8 + i32[TODO / 4 + 2 * k + 1]!).sort();
  }
  f64[a8 - 1] = -Infinity;
  e.insertion(a, b);
  dst.set(f64.subarray(a8, a8 + n));
  return true;
}

// ---------------------------------------------------------------------------------------------
// Plain-JS fallback (no WebAssembly): the same two MSD levels, ~2.5× slower.

/** Sub-buckets up to this size are finished by insertion sort (JS fallback). */
const INSERTION = 48;
const TOP_BITS = 16;

/** The JS radix path, used when WebAssembly is unavailable (exported so tests can drive it). */
export function jsRadixSortFloat64(values: Float64Array, scratch?: Float64Array): Float64Array {
  const n = values.length;
  const tmp = scratch && scratch.length >= n ? scratch : new Float64Array(n);
  // Int32 views: keeping words signed keeps V8 on 32-bit integer arithmetic (uint32 values above
  // 2^31 would be boxed as doubles).
  const words = int32View(values);
  const counts = new Int32Array(1 << TOP_BITS);
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1]!;
    counts[(hi ^ ((hi >> 31) | 0x80000000)) >>> 16]!++;
  }
  // Bucket start offsets; `ends` keeps them after the scatter has advanced `counts`.
  let sum = 0;
  const starts = new Int32Array(1 << TOP_BITS);
  for (let d = 0; d < 1 << TOP_BITS; d++) {
    const c = counts[d]!;
    starts[d] = sum;
    counts[d] = sum;
    sum += c;
  }
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1]!;
    tmp[counts[(hi ^ ((hi >> 31) | 0x80000000)) >>> 16]!++] = values[i]!;
  }
  const tmpWords = int32View(tmp);
  const sub = new Int32Array(1 << 11);
  for (let d = 0; d < 1 << TOP_BITS; d++) {
    const start = starts[d]!;
    const end = counts[d]!;
    const m = end - start;
    if (m === 0) continue;
    if (m <= INSERTION) {
      insertionSort(tmp, start, end);
      values.set(tmp.subarray(start, end), start);
    } else {
      // Negative buckets (top digit < 0x8000) have every key bit flipped.
      splitBucket(tmp, tmpWords, values, start, end, sub, d < 0x8000);
    }
  }
  return values;
}

/**
 * Second MSD level: scatters tmp[start, end) into values[start, end) by the next mantissa bits
 * (hi word bits 15…16−w), w chosen so sub-buckets average 2–4 elements (measured best: a wider
 * digit only adds prefix-sum work, a narrower one more insertion sort), then finishes each one.
 */
function splitBucket(
  src: Float64Array,
  srcWords: Int32Array,
  dst: Float64Array,
  start: number,
  end: number,
  counts: Int32Array,
  negative: boolean,
): void {
  const m = end - start;
  const width = Math.min(11, Math.max(3, 31 - Math.clz32(m) - 1));
  const shift = 16 - width;
  const mask = (1 << width) - 1;
  const radix = 1 << width;
  const flip = negative ? mask : 0;
  counts.fill(0, 0, radix);
  for (let i = start; i < end; i++) counts[((srcWords[2 * i + 1]! >> shift) & mask) ^ flip]!++;
  let sum = start;
  for (let d = 0; d < radix; d++) {
    const c = counts[d]!;
    counts[d] = sum;
    sum += c;
  }
  for (let i = start; i < end; i++) {
    dst[counts[((srcWords[2 * i + 1]! >> shift) & mask) ^ flip]!++] = src[i]!;
  }
  // counts[d] is now the end of sub-bucket d.
  let s = start;
  for (let d = 0; d < radix; d++) {
    const e = counts[d]!;
    const k = e - s;
    if (k > 1) {
      if (k <= INSERTION) insertionSort(dst, s, e);
      // Heavily tied or very concentrated data: the built-in sort is correct here because every
      // value in the sub-bucket has the same sign (so no −0/+0 pair), and it is O(k log k).
      else dst.subarray(s, e).sort();
    }
    s = e;
  }
}

function insertionSort(a: Float64Array, start: number, end: number): void {
  for (let j = start + 1; j < end; j++) {
    const v = a[j]!;
    let i = j - 1;
    while (i >= start && a[i]! > v) {
      a[i + 1] = a[i]!;
      i--;
    }
    a[i + 1] = v;
  }
}

function int32View(a: Float64Array): Int32Array {
  return new Int32Array(a.buffer, a.byteOffset, a.length * 2);
}

/** True when `a` is ascending in the order `sortFloat64` produces (−0 before +0). */
export function isSortedFloat64(a: Float64Array): boolean {
  for (let i = 1; i < a.length; i++) {
    const p = a[i - 1]!;
    const c = a[i]!;
    if (p > c || (p === 0 && c === 0 && Object.is(p, 0) && Object.is(c, -0))) return false;
  }
  return true;
}
