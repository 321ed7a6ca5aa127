import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chi2FromCounts } from '../../../src/drift/chi2.js';
import { quantileEdges } from '../../../src/drift/binning.js';
import { jensenShannonDistance, wassersteinSorted } from '../../../src/drift/distance.js';
import { missingRateDrift } from '../../../src/drift/missing.js';
import { buildProfile } from '../../../src/drift/profile.js';
import { categoricalPsi, numericPsi, psiFromProportions } from '../../../src/drift/psi.js';
import { computeDrift } from '../../../src/drift/report.js';
import { sortFloat64 } from '../../../src/drift/sort.js';
import { adjustPValues } from '../../../src/drift/verdict.js';
import { assertFinite } from '../../helpers/assert-finite.js';
import { createRng, shuffled } from '../../helpers/random.js';

const finite = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
const sample = (min = 1) => fc.array(fc.oneof(finite, fc.integer({ min: -3, max: 3 })), { minLength: min, maxLength: 300 });
const sorted = (xs: number[]): Float64Array => sortFloat64(Float64Array.from(xs));
const categories = fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { minLength: 1, maxLength: 200 });
const countsOf = (xs: string[]): Map<string, number> => {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
};

describe('PSI properties', () => {
  it('is ≥ 0 and finite for any two samples and bin count', () => {
    fc.assert(
      fc.property(sample(), sample(), fc.integer({ min: 2, max: 30 }), (a, b, bins) => {
        const { psi } = numericPsi(sorted(a), sorted(b), bins);
        return psi >= 0 && Number.isFinite(psi);
      }),
    );
  });

  it('is exactly 0 for a sample against itself (numeric and categorical)', () => {
    fc.assert(fc.property(sample(), fc.integer({ min: 2, max: 30 }), (a, bins) => numericPsi(sorted(a), sorted(a), bins).psi === 0));
    fc.assert(fc.property(categories, (a) => categoricalPsi(countsOf(a), countsOf(a)).psi === 0));
  });

  it('is ≥ 0 on arbitrary proportion vectors', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })), { minLength: 1, maxLength: 20 }),
        (pairs) =>
          psiFromProportions(
            pairs.map((p) => p[0]),
            pairs.map((p) => p[1]),
          ) >= 0,
      ),
    );
  });

  it('grows with a location shift', () => {
    const rng = createRng(3);
    const ref = sortFloat64(rng.normals(5000));
    const base = rng.normals(2000);
    let last = -1;
    for (const shift of [0, 0.1, 0.25, 0.5, 1, 2]) {
      const { psi } = numericPsi(ref, sortFloat64(base.map((v) => v + shift)));
      expect(psi).toBeGreaterThan(last);
      last = psi;
    }
  });
});

describe('other statistics stay in range', () => {
  it('χ² p ∈ [0, 1], statistic ≥ 0', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(1000), fc.nat(1000)), { minLength: 1, maxLength: 30 }), (cols) => {
        const used = cols.filter(([a, b]) => a + b > 0);
        if (used.length === 0 || used.every(([a]) => a === 0) || used.every(([, b]) => b === 0)) return true;
        const r = chi2FromCounts(
          used.map((c) => c[0]),
          used.map((c) => c[1]),
        );
        return r.pValue >= 0 && r.pValue <= 1 && r.statistic >= 0 && Number.isFinite(r.statistic);
      }),
    );
  });

  it('Jensen–Shannon ∈ [0, 1] and symmetric; Wasserstein ≥ 0 and symmetric', () => {
    fc.assert(
      fc.property(sample(), sample(), (a, b) => {
        const { histogram } = numericPsi(sorted(a), sorted(b));
        const js = jensenShannonDistance(histogram.reference, histogram.current);
        const jsBack = jensenShannonDistance(histogram.current, histogram.reference);
        const w = wassersteinSorted(sorted(a), sorted(b));
        const wBack = wassersteinSorted(sorted(b), sorted(a));
        return js >= 0 && js <= 1 && Math.abs(js - jsBack) < 1e-15 && w >= 0 && Math.abs(w - wBack) <= 1e-9 * Math.max(1, w);
      }),
    );
  });

  it('missing-rate test never yields NaN', () => {
    fc.assert(
      fc.property(fc.nat(50), fc.nat(50), fc.nat(50), fc.nat(50), (m1, e1, m2, e2) => {
        const r = missingRateDrift(m1, m1 + e1, m2, m2 + e2);
        assertFinite(r);
        return r.pValue >= 0 && r.pValue <= 1;
      }),
    );
  });

  it('adjusted p-values are ≥ the raw ones and ≤ 1', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 40 }), (ps) =>
        (['bonferroni', 'bh'] as const).every((c) => adjustPValues(ps, c).every((q, i) => q >= ps[i]! && q <= 1)),
      ),
    );
  });
});

describe('computeDrift', () => {
  const cell = fc.oneof(finite, fc.constant(null), fc.constant(NaN), fc.constant(Infinity), fc.integer({ min: 0, max: 2 }));
  const catCell = fc.oneof(fc.constantFrom('x', 'y', 'z', 'w'), fc.constant(null), fc.constant(''));
  const table = (rows: number) =>
    fc.record({ n: fc.array(cell, { minLength: rows, maxLength: rows }), c: fc.array(catCell, { minLength: rows, maxLength: rows }) });
  const types = { n: 'numeric', c: 'categorical' } as const;

  it('never yields NaN or Infinity, whatever the data (incl. all-missing and constant columns)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }).chain((r) => table(r)),
        fc.integer({ min: 0, max: 60 }).chain((r) => table(r)),
        (ref, cur) => {
          const report = computeDrift(buildProfile(ref, types), cur, { methods: ['psi', 'ks', 'chi2', 'jensenShannon', 'wasserstein'] });
          assertFinite(report);
          for (const f of report.features) {
            if (f.status === 'insufficient_data') expect(f.reasons.filter((r) => r !== 'missing')).toEqual([]);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('is invariant to the order of rows', () => {
    fc.assert(
      fc.property(table(80), table(50), fc.integer(), (ref, cur, seed) => {
        const r = createRng(seed);
        const perm = shuffled([...Array(50).keys()], r);
        const curShuffled = { n: perm.map((i) => cur.n[i]), c: perm.map((i) => cur.c[i]) };
        const a = computeDrift(buildProfile(ref, types), cur);
        const b = computeDrift(buildProfile(ref, types), curShuffled);
        expect(b).toEqual(a);
      }),
      { numRuns: 100 },
    );
  });

  it('reports a constant feature as p = 1, PSI = 0, and an empty window as insufficient data', () => {
    const ref = buildProfile({ k: new Array(500).fill(7), c: new Array(500).fill('only') }, { c: 'categorical' });
    const same = computeDrift(ref, { k: new Array(90).fill(7), c: new Array(90).fill('only') });
    for (const f of same.features) {
      expect(f.psi).toBe(0);
      expect(f.ks?.pValue ?? f.chi2?.pValue).toBe(1);
      expect(f.drifted).toBe(false);
    }
    // 40 rows, all missing: no distribution to compare, but the missing rate (from 40 rows) drifted.
    const empty = computeDrift(ref, { k: new Array(40).fill(null), c: new Array(40).fill('') });
    for (const f of empty.features) {
      expect(f.status).toBe('insufficient_data');
      expect(f.psi).toBeNull();
      expect(f.missing.currentRate).toBe(1);
      expect(f.reasons).toEqual(['missing']);
    }
    // Two rows are fewer than minSamples (30): even their missing rate flags nothing.
    const tiny = computeDrift(ref, { k: [null, null], c: [null, ''] });
    for (const f of tiny.features) {
      expect(f.status).toBe('insufficient_data');
      expect(f.missing.currentRate).toBe(1);
      expect(f.drifted).toBe(false);
    }
    // One present value is below minSamples too (issue 9: one row was "drifted" with PSI 8.3) …
    const one = computeDrift(ref, { k: [1e6], c: ['other'] });
    expect(one.features.map((f) => [f.status, f.psi, f.drifted])).toEqual([
      ['insufficient_data', null, false],
      ['insufficient_data', null, false],
    ]);
    // … unless the caller lowers the guard.
    expect(computeDrift(ref, { k: [1e6], c: ['other'] }, { minSamples: 1 }).features[0]!.drifted).toBe(true);
    const none = computeDrift(ref, {});
    expect(none.features.every((f) => f.status === 'insufficient_data')).toBe(true);
    assertFinite([same, empty, none]);
  });

  it('marks the dataset drifted when a critical feature drifts', () => {
    const rng = createRng(8);
    const ref = buildProfile({ a: rng.normals(2000), b: rng.normals(2000), c: rng.normals(2000) });
    const cur = { a: rng.normals(500, 3), b: rng.normals(500), c: rng.normals(500) };
    expect(computeDrift(ref, cur).datasetDrift).toBe(false);
    const critical = computeDrift(ref, cur, { critical: ['a'] });
    expect(critical.datasetDrift).toBe(true);
    expect(critical.driftShare).toBeCloseTo(1 / 3, 12);
  });
});

describe('quantile edges near the largest doubles (issue 9)', () => {
  it('stay finite and ordered where b − a overflows', () => {
    const sorted = Float64Array.from([-1.7e308, -1.6e308, 1.6e308, 1.7e308]);
    const edges = quantileEdges(sorted, 10);
    expect(Array.from(edges).every(Number.isFinite)).toBe(true);
    for (let i = 1; i < edges.length; i++) expect(edges[i]!).toBeGreaterThan(edges[i - 1]!);
    expect(edges[0]!).toBeGreaterThanOrEqual(-1.7e308);
    expect(edges[edges.length - 1]!).toBeLessThanOrEqual(1.7e308);
    const report = computeDrift(buildProfile({ x: sorted }), { x: Float64Array.from([-1.7e308, 1.7e308, 0]) }, { minSamples: 1 });
    expect(JSON.parse(JSON.stringify(report.features[0]!.histogram)).edges.every((e: unknown) => typeof e === 'number')).toBe(true);
  });
});
