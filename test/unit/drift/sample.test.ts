import { describe, expect, it } from 'vitest';
import { ksTwoSampleSorted } from '../../../src/drift/ks.js';
import { buildProfile, mergeFeature, type NumericFeatureProfile } from '../../../src/drift/profile.js';
import { computeDrift } from '../../../src/drift/report.js';
import { capFeature, isSampled, mergeFeatureCapped, seededRandom, selectSorted } from '../../../src/drift/sample.js';
import { createRng } from '../../helpers/random.js';

/** A numeric part holding the values from..to−1 (so a value names the row it came from), plus `missing` missing rows. */
function part(from: number, to: number, missing = 0): NumericFeatureProfile {
  const values = Float64Array.from({ length: to - from }, (_, i) => from + i);
  return { kind: 'numeric', count: to - from + missing, missing, values };
}

function isAscending(v: Float64Array): boolean {
  for (let i = 1; i < v.length; i++) if (!(v[i]! >= v[i - 1]!)) return false;
  return true;
}

describe('seeded uniform reference samples', () => {
  it('equals the exact merge while the values fit under the cap (and with no cap)', () => {
    const a = part(0, 400, 3);
    const b = part(400, 1000, 5);
    for (const cap of [1000, 5000, 0]) expect(mergeFeatureCapped('x', a, b, cap)).toEqual(mergeFeature('x', a, b));
    const cat = buildProfile({ c: ['a', 'b', null] }, { c: 'categorical' }).features.get('c')!;
    expect(mergeFeatureCapped('c', cat, cat, 1)).toEqual(mergeFeature('c', cat, cat)); // categorical counts are never sampled
  });

  it('past the cap keeps exactly cap values, sorted, drawn from the parts, with exact count and missing', () => {
    const merged = mergeFeatureCapped('x', part(0, 800, 2), part(800, 2000, 7), 500) as NumericFeatureProfile;
    expect(merged.values.length).toBe(500);
    expect(merged).toMatchObject({ count: 2009, missing: 9 });
    expect(isSampled(merged)).toBe(true);
    expect(isAscending(merged.values)).toBe(true);
    expect(new Set(merged.values).size).toBe(500); // a sample without replacement
    expect(merged.values.every((v) => Number.isInteger(v) && v >= 0 && v < 2000)).toBe(true);
  });

  it('is deterministic: the same parts give the same sample, another feature name another one', () => {
    const a = mergeFeatureCapped('x', part(0, 5000), part(5000, 9000), 300) as NumericFeatureProfile;
    const b = mergeFeatureCapped('x', part(0, 5000), part(5000, 9000), 300) as NumericFeatureProfile;
    const c = mergeFeatureCapped('y', part(0, 5000), part(5000, 9000), 300) as NumericFeatureProfile;
    expect(Array.from(a.values)).toEqual(Array.from(b.values));
    expect(Array.from(a.values)).not.toEqual(Array.from(c.values));
  });

  it('stays uniform over every row seen across chunks of very different sizes (weighted merge)', () => {
    // Chunks of 300, 9 000, 700 and 20 000 rows merged one by one into a 400-value sample; over
    // 300 seeds, each tenth of the 30 000 rows must hold a tenth of the sampled values.
    const chunks: [number, number][] = [
      [0, 300],
      [300, 9300],
      [9300, 10_000],
      [10_000, 30_000],
    ];
    const deciles = new Array<number>(10).fill(0);
    let total = 0;
    for (let run = 0; run < 300; run++) {
      let acc: NumericFeatureProfile | undefined;
      for (const [from, to] of chunks) {
        const p = part(from, to);
        acc = (acc ? mergeFeatureCapped(`f${run}`, acc, p, 400) : capFeature(`f${run}`, p, 400)) as NumericFeatureProfile;
      }
      expect(acc!.values.length).toBe(400);
      for (const v of acc!.values) deciles[Math.floor(v / 3000)]!++;
      total += acc!.values.length;
    }
    for (const d of deciles) expect(Math.abs(d / total - 0.1)).toBeLessThan(0.006); // sd ≈ 0.0009
  });

  it('caps a single large part, never grows an old sample when the cap is raised, and shrinks it when lowered', () => {
    const first = capFeature('x', part(0, 10_000), 1000) as NumericFeatureProfile;
    expect(first.values.length).toBe(1000);
    expect(capFeature('x', part(0, 10), 1000)).toEqual(part(0, 10));
    const raised = mergeFeatureCapped('x', first, part(10_000, 10_010), 5000) as NumericFeatureProfile;
    expect(raised.values.length).toBe(1000);
    expect(raised.count).toBe(10_010);
    const lowered = mergeFeatureCapped('x', first, part(10_000, 10_010), 200) as NumericFeatureProfile;
    expect(lowered.values.length).toBe(200);
  });

  it('selection sampling keeps order and size; the generator is seeded and in [0, 1)', () => {
    const v = Float64Array.from({ length: 100 }, (_, i) => i);
    const s = selectSorted(v, 10, seededRandom('s'));
    expect(s.length).toBe(10);
    expect(isAscending(s)).toBe(true);
    expect(selectSorted(v, 100, seededRandom('s'))).toBe(v);
    const r1 = seededRandom('seed');
    const r2 = seededRandom('seed');
    const xs = Array.from({ length: 1000 }, () => r1());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => r2()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(Math.abs(xs.reduce((a, b) => a + b, 0) / 1000 - 0.5)).toBeLessThan(0.05);
  });

  it('a report on a sampled reference says the sample size and computes KS exactly on the sample', () => {
    const rng = createRng(3);
    const ref = buildProfile({ x: rng.normals(50_000) });
    const sampled = { rows: ref.rows, features: new Map([['x', capFeature('x', ref.features.get('x')!, 2000)]]) };
    const window = rng.normals(500);
    const report = computeDrift(sampled, { x: window }, { minSamples: 30 });
    const x = report.features[0]!;
    expect(x.referenceSample).toEqual({ size: 2000, population: 50_000 });
    expect(x.referenceSize).toBe(2000);
    const sortedWindow = Float64Array.from(window).sort();
    const ks = ksTwoSampleSorted((sampled.features.get('x') as NumericFeatureProfile).values, sortedWindow);
    expect(x.ks).toEqual({ statistic: ks.statistic, pValue: ks.pValue, method: ks.method });
    expect(computeDrift(ref, { x: window }, { minSamples: 30 }).features[0]!.referenceSample).toBeUndefined();
  });
});
