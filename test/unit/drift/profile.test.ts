import { describe, expect, it } from 'vitest';
import { deserializeProfile, encodeSorted, serializeProfile } from '../../../src/drift/codec.js';
import {
  buildProfile,
  inferFeatureType,
  mergeProfiles,
  parseFiniteNumber,
  type DatasetProfile,
  type NumericFeatureProfile,
} from '../../../src/drift/profile.js';
import { createRng } from '../../helpers/random.js';

function sameBits(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function expectSameProfile(a: DatasetProfile, b: DatasetProfile): void {
  expect(a.rows).toBe(b.rows);
  expect([...a.features.keys()].sort()).toEqual([...b.features.keys()].sort());
  for (const [name, fa] of a.features) {
    const fb = b.features.get(name)!;
    expect(fa.kind).toBe(fb.kind);
    expect(fa.count).toBe(fb.count);
    expect(fa.missing).toBe(fb.missing);
    if (fa.kind === 'numeric' && fb.kind === 'numeric') expect(sameBits(fa.values, fb.values)).toBe(true);
    if (fa.kind === 'categorical' && fb.kind === 'categorical') {
      expect(new Map([...fa.counts].sort())).toEqual(new Map([...fb.counts].sort()));
    }
  }
}

describe('building profiles', () => {
  it('counts missing cells: null, undefined, NaN, "", ±Infinity and non-numbers in numeric columns', () => {
    const p = buildProfile({ x: [1, null, undefined, NaN, '', Infinity, -Infinity, '2.5', 'abc', -0, 3] }, { x: 'numeric' });
    const x = p.features.get('x') as NumericFeatureProfile;
    expect(x.count).toBe(11);
    expect(x.missing).toBe(7);
    expect(Array.from(x.values)).toEqual([-0, 1, 2.5, 3]);
    expect(Object.is(x.values[0], -0)).toBe(true);
  });

  it('profiles large Float64Array columns with and without non-finite values like the reference path', () => {
    const rng = createRng(11);
    for (const bad of [null, NaN, Infinity, -Infinity]) {
      const col = rng.normals(20_000);
      if (bad !== null) for (let i = 0; i < col.length; i += 101) col[i] = bad;
      col[5] = -0;
      col[6] = 0;
      const before = col.slice();
      const f = buildProfile({ x: col }).features.get('x') as NumericFeatureProfile;
      const expected = col.filter((v) => Number.isFinite(v)).sort();
      expect(sameBits(col, before)).toBe(true);
      expect(f.count).toBe(col.length);
      expect(f.missing).toBe(col.length - expected.length);
      expect(sameBits(f.values, expected)).toBe(true);
    }
  });

  it('counts categorical missing and categories', () => {
    const p = buildProfile({ c: ['a', 'b', null, 'a', '', 1, true] }, { c: 'categorical' });
    const c = p.features.get('c')!;
    expect(c.kind).toBe('categorical');
    if (c.kind !== 'categorical') return;
    expect(c.missing).toBe(2);
    expect(c.counts).toEqual(
      new Map([
        ['a', 2],
        ['b', 1],
        ['1', 1],
        ['true', 1],
      ]),
    );
  });

  it('infers types the way the CLI rule says', () => {
    expect(inferFeatureType(['1', ' 2.5 ', '', null, '-3e2'])).toBe('numeric');
    expect(inferFeatureType([1, 2, 'x'])).toBe('categorical');
    expect(inferFeatureType(['0x10'])).toBe('categorical');
    expect(inferFeatureType(['Infinity'])).toBe('categorical');
    expect(inferFeatureType(new Float64Array(3))).toBe('numeric');
    expect(parseFiniteNumber(' ')).toBeNaN();
    expect(parseFiniteNumber('1e3')).toBe(1000);
  });

  it('rejects columns of different lengths', () => {
    expect(() => buildProfile({ a: [1, 2], b: [1] })).toThrow(RangeError);
  });

  it('keeps category names like __proto__ safely', () => {
    const p = buildProfile({ c: ['__proto__', 'constructor', '__proto__'] }, { c: 'categorical' });
    const round = deserializeProfile(JSON.parse(JSON.stringify(serializeProfile(p))));
    const c = round.features.get('c')!;
    expect(c.kind === 'categorical' && c.counts.get('__proto__')).toBe(2);
  });
});

describe('merging profiles', () => {
  const rng = createRng(11);
  const makeColumns = (n: number) => ({
    x: Array.from({ length: n }, () => (rng.uniform() < 0.1 ? null : rng.uniform() < 0.05 ? -0 : Math.round(rng.normal() * 100) / 10)),
    c: Array.from({ length: n }, () => (rng.uniform() < 0.05 ? null : ['a', 'b', 'c', 'd'][rng.int(4)]!)),
  });

  it('equals the profile of the concatenated rows, bit for bit', () => {
    const types = { x: 'numeric', c: 'categorical' } as const;
    const a = makeColumns(3000);
    const b = makeColumns(1700);
    const merged = mergeProfiles(buildProfile(a, types), buildProfile(b, types));
    const whole = buildProfile({ x: [...a.x, ...b.x], c: [...a.c, ...b.c] }, types);
    expectSameProfile(merged, whole);
  });

  it('counts rows of a part that lacks a feature as missing', () => {
    const merged = mergeProfiles(buildProfile({ x: [1, 2, 3] }), buildProfile({ y: ['a', 'b'] }, { y: 'categorical' }));
    expect(merged.rows).toBe(5);
    expect(merged.features.get('x')).toMatchObject({ count: 5, missing: 2 });
    expect(merged.features.get('y')).toMatchObject({ count: 5, missing: 3 });
  });

  it('refuses to merge a numeric with a categorical feature', () => {
    expect(() => mergeProfiles(buildProfile({ x: [1] }), buildProfile({ x: ['a'] }, { x: 'categorical' }))).toThrow(TypeError);
  });
});

describe('serialising profiles', () => {
  const rng = createRng(5);

  it('round-trips every bit, including −0, subnormals, extremes and ties', () => {
    const values = [
      -Number.MAX_VALUE,
      -1e300,
      -2,
      -1e-310,
      -Number.MIN_VALUE,
      -0,
      -0,
      0,
      Number.MIN_VALUE,
      1e-310,
      1,
      1,
      1,
      Math.PI,
      Number.MAX_VALUE,
      ...Array.from(rng.normals(5000)),
    ];
    const p = buildProfile({ x: values, c: values.map((v) => (v > 0 ? 'pos' : 'neg')), m: values.map(() => null) }, { c: 'categorical', m: 'numeric' });
    const json = JSON.stringify(serializeProfile(p));
    expectSameProfile(deserializeProfile(JSON.parse(json)), p);
  });

  it('stays compact: about 5 bytes a value for continuous data, ≤ 10 MB for 1 M values', () => {
    const x = rng.normals(100_000);
    const p = buildProfile({ x });
    const size = JSON.stringify(serializeProfile(p)).length;
    expect(size).toBeLessThan(100_000 * 10);
    // Projected to 1 M values (the bench measures the real thing).
    expect(size * 10).toBeLessThan(10 * 1024 * 1024);
  });

  it('rejects malformed input with a TypeError', () => {
    const good = serializeProfile(buildProfile({ x: [1, 2, 3] }));
    expect(() => deserializeProfile(null)).toThrow(TypeError);
    expect(() => deserializeProfile({ ...good, format: 'other' })).toThrow(TypeError);
    const feature = good.features[0]!;
    expect(() => deserializeProfile({ ...good, features: [{ ...feature, values: encodeSorted(Float64Array.of(1, 2)) }] })).toThrow(TypeError);
    expect(() => deserializeProfile({ ...good, features: [{ ...feature, count: 2 }] })).toThrow(TypeError);
    expect(() => deserializeProfile({ ...good, features: [{ ...feature, values: '////////////' }] })).toThrow(TypeError);
  });
});
