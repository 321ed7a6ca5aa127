import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kolmognSf } from '../../../src/drift/kolmogorov.js';
import { ksStatisticSorted, ksTwoSamplePValue, ksTwoSampleSorted } from '../../../src/drift/ks.js';

// Fixtures come from test/fixtures/drift/gen_ks.py (scipy.stats.ks_2samp / kstwo.sf).

type GenSpec =
  | { kind: 'uniform' | 'irwinhall'; seed: number; n: number; scale?: number; shift?: number }
  | { kind: 'int'; seed: number; n: number; k: number }
  | { kind: 'stride'; of: GenSpec; start: number; step: number };
type SampleJson = { data: number[] } | { gen: GenSpec; n: number; sum: number };
interface KsCase {
  name: string;
  a: SampleJson;
  b: SampleJson;
  statistic: number;
  pvalue: number;
  method: 'exact' | 'asymp';
}
interface KstwoCase {
  n: number;
  x: number;
  sf: number;
}

const fixture = <T>(file: string): T => JSON.parse(readFileSync(new URL(`../../fixtures/drift/${file}`, import.meta.url), 'utf8')) as T;

/** mulberry32 → u = k / 2^32; identical to the Python generator in gen_ks.py. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = ((t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t) >>> 0;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function genSample(spec: GenSpec): Float64Array {
  if (spec.kind === 'stride') {
    const base = genSample(spec.of).sort();
    const out: number[] = [];
    for (let i = spec.start; i < base.length; i += spec.step) out.push(base[i]!);
    return Float64Array.from(out);
  }
  const rnd = mulberry32(spec.seed);
  const out = new Float64Array(spec.n);
  const scale = 'scale' in spec && spec.scale !== undefined ? spec.scale : 1;
  const shift = 'shift' in spec && spec.shift !== undefined ? spec.shift : 0;
  for (let i = 0; i < spec.n; i++) {
    if (spec.kind === 'uniform') out[i] = rnd() * scale + shift;
    else if (spec.kind === 'irwinhall') out[i] = (rnd() + rnd() + rnd() + rnd() - 2) * scale + shift;
    else if (spec.kind === 'int') out[i] = Math.floor(rnd() * spec.k);
  }
  return out;
}

const cache = new Map<string, Float64Array>();
function loadSorted(s: SampleJson): Float64Array {
  if ('data' in s) return Float64Array.from(s.data).sort();
  const key = JSON.stringify(s.gen);
  let sorted = cache.get(key);
  if (!sorted) {
    const raw = genSample(s.gen);
    let sum = 0;
    for (const v of raw) sum += v;
    expect(raw.length).toBe(s.n);
    expect(sum).toBe(s.sum); // the replay is bit-identical to what scipy saw
    sorted = raw.sort();
    cache.set(key, sorted);
  }
  return sorted;
}

/** scipy's construction, literally: searchsorted(side='right') over the pooled data. */
function naiveStatistic(a: Float64Array, b: Float64Array): number {
  const countLe = (s: Float64Array, v: number): number => {
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid]! <= v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  let maxS = -Infinity;
  let minD = Infinity;
  for (const v of [...a, ...b]) {
    const diff = countLe(a, v) / a.length - countLe(b, v) / b.length;
    if (diff > maxS) maxS = diff;
    if (diff < minD) minD = diff;
  }
  const minS = Math.min(Math.max(-minD, 0), 1);
  return minS > maxS ? minS : maxS;
}

const ksCases = fixture<{ cases: KsCase[] }>('ks.json').cases;
const kstwoCases = fixture<{ cases: KstwoCase[] }>('kstwo.json').cases;

describe('ksTwoSampleSorted agrees with scipy.stats.ks_2samp', () => {
  let maxErrD = 0;
  let maxErrP = 0;
  for (const c of ksCases) {
    it(c.name, () => {
      const a = loadSorted(c.a);
      const b = loadSorted(c.b);
      const r = ksTwoSampleSorted(a, b);
      expect(Math.abs(r.statistic - c.statistic)).toBeLessThanOrEqual(1e-12);
      expect(Math.abs(r.pValue - c.pvalue)).toBeLessThanOrEqual(1e-6);
      if (c.pvalue > 1e-300 && c.pvalue < 1e-3) {
        expect(Math.abs(r.pValue - c.pvalue) / c.pvalue).toBeLessThanOrEqual(1e-6);
      }
      expect(r.method).toBe(c.method);
      const swapped = ksTwoSampleSorted(b, a);
      expect(swapped.statistic).toBe(r.statistic);
      expect(swapped.pValue).toBe(r.pValue);
      maxErrD = Math.max(maxErrD, Math.abs(r.statistic - c.statistic));
      maxErrP = Math.max(maxErrP, Math.abs(r.pValue - c.pvalue));
    });
  }
  it('reports the achieved tolerance', () => {
    console.log(`ks fixtures: max |ΔD| = ${maxErrD.toExponential(2)}, max |Δp| = ${maxErrP.toExponential(2)}`);
  });
});

describe('kolmognSf agrees with scipy.stats.kstwo.sf', () => {
  it(`${kstwoCases.length} (n, x) points`, () => {
    let worst = 0;
    for (const c of kstwoCases) {
      const sf = kolmognSf(c.n, c.x);
      const err = Math.abs(sf - c.sf);
      worst = Math.max(worst, err);
      expect(err, `n=${c.n} x=${c.x}`).toBeLessThanOrEqual(1e-6);
      if (c.sf > 1e-300 && c.sf < 1e-3) expect(err / c.sf, `n=${c.n} x=${c.x}`).toBeLessThanOrEqual(1e-6);
    }
    console.log(`kstwo fixtures: max |Δsf| = ${worst.toExponential(2)}`);
  });
});

describe('ksTwoSampleSorted edge cases', () => {
  it('throws RangeError on an empty sample', () => {
    expect(() => ksTwoSampleSorted(new Float64Array(0), Float64Array.of(1))).toThrow(RangeError);
    expect(() => ksTwoSampleSorted(Float64Array.of(1), new Float64Array(0))).toThrow(RangeError);
  });
  it('gives D = 0, p = 1 for identical constant columns in both regimes', () => {
    for (const [n, m] of [
      [5, 7],
      [20000, 300],
    ] as const) {
      const r = ksTwoSampleSorted(new Float64Array(n).fill(4.5), new Float64Array(m).fill(4.5));
      expect(r.statistic).toBe(0);
      expect(r.pValue).toBe(1);
    }
  });
});

const sampleArb = fc.array(fc.oneof(fc.integer({ min: -3, max: 3 }), fc.double({ min: -1e3, max: 1e3, noNaN: true, noDefaultInfinity: true })), {
  minLength: 1,
  maxLength: 60,
});
const sorted = (xs: number[]): Float64Array => Float64Array.from(xs).sort();

describe('ksTwoSampleSorted properties', () => {
  it('D equals the pooled searchsorted construction exactly (ties included)', () => {
    fc.assert(
      fc.property(sampleArb, sampleArb, (a, b) => {
        expect(ksStatisticSorted(sorted(a), sorted(b))).toBe(naiveStatistic(sorted(a), sorted(b)));
      }),
      { numRuns: 500, seed: 7 },
    );
  });

  it('D exact with a large tied reference and a small current sample', () => {
    const big = fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 500, maxLength: 3000 });
    const small = fc.array(
      fc.integer({ min: -1, max: 9 }).map((v) => v / 1),
      { minLength: 1, maxLength: 30 },
    );
    fc.assert(
      fc.property(big, small, (a, b) => {
        expect(ksStatisticSorted(sorted(a), sorted(b))).toBe(naiveStatistic(sorted(a), sorted(b)));
      }),
      { numRuns: 100, seed: 8 },
    );
  });

  it('D ∈ [0, 1], p ∈ [0, 1], symmetric, never NaN, invariant to input order', () => {
    fc.assert(
      fc.property(sampleArb, sampleArb, fc.integer(), (a, b, seed) => {
        const r = ksTwoSampleSorted(sorted(a), sorted(b));
        expect(r.statistic).toBeGreaterThanOrEqual(0);
        expect(r.statistic).toBeLessThanOrEqual(1);
        expect(r.pValue).toBeGreaterThanOrEqual(0);
        expect(r.pValue).toBeLessThanOrEqual(1);
        const s = ksTwoSampleSorted(sorted(b), sorted(a));
        expect(s).toEqual(r);
        const rnd = mulberry32(seed);
        const shuffled = [...a].sort(() => rnd() - 0.5);
        expect(ksTwoSampleSorted(sorted(shuffled), sorted(b))).toEqual(r);
      }),
      { numRuns: 300, seed: 9 },
    );
  });

  it('p falls as a location shift grows (both regimes)', () => {
    for (const [n, m] of [
      [400, 300],
      [30000, 2000],
    ] as const) {
      const normal = normalSource(1234 + n);
      const a = Float64Array.from({ length: n }, normal).sort();
      // the current sample is a stride through the reference, so D starts near 0 and can only grow
      const b0 = Float64Array.from({ length: m }, (_, i) => a[Math.floor(((i + 0.5) * n) / m)]!);
      let prevP = 1;
      let prevD = 0;
      for (const shift of [0, 0.02, 0.05, 0.1, 0.2, 0.4, 0.8]) {
        const r = ksTwoSampleSorted(a, b0.map((v) => v + shift).sort());
        expect(r.pValue).toBeLessThanOrEqual(prevP);
        expect(r.statistic).toBeGreaterThanOrEqual(prevD);
        prevP = r.pValue;
        prevD = r.statistic;
      }
      expect(prevP).toBeLessThan(1e-10);
    }
  });
});

describe('p-value as a function of D', () => {
  it('is non-increasing in D across every method switch (exact, kstwo branches)', () => {
    for (const n of [1, 3, 10, 140, 141, 4878, 9901, 99999, 1_000_000]) {
      let prev = 1;
      const steps = n > 100_000 ? 250 : 1000;
      for (let i = 0; i <= steps; i++) {
        const p = kolmognSf(n, i / steps);
        expect(p, `kstwo n=${n} x=${i / steps}`).toBeLessThanOrEqual(prev);
        prev = p;
      }
    }
    for (const [n1, n2] of [
      [200, 300],
      [333, 2000],
      [1_000_000, 10_000],
      [12_000, 9],
    ] as const) {
      let prev = 1;
      for (let i = 0; i <= 100; i++) {
        const p = ksTwoSamplePValue(i / 100, n1, n2).pValue;
        expect(p, `ks ${n1} vs ${n2} D=${i / 100}`).toBeLessThanOrEqual(prev);
        prev = p;
      }
    }
  });
});

/** Box–Muller over mulberry32 (test data only; not replayed in Python). */
function normalSource(seed: number): () => number {
  const rnd = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
}

describe('calibration under the null', () => {
  it('rejects 3.5 %–6.5 % of 1 000 same-distribution draws at α = 0.05 (200 vs 300)', () => {
    const normal = normalSource(20240601);
    let rejections = 0;
    for (let i = 0; i < 1000; i++) {
      const a = Float64Array.from({ length: 200 }, normal).sort();
      const b = Float64Array.from({ length: 300 }, normal).sort();
      const r = ksTwoSampleSorted(a, b);
      expect(Number.isNaN(r.pValue)).toBe(false);
      if (r.pValue < 0.05) rejections++;
    }
    console.log(`KS null rejection rate at α = 0.05: ${(rejections / 10).toFixed(1)} %`);
    expect(rejections / 1000).toBeGreaterThanOrEqual(0.035);
    expect(rejections / 1000).toBeLessThanOrEqual(0.065);
  });
});
