import { sfc32 } from '../../src/drift/sfc32.js';

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
  // 15 outputs discarded so nearby seeds decorrelate.
  const next32 = sfc32(0x9e3779b9, 0x243f6a88, 0xb7e15162, seed >>> 0, 15);
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
