/**
 * The WebAssembly path of ./sort.ts (see the comment there for the algorithm and why wasm):
 * hand-assembled kernels, the module/instance cache and {@link wasmSort}, the driver.
 */

/** Sub-buckets above this size are sorted with the built-in sort instead of insertion sort. */
const BIG = 48;

// A tiny assembler: each helper returns the bytes of one instruction.

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
const add = 0x6a,
  sub = 0x6b,
  and = 0x71,
  or = 0x72,
  xor = 0x73,
  shl = 0x74,
  shrS = 0x75,
  shrU = 0x76;
const ltS = 0x48,
  ltU = 0x49,
  gtS = 0x4a,
  geU = 0x4f,
  clz = 0x67,
  fgt = 0x64,
  select = 0x1b;
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
      block(
        loop(
          get(0),
          get(1),
          geU,
          brIf(1),
          get(0),
          ld32(4),
          set(3),
          topDigit(3),
          i32c(2),
          shl,
          get(2),
          add,
          tee(3),
          get(3),
          ld32(),
          i32c(1),
          add,
          st32(),
          get(0),
          i32c(8),
          add,
          set(0),
          br(0),
        ),
      ),
    ],
  },
  {
    // scatter(p, end, dst, counts): dst[counts[topDigit]++] = *p. counts hold bucket starts.
    name: 'scatter',
    params: [I32, I32, I32, I32],
    locals: [I64, I32, I32],
    results: [],
    body: [
      block(
        loop(
          get(0),
          get(1),
          geU,
          brIf(1),
          get(0),
          ld64(),
          tee(4),
          hiWord,
          set(5),
          topDigit(5),
          i32c(2),
          shl,
          get(3),
          add,
          tee(6),
          get(6),
          ld32(),
          tee(5),
          i32c(1),
          add,
          st32(),
          get(5),
          i32c(3),
          shl,
          get(2),
          add,
          get(4),
          st64(),
          get(0),
          i32c(8),
          add,
          set(0),
          br(0),
        ),
      ),
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
      i32c(0),
      set(10),
      block(loop(get(10), get(5), gtS, brIf(1), get(10), i32c(2), shl, get(7), add, i32c(0), st32(), get(10), i32c(1), add, set(10), br(0))),
      get(2),
      i32c(3),
      shl,
      get(0),
      add,
      set(8),
      get(3),
      i32c(3),
      shl,
      get(0),
      add,
      set(9),
      block(
        loop(
          get(8),
          get(9),
          geU,
          brIf(1),
          get(8),
          ld32(4),
          set(15),
          subDigit(15),
          tee(13),
          get(13),
          ld32(),
          i32c(1),
          add,
          st32(),
          get(8),
          i32c(8),
          add,
          set(8),
          br(0),
        ),
      ),
      get(2),
      set(11),
      i32c(0),
      set(12),
      i32c(0),
      set(10),
      block(
        loop(
          get(10),
          get(5),
          gtS,
          brIf(1),
          get(10),
          i32c(2),
          shl,
          get(7),
          add,
          tee(15),
          ld32(),
          set(13),
          get(13),
          get(12),
          get(13),
          get(12),
          gtS,
          select,
          set(12),
          get(15),
          get(11),
          st32(),
          get(11),
          get(13),
          add,
          set(11),
          get(10),
          i32c(1),
          add,
          set(10),
          br(0),
        ),
      ),
      get(2),
      i32c(3),
      shl,
      get(0),
      add,
      set(8),
      block(
        loop(
          get(8),
          get(9),
          geU,
          brIf(1),
          get(8),
          ld64(),
          tee(14),
          hiWord,
          set(15),
          subDigit(15),
          tee(13),
          get(13),
          ld32(),
          tee(15),
          i32c(1),
          add,
          st32(),
          get(15),
          i32c(3),
          shl,
          get(1),
          add,
          get(14),
          st64(),
          get(8),
          i32c(8),
          add,
          set(8),
          br(0),
        ),
      ),
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
      get(0),
      i32c(8),
      add,
      set(0),
      block(
        loop(
          get(0),
          get(1),
          geU,
          brIf(1),
          get(0),
          ldf(),
          set(2),
          get(0),
          i32c(8),
          sub,
          set(3),
          get(3),
          ldf(),
          get(2),
          fgt,
          if_(loop(get(3), get(3), ldf(), stf(8), get(3), i32c(8), sub, tee(3), ldf(), get(2), fgt, brIf(0)), get(3), get(2), stf(8)),
          get(0),
          i32c(8),
          add,
          set(0),
          br(0),
        ),
      ),
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
      i32c(0),
      set(6),
      i32c(0),
      set(7),
      i32c(0),
      set(13),
      block(
        loop(
          get(6),
          i32c(65536),
          geU,
          brIf(1),
          get(6),
          i32c(2),
          shl,
          get(0),
          add,
          ld32(),
          tee(8),
          get(7),
          sub,
          tee(9),
          if_(
            // width = clamp(floor(log2 m) + 1, 2, MAX_WIDTH): sub-buckets average ≤ 1 element.
            i32c(32),
            get(9),
            clz,
            sub,
            tee(10),
            i32c(2),
            get(10),
            i32c(2),
            gtS,
            select,
            tee(10),
            i32c(MAX_WIDTH),
            get(10),
            i32c(MAX_WIDTH),
            ltS,
            select,
            set(10),
            i32c(1),
            get(10),
            shl,
            i32c(1),
            sub,
            set(11),
            get(1),
            get(2),
            get(7),
            get(8),
            i32c(16),
            get(10),
            sub,
            get(11),
            // Negative buckets (top digit < 0x8000) have every key bit flipped.
            get(11),
            i32c(0),
            get(6),
            i32c(0x8000),
            ltU,
            select,
            get(3),
            call(2),
            tee(12),
            get(5),
            gtS,
            if_(
              get(7),
              set(14),
              i32c(0),
              set(16),
              block(
                loop(
                  get(16),
                  get(11),
                  gtS,
                  brIf(1),
                  get(16),
                  i32c(2),
                  shl,
                  get(3),
                  add,
                  ld32(),
                  tee(15),
                  get(14),
                  sub,
                  get(5),
                  gtS,
                  if_(get(13), i32c(3), shl, get(4), add, tee(9), get(14), st32(), get(9), get(15), st32(4), get(13), i32c(1), add, set(13)),
                  get(15),
                  set(14),
                  get(16),
                  i32c(1),
                  add,
                  set(16),
                  br(0),
                ),
              ),
            ),
          ),
          get(8),
          set(7),
          get(6),
          i32c(1),
          add,
          set(6),
          br(0),
        ),
      ),
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
    0x00,
    0x61,
    0x73,
    0x6d,
    1,
    0,
    0,
    0,
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
export function wasmSort(src: Float64Array, dst: Float64Array, finiteOnly: boolean): boolean | null {
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
