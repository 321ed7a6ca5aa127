import { describe, expect, it } from 'vitest';
import { decidePromotion, type HoldoutTruth } from '../../../src/retraining/promotion.js';
import { binomTestHalf } from '../../../src/retraining/paired-tests.js';

const promote = { alias: 'production', metric: 'accuracy' as const, minImprovement: 0, alpha: 0.05 };

/** 100 holdout rows; the champion gets `championRight` right, the challenger `challengerRight` (rows 0…k−1). */
function holdout(championRight: number): HoldoutTruth {
  const ids = Array.from({ length: 100 }, (_, i) => `s${i}`);
  const labels = ids.map((_, i) => String(i % 2));
  return { ids, labels, champion: labels.map((l, i) => (i < championRight ? l : String(1 - Number(l)))) };
}
const predictions = (h: HoldoutTruth, right: number) => new Map(h.ids.map((id, i) => [id, i < right ? h.labels[i]! : String(1 - Number(h.labels[i]))]));

describe('decidePromotion: earned on the same holdout rows, by a paired test', () => {
  it('promotes a clearly better challenger, with McNemar p-value and both scores', () => {
    const h = holdout(55);
    const e = decidePromotion(promote, h, predictions(h, 90), 1);
    expect(e).toMatchObject({ rows: 100, metric: 'accuracy', champion: 0.55, challenger: 0.9, test: 'mcnemar', decision: 'promoted', alias: 'production' });
    expect(e.pValue).toBeCloseTo(binomTestHalf(35, 35), 12); // 35 discordant pairs, all for the challenger
    expect(e.reason).toMatch(/^better: accuracy 0.9 vs 0.55 \(v1\) on 100 holdout rows, mcnemar p = /);
  });
  it('a small gain that is not significant stays the challenger', () => {
    const h = holdout(80);
    const e = decidePromotion(promote, h, predictions(h, 83), 1);
    expect(e).toMatchObject({ decision: 'challenger', alias: 'challenger' });
    expect(e.pValue).toBeGreaterThan(0.05);
    expect(e.reason).toMatch(/^not significant at alpha 0.05/);
  });
  it('a significant gain below minImprovement stays the challenger; a tie or a loss never wins', () => {
    const h = holdout(55);
    expect(decidePromotion({ ...promote, minImprovement: 0.5 }, h, predictions(h, 90), 1).reason).toMatch(/^not better by minImprovement 0.5/);
    expect(decidePromotion(promote, h, predictions(h, 55), 1).decision).toBe('challenger');
    expect(decidePromotion(promote, h, predictions(h, 20), 1).decision).toBe('challenger');
  });
  it('error_rate is a min metric: lower wins', () => {
    const h = holdout(55);
    expect(decidePromotion({ ...promote, metric: 'error_rate' }, h, predictions(h, 90), 1)).toMatchObject({
      decision: 'promoted',
      champion: expect.closeTo(0.45, 12),
    });
  });
  it('missing predictions: not promoted, and the reason says what was missing', () => {
    const h = holdout(55);
    expect(decidePromotion(promote, h, undefined, 1)).toMatchObject({
      decision: 'challenger',
      reason: 'the trainer wrote no holdout-predictions.csv',
      champion: null,
    });
    const some = predictions(h, 90);
    some.delete('s3');
    some.delete('s7');
    expect(decidePromotion(promote, h, some, 1).reason).toBe('holdout-predictions.csv has no prediction for 2 of 100 holdout rows (e.g. s3, s7)');
    expect(decidePromotion(promote, { ids: [], labels: [], champion: [] }, new Map(), 1).reason).toMatch(/^the holdout is empty/);
  });
  it('regression metrics need numbers', () => {
    const h: HoldoutTruth = { ids: ['a', 'b'], labels: ['1.5', 'x'], champion: ['1', '2'] };
    expect(
      decidePromotion(
        { ...promote, metric: 'rmse' },
        h,
        new Map([
          ['a', '1'],
          ['b', '2'],
        ]),
        1,
      ).reason,
    ).toMatch(/needs numeric labels/);
  });
});
