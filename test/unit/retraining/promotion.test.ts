import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decidePromotion } from '../../../src/retraining/promotion.js';

const promote = { alias: 'production', metric: 'accuracy', mode: 'max' as const, minImprovement: 0 };

describe('promotion decision', () => {
  it('moves the alias only when the candidate beats the holder (max and min, with minImprovement)', () => {
    expect(decidePromotion(promote, { version: 2, value: 0.9 }, { version: 1, value: 0.8 })).toMatchObject({ alias: 'production', promoted: true });
    expect(decidePromotion(promote, { version: 2, value: 0.8 }, { version: 1, value: 0.8 })).toMatchObject({ alias: 'challenger', promoted: false });
    expect(decidePromotion({ ...promote, minImprovement: 0.05 }, { version: 2, value: 0.84 }, { version: 1, value: 0.8 })).toMatchObject({
      alias: 'challenger',
    });
    expect(decidePromotion({ ...promote, minImprovement: 0.05 }, { version: 2, value: 0.86 }, { version: 1, value: 0.8 })).toMatchObject({
      alias: 'production',
    });
    expect(decidePromotion({ ...promote, metric: 'rmse', mode: 'min' }, { version: 2, value: 1.2 }, { version: 1, value: 1.5 })).toMatchObject({
      alias: 'production',
      promoted: true,
    });
    expect(decidePromotion({ ...promote, metric: 'rmse', mode: 'min' }, { version: 2, value: 1.7 }, { version: 1, value: 1.5 }).reason).toBe(
      'not better: rmse 1.7 vs 1.5 (v1, min, minImprovement 0)',
    );
  });
  it('without a holder the candidate takes the alias; missing metrics are never compared', () => {
    expect(decidePromotion(promote, { version: 1, value: 0.5 }, undefined)).toMatchObject({ alias: 'production', promoted: true });
    expect(decidePromotion(promote, { version: 2, value: undefined }, { version: 1, value: 0.5 })).toMatchObject({
      alias: 'challenger',
      reason: 'v2 has no "accuracy" metric',
    });
    expect(decidePromotion(promote, { version: 2, value: 0.9 }, { version: 1, value: undefined })).toMatchObject({ alias: 'challenger' });
  });
  it('property: promoted ⇔ strictly better by at least minImprovement', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 10, noNaN: true }),
        fc.constantFrom('max' as const, 'min' as const),
        (c, h, m, mode) => {
          const d = decidePromotion({ ...promote, mode, minImprovement: m }, { version: 2, value: c }, { version: 1, value: h });
          const gain = mode === 'max' ? c - h : h - c;
          expect(d.promoted).toBe(gain > 0 && gain >= m);
        },
      ),
    );
  });
});
