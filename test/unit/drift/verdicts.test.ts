import { describe, expect, it } from 'vitest';
import { chiSquareQuantile } from '../../../src/drift/gamma.js';
import { buildProfile } from '../../../src/drift/profile.js';
import { computeDrift, type DriftOptions } from '../../../src/drift/report.js';
import { detectRoles, mergeRoles } from '../../../src/drift/roles.js';
import { psiMinEffectiveSize } from '../../../src/drift/verdict.js';
import * as C from '../../helpers/drift-cases.js';
import { createRng } from '../../helpers/random.js';

/**
 * Issue 17's table as fixed-seed cases, in process (the CLI and service tests run smaller
 * versions of the same cases). Each bound fails on the old verdict (PSI ≥ 0.2 or adjusted p < α).
 */
function run(c: C.DriftCase, options: DriftOptions = {}) {
  const ref = buildProfile(c.reference, c.kinds);
  const out = { windows: c.windows.length, dataset: 0, any: 0, byFeature: {} as Record<string, number>, reasons: new Set<string>() };
  for (const w of c.windows) {
    const r = computeDrift(ref, w, options);
    if (r.datasetDrift) out.dataset++;
    if (r.features.some((f) => f.drifted)) out.any++;
    for (const f of r.features) {
      if (f.drifted) out.byFeature[f.name] = (out.byFeature[f.name] ?? 0) + 1;
      for (const x of f.reasons) out.reasons.add(x);
    }
  }
  return out;
}

describe('issue 17 table, in process', () => {
  it('row 1: a significant but irrelevant shift at large n is not drift (old rule: every window)', () => {
    const c = C.tinyShiftCase(1, 200_000, 50_000, 5, 0.02, 0.01);
    expect(run(c).dataset).toBe(0);
    expect(run(c, { floors: { wasserstein: 0, jensenShannon: 0 } }).any).toBe(5); // the tests alone do flag it
  });

  it('row 2: 50-row null windows, 10 features — ≤ 2 of 100 dataset drift, ≤ 10 of 100 any-feature alarms', () => {
    const r = run(C.nullCase(2, 10_000, 50, 100));
    expect(r.dataset).toBeLessThanOrEqual(2);
    expect(r.any).toBeLessThanOrEqual(10);
    expect(r.reasons.has('psi')).toBe(false); // PSI alone never fires at n = 50
  });

  it('row 3: a 0.2 σ shift of both features at 1 000 rows is found ≥ 19 of 20 times', () => {
    const r = run(C.shiftCase(3, 10_000, 1000, 20, 0.2, 2, 2));
    expect(r.dataset).toBeGreaterThanOrEqual(19);
    expect([...r.reasons]).toEqual(['test+wasserstein']);
  });

  it('row 4: a 0.1 σ shift of one feature at 1 000 rows is found ≥ 24 of 40 times', () => {
    const r = run(C.shiftCase(4, 10_000, 1000, 40, 0.1, 2, 1));
    expect(r.byFeature.x0 ?? 0).toBeGreaterThanOrEqual(24);
    expect(r.byFeature.x1 ?? 0).toBeLessThanOrEqual(4);
  });

  it('row 5: id and date columns are detected and never drift (without roles they would)', () => {
    const c = C.idDateCase(5, 3000, 1000, 10);
    const ref = buildProfile(c.reference, c.kinds);
    const detected = detectRoles(ref);
    expect(detected.map((d) => [d.name, d.role])).toEqual([
      ['id', 'id'],
      ['day', 'timestamp'],
    ]);
    const r = run(c, { roles: mergeRoles(detected, {}) });
    expect(r.dataset).toBe(0);
    expect(r.byFeature.day).toBeUndefined();
    expect(run(c).byFeature.day).toBe(10);
    const one = computeDrift(ref, c.windows[0]!, { roles: { id: 'id', day: 'timestamp' } });
    expect(one.ignored).toEqual([
      { name: 'id', reason: 'id' },
      { name: 'day', reason: 'timestamp' },
    ]);
    expect(one.features.map((f) => f.name)).toEqual(['x', 'c']);
  });

  // α(1 + 20 %) = .06 with α = .05. A fresh reference every 10 windows (the rate is over
  // references too); the old rule gave ≈ 1.0 at n = 30 (PSI noise).
  for (const n of [30, 100, 1000]) {
    it(`null any-feature alarm rate ≤ .06 at windows of ${n} (10 features, 10 references × 20 windows)`, () => {
      let any = 0;
      let windows = 0;
      for (let s = 0; s < 10; s++) {
        const r = run(C.nullCase(1000 + n * 100 + s, 5000, n, 20));
        any += r.any;
        windows += r.windows;
      }
      expect(any / windows).toBeLessThanOrEqual(0.06);
    });
  }
});

describe('the rules', () => {
  it('PSI alone needs n_eff ≥ χ²₍B−1₎⁻¹(1 − α/10k) / threshold', () => {
    expect(psiMinEffectiveSize(10, 0.2, 0.05, 10)).toBe(Math.ceil(chiSquareQuantile(1 - 0.0005, 9) / 0.2));
    expect(psiMinEffectiveSize(10, 0.2, 0.05, 10)).toBe(149); // scipy.stats.chi2.ppf(1 - 5e-4, 9) / 0.2 = 148.3
    // Where the window is large, a big PSI counts on its own even when the test is off.
    const rng = createRng(9);
    const ref = buildProfile({ x: rng.normals(20_000) });
    const big = computeDrift(ref, { x: rng.normals(2000, 0, 2) }, { methods: ['psi'] });
    expect(big.features[0]!.reasons).toEqual(['psi']);
    expect(big.features[0]!.rule).toMatchObject({ psiThreshold: 0.2, psiMinEffectiveSize: 118, floor: { name: 'wasserstein', value: 0.05 } });
    const small = computeDrift(ref, { x: rng.normals(40, 0, 2) }, { methods: ['psi'] });
    expect(small.features[0]!.psi!).toBeGreaterThan(0.2);
    expect(small.features[0]!.drifted).toBe(false);
  });

  it('names the rule that fired and the floor it used', () => {
    const rng = createRng(10);
    const ref = buildProfile({ x: rng.normals(5000), c: C.categorical(rng, 5000, C.CATEGORIES) }, { c: 'categorical' });
    const r = computeDrift(ref, { x: rng.normals(1000, 0.5), c: C.categorical(rng, 1000, C.moved(C.CATEGORIES, 0.2)) });
    expect(r.features.map((f) => [f.name, f.reasons])).toEqual([
      ['x', ['test+wasserstein', 'psi']],
      ['c', ['test+jensenShannon', 'psi']],
    ]);
    expect(r.features[1]!.rule.floor).toEqual({ name: 'jensenShannon', value: 0.05 });
  });

  it('keeps missing-rate drift as a signal, corrected across features', () => {
    const rng = createRng(11);
    const ref = buildProfile({ x: rng.normals(3000), y: rng.normals(3000) });
    const x = Array.from(rng.normals(500), (v, i) => (i % 4 === 0 ? null : v));
    const r = computeDrift(ref, { x, y: rng.normals(500) });
    expect(r.features[0]!.reasons).toEqual(['missing']);
    expect(r.features[0]!.missing.adjustedPValue).toBeLessThan(0.05);
    expect(r.features[1]!.drifted).toBe(false);
  });

  it('applies per-feature settings: alpha, floors, methods, critical, ignore', () => {
    const rng = createRng(12);
    const ref = buildProfile({ a: rng.normals(5000), b: rng.normals(5000), c: rng.normals(5000) });
    const cur = { a: rng.normals(1000, 0.3), b: rng.normals(1000, 0.3), c: rng.normals(1000, 0.3) };
    const plain = computeDrift(ref, cur);
    expect(plain.features.map((f) => f.drifted)).toEqual([true, true, true]);
    const tuned = computeDrift(ref, cur, {
      driftShare: 1,
      features: { a: { floors: { wasserstein: 1 } }, b: { alpha: 1e-300, critical: true }, c: { ignore: true } },
    });
    expect(tuned.features.map((f) => [f.name, f.drifted])).toEqual([
      ['a', false],
      ['b', false],
    ]);
    expect(tuned.features[0]!.rule.floor.value).toBe(1);
    expect(tuned.ignored).toEqual([{ name: 'c', reason: 'ignore' }]);
    const critical = computeDrift(ref, cur, { driftShare: 1, ignore: ['a'], features: { b: { critical: true } } });
    expect(critical.datasetDrift).toBe(true);
    const psiOnly = computeDrift(ref, cur, { features: { a: { methods: ['psi'] } } });
    expect(psiOnly.features[0]!.ks).toBeUndefined();
    expect(() => computeDrift(ref, cur, { features: { a: { alpha: 2 } } })).toThrow(/features\.a\.alpha/);
  });
});
