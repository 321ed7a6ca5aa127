import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  completedCountWindows,
  countBatchSlices,
  countWindowInterval,
  countWindowOf,
  resolveWindow,
  timeWindowInterval,
  timeWindowOf,
  timeWindowsClosed,
} from '../../../src/monitoring/window.js';

describe('count windows', () => {
  it('are completed by the batch that holds their last sample, several at once or none', () => {
    expect(completedCountWindows(1000, 0, 999)).toEqual([]);
    expect(completedCountWindows(1000, 0, 1000)).toEqual([0]);
    expect(completedCountWindows(1000, 999, 1)).toEqual([0]);
    expect(completedCountWindows(1000, 1000, 1)).toEqual([]);
    expect(completedCountWindows(1000, 900, 2500)).toEqual([0, 1, 2]);
    expect(completedCountWindows(1000, 500, 0)).toEqual([]);
    expect(countWindowInterval(1000, 2)).toEqual({ start: 2000, end: 3000 });
  });

  it('are each completed by exactly one batch of any sequence of batches (no window lost or doubled)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.array(fc.integer({ min: 0, max: 120 }), { maxLength: 40 }), (size, batches) => {
        const completed: number[] = [];
        let next = 0;
        for (const rows of batches) {
          completed.push(...completedCountWindows(size, next, rows));
          next += rows;
        }
        const expected = Array.from({ length: Math.floor(next / size) }, (_, k) => k);
        expect(completed).toEqual(expected);
      }),
    );
  });

  it('split a straddling batch into per-window row slices that cover it exactly', () => {
    expect(countBatchSlices(1000, 900, 250)).toEqual([
      { window: 0, rowStart: 0, rowEnd: 100 },
      { window: 1, rowStart: 100, rowEnd: 250 },
    ]);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.nat(10_000), fc.integer({ min: 0, max: 500 }), (size, first, rows) => {
        const slices = countBatchSlices(size, first, rows);
        let row = 0;
        for (const s of slices) {
          expect(s.rowStart).toBe(row);
          expect(s.rowEnd).toBeGreaterThan(s.rowStart);
          for (const r of [s.rowStart, s.rowEnd - 1]) expect(countWindowOf(size, first + r)).toBe(s.window);
          row = s.rowEnd;
        }
        expect(row).toBe(rows);
      }),
    );
  });
});

describe('time windows', () => {
  const hourly = resolveWindow({ every: 'PT1H' });

  it('align to the UTC epoch: PT1H windows are whole hours, P1D windows UTC days', () => {
    expect(hourly).toEqual({ kind: 'time', everyMs: 3_600_000, originMs: 0 });
    const t = Date.parse('2026-03-01T05:59:59.999Z');
    const k = timeWindowOf(hourly as { everyMs: number; originMs: number }, t);
    const range = timeWindowInterval(hourly as { everyMs: number; originMs: number }, k);
    expect(new Date(range.start).toISOString()).toBe('2026-03-01T05:00:00.000Z');
    expect(new Date(range.end).toISOString()).toBe('2026-03-01T06:00:00.000Z');
    const daily = resolveWindow({ every: 'P1D' }) as { everyMs: number; originMs: number };
    expect(new Date(timeWindowInterval(daily, timeWindowOf(daily, t)).start).toISOString()).toBe('2026-03-01T00:00:00.000Z');
  });

  it('close once their end plus the grace period has passed, every missed one returned oldest first', () => {
    const spec = hourly as { everyMs: number; originMs: number };
    const at = (iso: string) => Date.parse(iso);
    const hourOf = (iso: string) => timeWindowOf(spec, at(iso));
    expect(timeWindowsClosed(spec, null, at('2026-01-01T05:10:00Z'))).toEqual([hourOf('2026-01-01T04:30:00Z')]);
    expect(timeWindowsClosed(spec, hourOf('2026-01-01T04:30:00Z'), at('2026-01-01T05:10:00Z'))).toEqual([]);
    // Five minutes of grace for late batches: 05:03 is too early to close 04:00–05:00.
    expect(timeWindowsClosed(spec, hourOf('2026-01-01T03:30:00Z'), at('2026-01-01T05:03:00Z'), 300_000)).toEqual([]);
    expect(timeWindowsClosed(spec, hourOf('2026-01-01T01:30:00Z'), at('2026-01-01T05:06:00Z'), 300_000)).toEqual(
      ['02', '03', '04'].map((h) => hourOf(`2026-01-01T${h}:30:00Z`)),
    );
    expect(timeWindowsClosed(spec, 0, at('2026-01-01T05:06:00Z'), 0, 3)).toHaveLength(3);
  });

  it('validate the config', () => {
    expect(resolveWindow({ size: 1000 })).toEqual({ kind: 'count', size: 1000 });
    expect(() => resolveWindow({ size: 0 })).toThrow(/positive integer/);
    expect(() => resolveWindow({ size: 1.5 })).toThrow(/positive integer/);
    expect(() => resolveWindow({ every: 'P1M' })).toThrow(/no fixed length/);
  });
});
