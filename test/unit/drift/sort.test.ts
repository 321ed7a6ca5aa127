import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSortedFloat64, radixSortFloat64, sortFloat64 } from '../../../src/drift/sort.js';
import { createRng } from '../../helpers/random.js';

/** Bitwise comparison: Object.is separates −0 from +0, which `toEqual` on numbers would not. */
function expectSameAsBuiltin(input: Float64Array): void {
  const expected = input.slice().sort();
  // Both the public entry (built-in below 8 192 values) and the radix path at every length.
  for (const actual of [sortFloat64(input.slice()), radixSortFloat64(input.slice())]) {
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
      -0, 0, Number.MIN_VALUE, -Number.MIN_VALUE, 2.2250738585072014e-308, -2.2250738585072014e-308, 1e-310, -1e-310,
      Number.MAX_VALUE, -Number.MAX_VALUE, Infinity, -Infinity, 1, -1, 0.5, -0.5,
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
