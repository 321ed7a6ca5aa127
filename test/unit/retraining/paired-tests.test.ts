import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { binomTestHalf, classKey, comparePaired, mcnemarExact, metricOn, pairedBootstrap, type PromoteMetric } from '../../../src/retraining/paired-tests.js';

/** Reference values from scipy/numpy: fixtures/paired-tests.py (tolerances stated there and here). */
const fixtures = JSON.parse(readFileSync(new URL('./fixtures/paired-tests.json', import.meta.url), 'utf8')) as {
  binom: { k: number; n: number; p: number }[];
  mcnemar: { truth: number[]; champion: number[]; challenger: number[]; b: number; c: number; p: number }[];
  metrics: { metric: PromoteMetric; truth: number[]; pred: number[]; value: number }[];
  bootstrap: { metric: PromoteMetric; truth: number[]; champion: number[]; challenger: number[]; p: number }[];
};
const s = (xs: number[]) => xs.map(String);
const all = (n: number) => Array.from({ length: n }, (_, i) => i);
const close = (actual: number, expected: number, rel: number) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.max(1e-300, Math.abs(expected)));

describe('exact McNemar = scipy.stats.binomtest on the discordant pairs', () => {
  it.each(fixtures.binom)('binomtest($k, $n, 0.5) two-sided', ({ k, n, p }) => close(binomTestHalf(k, n), p, 1e-9));
  it.each(fixtures.mcnemar.map((f, i) => ({ ...f, i })))('case $i: b, c and p', (f) => {
    const r = mcnemarExact(s(f.truth), s(f.champion), s(f.challenger));
    expect([r.b, r.c]).toEqual([f.b, f.c]);
    close(r.pValue, f.p, 1e-9);
  });
  it('is symmetric in the two models and 1 without discordant pairs', () => {
    const f = fixtures.mcnemar[2]!;
    expect(mcnemarExact(s(f.truth), s(f.challenger), s(f.champion)).pValue).toBeCloseTo(mcnemarExact(s(f.truth), s(f.champion), s(f.challenger)).pValue, 12);
    expect(mcnemarExact(['a', 'b'], ['a', 'a'], ['a', 'a']).pValue).toBe(1);
  });
});

describe('metrics = the numpy/scikit-learn definitions (macro over the union of classes)', () => {
  it.each(fixtures.metrics.map((f, i) => ({ ...f, i })))('$metric case $i', (f) => {
    close(metricOn(f.metric, s(f.truth), s(f.pred), all(f.truth.length)), f.value, 1e-12);
  });
  it('counts numbers as one class whatever their spelling, and a class only predicted scores 0', () => {
    expect(classKey('1.0')).toBe(classKey(1));
    expect(classKey(' yes ')).toBe('yes');
    // truth {a}, predictions {a, b}: precision(a) = 1, precision(b) = 0 (never right) → macro 0.5
    expect(metricOn('precision', ['a', 'a'], ['a', 'b'], [0, 1])).toBe(0.5);
  });
});

describe('seeded paired bootstrap', () => {
  it.each(fixtures.bootstrap.map((f, i) => ({ ...f, i })))('$metric case $i: p within 0.06 of numpy at B = 20000', (f) => {
    const r = pairedBootstrap(f.metric, s(f.truth), s(f.champion), s(f.challenger));
    expect(Math.abs(r.pValue - f.p)).toBeLessThanOrEqual(0.06);
  });
  it('is deterministic for a seed, varies with it, and stays in (0, 1]', () => {
    const f = fixtures.bootstrap[0]!;
    const run = (seed: number) => pairedBootstrap(f.metric, s(f.truth), s(f.champion), s(f.challenger), { seed }).pValue;
    expect(run(7)).toBe(run(7));
    expect(new Set([1, 2, 3, 4, 5].map(run)).size).toBeGreaterThan(1);
    for (const seed of [1, 2, 3]) expect(run(seed)).toBeGreaterThan(0);
    expect(run(1)).toBeLessThanOrEqual(1);
  });
  it('gives p = 1 for identical models and a small p for a clearly better challenger', () => {
    const truth = all(300).map((i) => String(i % 3));
    const same = pairedBootstrap(
      'f1',
      truth,
      truth.map((t, i) => (i % 4 === 0 ? '0' : t)),
      truth.map((t, i) => (i % 4 === 0 ? '0' : t)),
    );
    expect(same.pValue).toBe(1);
    const better = pairedBootstrap(
      'f1',
      truth,
      truth.map((t, i) => (i % 2 === 0 ? '0' : t)),
      truth,
    );
    expect(better.delta).toBeGreaterThan(0.2);
    expect(better.pValue).toBeLessThan(0.01);
  });
  it('orients min metrics: a lower RMSE is a positive gain', () => {
    const truth = all(200).map((i) => String(Math.sin(i)));
    const r = pairedBootstrap(
      'rmse',
      truth,
      truth.map((t, i) => String(Number(t) + (i % 2 ? 1 : -1))),
      truth.map((t, i) => String(Number(t) + (i % 2 ? 0.1 : -0.1))),
    );
    expect(r.delta).toBeCloseTo(0.9, 10);
    expect(r.pValue).toBeLessThan(0.01);
  });
  it('comparePaired picks McNemar for accuracy and the bootstrap for F1', () => {
    const f = fixtures.mcnemar[1]!;
    const acc = comparePaired('accuracy', s(f.truth), s(f.champion), s(f.challenger));
    expect(acc.test).toBe('mcnemar');
    close(acc.pValue, f.p, 1e-9);
    expect(comparePaired('f1', s(f.truth), s(f.champion), s(f.challenger)).test).toBe('bootstrap');
  });
});
