import type { Column } from '../drift/index.js';
import { decodeBatch } from './batch-codec.js';
import type { FeatureSpec, OutcomeValues, SampleBatch } from './batch.js';
import type { SampleBatchRow } from './monitoring.repository.js';

/** The rows of one window, gathered from the stored batches that overlap it. */
export interface WindowData {
  rows: number;
  columns: Map<string, Column>;
  ids: (string | null)[];
  predictions: (number | string | null)[];
  labels: (number | string | null)[];
  /** Per row: P(positive) (binary), per-class probabilities in `classes` order (multiclass), or null. */
  scores: (number | number[] | null)[];
  /** The classes of multiclass scores: the first scored batch's; null for binary or no scores. */
  classes: (number | string)[] | null;
  firstObservedAt: string | null;
  lastObservedAt: string | null;
}

/**
 * Which rows of the overlapping batches belong to a window: sample numbers [from, to) for a
 * count window; row times in [fromMs, toMs] (inclusive, epoch ms) for a time or range window.
 */
export type WindowSelect = { kind: 'seq'; from: number; to: number } | { kind: 'time'; fromMs: number; toMs: number };

interface Slice {
  batch: SampleBatch;
  start: number;
  end: number;
  /** Rows picked by their own times, in row order; when absent, every row of [start, end). */
  index?: number[];
  observedAt: string;
}

const sliceLength = (s: Slice) => (s.index ? s.index.length : s.end - s.start);

/** The time of each row of a stored batch: its own timestamp, else the batch's observation time. */
export function rowTimes(row: Pick<SampleBatchRow, 'observedAt' | 'observedUntil'>, batch: SampleBatch): (i: number) => number {
  const at = Date.parse(row.observedAt);
  const times = batch.timestamps;
  if (!times || row.observedUntil === null) return () => at;
  return (i) => {
    const t = times[i]!;
    return Number.isNaN(t) ? at : t;
  };
}

function sliceOf(row: SampleBatchRow, select: WindowSelect | undefined): Slice {
  const batch = decodeBatch(row.payload);
  if (select?.kind === 'seq') {
    const start = Math.max(0, select.from - Number(row.seqStart));
    const end = Math.min(row.rowCount, select.to - Number(row.seqStart));
    return { batch, start, end: Math.max(start, end), observedAt: row.observedAt };
  }
  if (select?.kind === 'time') {
    const time = rowTimes(row, batch);
    const index: number[] = [];
    for (let i = 0; i < row.rowCount; i++) {
      const t = time(i);
      if (t >= select.fromMs && t <= select.toMs) index.push(i);
    }
    return { batch, start: 0, end: row.rowCount, index, observedAt: row.observedAt };
  }
  return { batch, start: 0, end: row.rowCount, observedAt: row.observedAt };
}

/**
 * Concatenates the window's rows of each batch, feature by feature (typed arrays for numbers).
 * A batch straddling the window contributes only its rows inside it; without `select`, every row
 * of every batch counts. Pass no features to gather only ids, predictions and labels.
 */
export function assembleWindow(batches: readonly SampleBatchRow[], features: readonly FeatureSpec[], select?: WindowSelect): WindowData {
  const slices = batches.map((row) => sliceOf(row, select));
  const rows = slices.reduce((n, s) => n + sliceLength(s), 0);
  const columns = new Map<string, Column>();
  for (const feature of features) {
    if (feature.type === 'numeric') {
      const out = new Float64Array(rows);
      let at = 0;
      for (const s of slices) {
        const col = s.batch.columns.get(feature.name);
        const n = sliceLength(s);
        if (col?.kind !== 'numeric') out.fill(Number.NaN, at, at + n);
        else if (s.index) s.index.forEach((i, j) => (out[at + j] = col.values[i]!));
        else out.set(col.values.subarray(s.start, s.end), at);
        at += n;
      }
      columns.set(feature.name, out);
    } else {
      const out: (string | null)[] = [];
      for (const s of slices) {
        const col = s.batch.columns.get(feature.name);
        forRows(s, (i) => out.push(col?.kind === 'categorical' ? (col.values[i] ?? null) : null));
      }
      columns.set(feature.name, out);
    }
  }
  const take = <V>(pick: (b: SampleBatch) => readonly (V | null)[] | undefined): (V | null)[] => {
    const out: (V | null)[] = [];
    for (const s of slices) {
      const values = pick(s.batch);
      forRows(s, (i) => out.push(values?.[i] ?? null));
    }
    return out;
  };
  const used = slices.filter((s) => sliceLength(s) > 0);
  const { scores, classes } = windowScores(slices);
  return {
    rows,
    columns,
    ids: take<string>((b) => b.ids),
    predictions: take<number | string>((b) => b.predictions as OutcomeValues | undefined),
    labels: take<number | string>((b) => b.labels as OutcomeValues | undefined),
    scores,
    classes,
    firstObservedAt: used[0]?.observedAt ?? null,
    lastObservedAt: used.at(-1)?.observedAt ?? null,
  };
}

/**
 * Scores of the window's rows. Multiclass columns are put in the order of the first batch that
 * has them; a batch whose classes are another set (or binary among multiclass) contributes no
 * scores for its rows rather than misaligned ones.
 */
function windowScores(slices: readonly Slice[]) {
  const first = slices.find((s) => sliceLength(s) > 0 && s.batch.scores)?.batch.scores;
  const classes = first?.classes ?? null;
  const scores: (number | number[] | null)[] = [];
  for (const slice of slices) {
    const own = slice.batch.scores;
    const map = own && classes && own.classes && own.classes.length === classes.length ? classes.map((c) => own.classes!.indexOf(c)) : undefined;
    const fits = own && (classes === null ? own.classes === null : map?.every((j) => j >= 0) === true);
    forRows(slice, (i) => {
      if (!fits) scores.push(null);
      else if (classes === null) scores.push(Number.isNaN(own.values[i]!) ? null : own.values[i]!);
      else {
        const k = own.classes!.length;
        const row = map!.map((j) => own.values[i * k + j]!);
        scores.push(row.some(Number.isNaN) ? null : row);
      }
    });
  }
  return { scores, classes };
}

function forRows(s: Slice, fn: (i: number) => void): void {
  if (s.index) for (const i of s.index) fn(i);
  else for (let i = s.start; i < s.end; i++) fn(i);
}

/** The stored batches and row selection of one report's window: the single rule drift jobs and training exports share. */
export async function loadReportWindow(
  repo: {
    batchesInSequence(versionId: number, from: number, to: number): Promise<SampleBatchRow[]>;
    batchesInTime(versionId: number, from: string, to: string, receivedBy?: string | null): Promise<SampleBatchRow[]>;
  },
  report: {
    kind: string;
    versionId: number;
    seqFrom: number | null;
    seqTo: number | null;
    fromTime: string | null;
    toTime: string | null;
    dataCutoff: string | null;
  },
  features: readonly FeatureSpec[],
): Promise<WindowData> {
  if (report.kind === 'count') {
    const from = Number(report.seqFrom);
    const to = Number(report.seqTo);
    return assembleWindow(await repo.batchesInSequence(report.versionId, from, to), features, { kind: 'seq', from, to });
  }
  const from = report.fromTime ?? new Date(0).toISOString();
  const to = report.toTime ?? new Date(8.64e15).toISOString();
  const batches = await repo.batchesInTime(report.versionId, from, to, report.dataCutoff);
  return assembleWindow(batches, features, { kind: 'time', fromMs: Date.parse(from), toMs: Date.parse(to) });
}
