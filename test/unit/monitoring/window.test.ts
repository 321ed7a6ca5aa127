import fc from 'fast-check';
import { rowTime } from '../../../src/monitoring/ingest-times.js';
import { describe, expect, it } from 'vitest';
import {
  completedCountWindows,
  countBatchSlices,
  countWindowInterval,
  countWindowOf,
  parseLateness,
  resolveWindow,
  timeWindowRows,
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
    expect(hourly).toEqual({ kind: 'time', everyMs: 3_600_000, originMs: 0, latenessMs: 3_600_000 });
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
    expect(resolveWindow({ every: 'PT1H', allowedLateness: 'PT30M' })).toMatchObject({ latenessMs: 1_800_000 });
    expect(resolveWindow({ every: 'PT1H', allowedLateness: 'PT0S' })).toMatchObject({ latenessMs: 0 });
    expect(parseLateness('P0D')).toBe(0);
    expect(() => parseLateness('soon')).toThrow();
  });

  it('group a batch by window and say which windows still take late rows', () => {
    const spec = { everyMs: 3_600_000, originMs: 0, latenessMs: 3_600_000 };
    const t = (hhmm: string) => Date.parse(`2026-01-01T${hhmm}:00Z`);
    const hour = (hhmm: string) => timeWindowOf(spec, t(hhmm));
    // At 04:30: 02:00–03:00 closed for good at 04:00; 03:00–04:00 takes rows until 05:00; 04:00–05:00 is open.
    expect(timeWindowRows(spec, [t('04:10'), t('02:10'), t('03:20'), t('02:50')], t('04:30'))).toEqual([
      { window: hour('02:10'), rows: 2, onTime: false },
      { window: hour('03:20'), rows: 1, onTime: true },
      { window: hour('04:10'), rows: 1, onTime: true },
    ]);
    // The boundary: a window's end + lateness is still on time.
    expect(timeWindowRows(spec, [t('02:10')], t('04:00'))[0]!.onTime).toBe(true);
    expect(timeWindowRows({ ...spec, latenessMs: 0 }, [t('02:10')], t('03:00') + 1)[0]!.onTime).toBe(false);
  });
});

describe('row times', () => {
  it('take ISO-8601 with a zone or epoch ms; null is the batch time; anything else is invalid', () => {
    expect(rowTime('2026-03-01T10:05:00Z')).toBe(Date.parse('2026-03-01T10:05:00Z'));
    expect(rowTime('2026-03-01T10:05:00.123+02:00')).toBe(Date.parse('2026-03-01T08:05:00.123Z'));
    expect(rowTime(1772359500000)).toBe(1772359500000);
    expect(rowTime('1772359500000')).toBe(1772359500000);
    expect(rowTime(1772359500000n)).toBe(1772359500000);
    expect(rowTime(null)).toBeNaN();
    for (const bad of ['2026-03-01 10:05', '2026-03-01T10:05:00', 'yesterday', -1, 1.5, true, {}]) expect(rowTime(bad)).toBeUndefined();
  });
});
