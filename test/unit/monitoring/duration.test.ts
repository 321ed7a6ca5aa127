import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DurationError, formatIsoDuration, parseIsoDuration } from '../../../src/monitoring/duration.js';

describe('ISO-8601 durations', () => {
  it('parse the fixed-length forms to milliseconds', () => {
    const cases: Array<[string, number]> = [
      ['PT1H', 3_600_000],
      ['PT6H', 21_600_000],
      ['PT30M', 1_800_000],
      ['PT1M', 60_000], // a minute: M after T
      ['P1D', 86_400_000],
      ['P1W', 604_800_000],
      ['P1DT12H', 129_600_000],
      ['PT1H30M', 5_400_000],
      ['PT90S', 90_000],
      ['PT0.5S', 500],
      ['PT1.5H', 5_400_000],
      ['PT0,25H', 900_000],
      ['pt15m', 900_000],
      ['P2W3DT4H5M6S', 2 * 604_800_000 + 3 * 86_400_000 + 4 * 3_600_000 + 5 * 60_000 + 6_000],
    ];
    for (const [text, ms] of cases) expect(parseIsoDuration(text), text).toBe(ms);
  });

  it('refuse calendar units, malformed text, fractions before the last unit, zero and absurd lengths, saying why', () => {
    expect(() => parseIsoDuration('P1M')).toThrow(/years and months have no fixed length/);
    expect(() => parseIsoDuration('P1Y')).toThrow(/years and months/);
    for (const bad of ['', 'P', 'PT', 'P1DT', '1H', 'PT1H2', 'PT-1H', 'PT1HM', 'P1H', 'PTH', 'PT1S1M', 'P1.5DT1H']) {
      expect(() => parseIsoDuration(bad), bad).toThrow(DurationError);
    }
    expect(() => parseIsoDuration('P1.5DT1H')).toThrow(/only the smallest unit may have a fraction/);
    expect(() => parseIsoDuration('PT0S')).toThrow(/longer than zero/);
    expect(() => parseIsoDuration('P99999W')).toThrow(/at most 100 years/);
  });

  it('format canonically and parse back to the same milliseconds', () => {
    expect(formatIsoDuration(3_600_000)).toBe('PT1H');
    expect(formatIsoDuration(86_400_000)).toBe('P1D');
    expect(formatIsoDuration(129_600_000)).toBe('P1DT12H');
    expect(formatIsoDuration(1_500)).toBe('PT1.5S');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 * 365 * 86_400_000 }), (ms) => {
        expect(parseIsoDuration(formatIsoDuration(ms))).toBe(ms);
      }),
    );
  });
});
