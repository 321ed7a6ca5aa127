import { parseIsoDuration } from './duration.js';

/**
 * Drift windows, pure arithmetic (no I/O, the clock passed in).
 *
 * Count windows are defined over the model's sample sequence number: every accepted sample gets
 * the next number (0, 1, 2, … per monitored model, in the order batches are committed), and
 * window k holds samples [k·N, (k+1)·N). A batch is one contiguous run of numbers, so it may fill
 * several windows at once or straddle a boundary (its first rows end window k, the rest start
 * k+1). Because the numbering is committed with the batch, which windows a batch completes is a
 * function of (its first number, its row count): two API processes can never both complete the
 * same window, and a retried computation gives the same answer.
 *
 * Time windows are fixed-length intervals aligned to an origin (default the Unix epoch, so PT1H
 * windows are whole UTC hours and P1D windows UTC days): window k is [origin + k·d, origin + (k+1)·d).
 */

export type WindowConfig = { size: number } | { every: string; allowedLateness?: string };

export type WindowSpec = { kind: 'count'; size: number } | { kind: 'time'; everyMs: number; originMs: number; latenessMs: number };

/** How long after its end a time window still takes late rows (each one revises its report): PT1H. */
export const DEFAULT_ALLOWED_LATENESS_MS = 3_600_000;

/** `allowedLateness` → ms; a zero duration (PT0S) means none. @throws DurationError */
export function parseLateness(text: string): number {
  return /^P(T0+(\.0+)?[HMS]|0+D)$/i.test(text) ? 0 : parseIsoDuration(text);
}

/** Half-open interval [start, end). For count windows: sample numbers; for time windows: epoch ms. */
export interface Interval {
  start: number;
  end: number;
}

/** One window's share of a batch: batch rows [rowStart, rowEnd) belong to `window`. */
export interface BatchSlice {
  window: number;
  rowStart: number;
  rowEnd: number;
}

export const DEFAULT_WINDOW: WindowConfig = { size: 1000 };

/**
 * Validates a monitor's window config and resolves the duration.
 * @throws RangeError for a size that is not a positive safe integer; DurationError for a bad duration.
 */
export function resolveWindow(config: WindowConfig, originMs = 0): WindowSpec {
  if ('size' in config) {
    if (!Number.isSafeInteger(config.size) || config.size < 1) throw new RangeError(`window size must be a positive integer, got ${config.size}`);
    return { kind: 'count', size: config.size };
  }
  const latenessMs = config.allowedLateness === undefined ? DEFAULT_ALLOWED_LATENESS_MS : parseLateness(config.allowedLateness);
  return { kind: 'time', everyMs: parseIsoDuration(config.every), originMs, latenessMs };
}

/**
 * The count window that sample number `sequence` belongs to: ⌊sequence / size⌋.
 */
export function countWindowOf(size: number, sequence: number): number {
  return Math.floor(sequence / size);
}

/** Sample numbers of count window k: [k·size, (k+1)·size). */
export function countWindowInterval(size: number, window: number): Interval {
  return { start: window * size, end: (window + 1) * size };
}

/**
 * Windows a batch completes: those whose last sample, (k+1)·size − 1, lies in the batch's run
 * [firstSequence, firstSequence + rows). That is k from ⌊first/size⌋ to ⌊(first+rows)/size⌋ − 1.
 * @example completedCountWindows(1000, 900, 2500) → [0, 1, 2]  (samples 900…3399 end windows 0–2)
 * @example completedCountWindows(1000, 0, 999) → []             (window 0 still needs sample 999)
 */
export function completedCountWindows(size: number, firstSequence: number, rows: number): number[] {
  if (rows <= 0) return [];
  const from = Math.floor(firstSequence / size);
  const to = Math.floor((firstSequence + rows) / size); // exclusive
  const windows: number[] = [];
  for (let k = from; k < to; k++) windows.push(k);
  return windows;
}

/**
 * How a batch's rows split over count windows, in row order: what a drift job for window k reads
 * from each batch that overlaps it.
 * @example countBatchSlices(1000, 900, 250) → [{window:0,rowStart:0,rowEnd:100},{window:1,rowStart:100,rowEnd:250}]
 */
export function countBatchSlices(size: number, firstSequence: number, rows: number): BatchSlice[] {
  const slices: BatchSlice[] = [];
  let row = 0;
  while (row < rows) {
    const window = countWindowOf(size, firstSequence + row);
    const rowEnd = Math.min(rows, (window + 1) * size - firstSequence);
    slices.push({ window, rowStart: row, rowEnd });
    row = rowEnd;
  }
  return slices;
}

/** The time window containing instant t (epoch ms): ⌊(t − origin) / every⌋. */
export function timeWindowOf(spec: { everyMs: number; originMs: number }, t: number): number {
  return Math.floor((t - spec.originMs) / spec.everyMs);
}

/** Epoch-ms range of time window k: [origin + k·every, origin + (k+1)·every). */
export function timeWindowInterval(spec: { everyMs: number; originMs: number }, window: number): Interval {
  const start = spec.originMs + window * spec.everyMs;
  return { start, end: start + spec.everyMs };
}

/**
 * Time windows that have closed since `afterWindow` (exclusive; null = none processed yet, start
 * with the last closed one). A window is closed once its end plus `graceMs` (for late batches)
 * is ≤ now. The scheduler job calls this each tick; catching up after downtime returns every
 * missed window, oldest first, capped at `max` (the newest `max` of them).
 * @example timeWindowsClosed({everyMs:3.6e6, originMs:0}, null, Date.parse('2026-01-01T05:10Z'), 0) → [the 04:00–05:00 window]
 */
export function timeWindowsClosed(spec: { everyMs: number; originMs: number }, afterWindow: number | null, nowMs: number, graceMs = 0, max = 1000): number[] {
  const lastClosed = timeWindowOf(spec, nowMs - graceMs) - 1;
  const first = Math.max(afterWindow === null ? lastClosed : afterWindow + 1, lastClosed - max + 1);
  const windows: number[] = [];
  for (let k = first; k <= lastClosed; k++) windows.push(k);
  return windows;
}

/** Rows of one batch in one time window: how many, and whether the window still takes them. */
export interface TimeWindowRows {
  window: number;
  rows: number;
  /** now ≤ the window's end + allowed lateness: rows that join (or revise) the window's report. */
  onTime: boolean;
}

/**
 * Groups a batch's row times (epoch ms) by time window, oldest window first, and says for each
 * whether it is still within its allowed lateness at `nowMs` (its end + lateness ≥ now).
 * @example timeWindowRows({everyMs:3.6e6, originMs:0, latenessMs:3.6e6}, [t(02:10), t(03:20)], t(04:30)) → [{window 2, rows 1, onTime: false}, {window 3, rows 1, onTime: true}]
 */
export function timeWindowRows(spec: { everyMs: number; originMs: number; latenessMs: number }, times: ArrayLike<number>, nowMs: number): TimeWindowRows[] {
  const counts = new Map<number, number>();
  for (let i = 0; i < times.length; i++) {
    const k = timeWindowOf(spec, times[i]!);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([window, rows]) => ({ window, rows, onTime: timeWindowInterval(spec, window).end + spec.latenessMs >= nowMs }));
}
