import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSortedFloat64, jsRadixSortFloat64, radixSortFloat64, sortedFiniteCopy, sortFloat64 } from '../../../src/drift/sort.js';
import { createRng } from '../../helpers/random.js';

/** Bitwise comparison: Object.is separates −0 from +0, which `toEqual` on numbers would not. */
function expectSameAsBuiltin(input: Float64Array): void {
  const expected = input.slice().sort();
  // The public entry (built-in below 8 192 values), the radix path at every length (wasm), the
  // plain-JS fallback, and the copying entry the profile build uses (input must stay unchanged).
  const before = input.slice();
  const finite = input.every((v) => Number.isFinite(v));
  const copy = sortedFiniteCopy(input);
  for (let i = 0; i < input.length; i++) if (!Object.is(input[i], before[i])) throw new Error('sortedFiniteCopy modified its input');
  if (finite) expect(copy).not.toBeNull();
  else expect(copy).toBeNull();
  const results = [sortFloat64(input.slice()), radixSortFloat64(input.slice()), jsRadixSortFloat64(input.slice())];
  if (copy) results.push(copy);
  for (const actual of results) {
    expect(actual.length).toBe(expected.length);
    for (let i = 0; i < expected.length; i++) {
      if (!Object.is(actual[i], expected[i])) throw new Error(`index ${i}: ${actual[i]} vs ${expected[i]}`);
    }
    expect(isSortedFloat64(actual)).toBe(true);
  }
}

describe('sortFloat64', () => {
  const rng = createRng(7);

  it('matches the built-in sort on large normal, uniform, lognormal and integer data', () => {
    const normal = rng.normals(200_000);
    expectSameAsBuiltin(normal);
    expectSameAsBuiltin(normal.map((v) => Math.abs(v) % 1));
    expectSameAsBuiltin(normal.map((v) => Math.exp(4 * v)));
    expectSameAsBuiltin(normal.map((v) => Math.round(v * 3)));
    expectSameAsBuiltin(normal.map((v) => -Math.abs(v)));
  });

  it('handles −0 and +0, subnormals, extremes and ±Infinity', () => {
    const specials = [
      -0,
      0,
      Number.MIN_VALUE,
      -Number.MIN_VALUE,
      2.2250738585072014e-308,
      -2.2250738585072014e-308,
      1e-310,
      -1e-310,
      Number.MAX_VALUE,
      -Number.MAX_VALUE,
      Infinity,
      -Infinity,
      1,
      -1,
      0.5,
      -0.5,
    ];
    const big = new Float64Array(5000);
    for (let i = 0; i < big.length; i++) big[i] = specials[rng.int(specials.length)]! * (rng.uniform() < 0.5 ? 1 : 3);
    expectSameAsBuiltin(big);
    expectSameAsBuiltin(Float64Array.from(specials));
  });

  it('handles heavy duplicates and values sharing their top bits (built-in fallback path)', () => {
    const dup = new Float64Array(10_000).map(() => rng.int(3));
    expectSameAsBuiltin(dup);
    const tight = rng.normals(50_000).map((v) => 1 + v * 1e-12);
    expectSameAsBuiltin(tight);
  });

  it('handles already sorted, reversed, tiny and empty arrays', () => {
    const asc = Float64Array.from({ length: 3000 }, (_, i) => i - 1500.5);
    expectSameAsBuiltin(asc);
    expectSameAsBuiltin(asc.slice().reverse());
    expectSameAsBuiltin(new Float64Array(0));
    expectSameAsBuiltin(Float64Array.of(3));
    expectSameAsBuiltin(Float64Array.of(2, -0, 0, -1));
  });

  it('matches the built-in sort across sizes and distributions', () => {
    const sizes = [1, 2, 7, 100, 8191, 8192, 8193, 20_000, 70_001];
    const gens: Record<string, (n: number) => Float64Array> = {
      normal: (n) => rng.normals(n, 3, 10),
      uniform: (n) => Float64Array.from({ length: n }, () => rng.uniform()),
      negUniform: (n) => Float64Array.from({ length: n }, () => -rng.uniform() * 1e6),
      heavyTies: (n) => Float64Array.from({ length: n }, () => rng.int(20) - 10),
      allEqual: (n) => new Float64Array(n).fill(-2.5),
      allZeroMixedSign: (n) => Float64Array.from({ length: n }, () => (rng.uniform() < 0.5 ? -0 : 0)),
      exponential: (n) => Float64Array.from({ length: n }, () => -Math.log(1 - rng.uniform())),
      heavyTail: (n) => Float64Array.from({ length: n }, () => (rng.uniform() < 0.5 ? -1 : 1) / rng.uniform() ** 3),
      logUniformWide: (n) => Float64Array.from({ length: n }, () => (rng.uniform() < 0.5 ? -1 : 1) * 2 ** (rng.uniform() * 2000 - 1000)),
      subnormal: (n) => Float64Array.from({ length: n }, () => (rng.uniform() - 0.5) * 1e-310),
      sorted: (n) => rng.normals(n).sort(),
      reversed: (n) => rng.normals(n).sort().reverse(),
      tight: (n) => rng.normals(n).map((v) => 1 + v * 1e-13),
      withInfinities: (n) => rng.normals(n).map((v, i) => (i % 97 === 0 ? (i % 2 ? Infinity : -Infinity) : v)),
    };
    for (const [, gen] of Object.entries(gens)) for (const n of sizes) expectSameAsBuiltin(gen(n));
  });

  it('sortedFiniteCopy returns null on NaN or ±Infinity at any size', () => {
    for (const n of [10, 10_000]) {
      for (const bad of [NaN, Infinity, -Infinity, -NaN]) {
        const x = rng.normals(n);
        x[rng.int(n)] = bad;
        expect(sortedFiniteCopy(x)).toBeNull();
      }
    }
  });

  it('uses a caller scratch buffer when big enough', () => {
    const x = rng.normals(1000);
    const scratch = new Float64Array(2000);
    expectSameAsBuiltin(x);
    const y = sortFloat64(x.slice(), scratch);
    expect(isSortedFloat64(y)).toBe(true);
  });

  it('agrees with the built-in sort on arbitrary doubles (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true }), { minLength: 0, maxLength: 3000 }), (xs) => {
        expectSameAsBuiltin(Float64Array.from(xs));
      }),
      { numRuns: 200 },
    );
  });
});
