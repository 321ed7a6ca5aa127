/**
 * Seeded randomness for tests and benchmarks: reproducible across runs and machines, unlike
 * Math.random. sfc32 (Doty-Humphrey's Small Fast Counting generator, PractRand-clean) drives
 * 53-bit uniforms; normals come from the Marsaglia polar method.
 */
export interface Rng {
  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number;
  /** Standard normal N(0, 1) unless mean/sd given. */
  normal(mean?: number, sd?: number): number;
  /** Integer in [0, n). */
  int(n: number): number;
  normals(n: number, mean?: number, sd?: number): Float64Array;
}

export function createRng(seed: number): Rng {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Discard the first outputs so nearby seeds decorrelate.
  for (let i = 0; i < 15; i++) next32();
  const uniform = (): number => ((next32() >>> 5) * 67108864 + (next32() >>> 6)) / 9007199254740992;
  let spare: number | null = null;
  const standard = (): number => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    for (;;) {
      const u = 2 * uniform() - 1;
      const v = 2 * uniform() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const f = Math.sqrt((-2 * Math.log(s)) / s);
        spare = v * f;
        return u * f;
      }
    }
  };
  return {
    uniform,
    normal: (mean = 0, sd = 1) => mean + sd * standard(),
    int: (n: number) => Math.floor(uniform() * n),
    normals(n: number, mean = 0, sd = 1): Float64Array {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = mean + sd * standard();
      return out;
    },
  };
}

/** Fisher–Yates shuffle of a copy, driven by `rng`. */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
