import type { Column } from '../drift/index.js';
import { decodeBatch } from './batch-codec.js';
import type { BatchScores, FeatureSpec, OutcomeValues } from './batch.js';
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
 * Concatenates the window's slice of each batch, feature by feature (typed arrays for numbers).
 * With `range` (sample numbers [from, to)), a batch straddling the window contributes only its
 * rows inside it; without, every row of every batch counts.
 */
export function assembleWindow(batches: readonly SampleBatchRow[], features: readonly FeatureSpec[], range?: { from: number; to: number }): WindowData {
  const slices = batches.map((row) => {
    const start = range ? Math.max(0, range.from - Number(row.seqStart)) : 0;
    const end = range ? Math.min(row.rowCount, range.to - Number(row.seqStart)) : row.rowCount;
    return { batch: decodeBatch(row.payload), start, end: Math.max(start, end), observedAt: row.observedAt };
  });
  const rows = slices.reduce((n, s) => n + (s.end - s.start), 0);
  const columns = new Map<string, Column>();
  for (const feature of features) {
    if (feature.type === 'numeric') {
      const out = new Float64Array(rows);
      let at = 0;
      for (const { batch, start, end } of slices) {
        const col = batch.columns.get(feature.name);
        if (col?.kind === 'numeric') out.set(col.values.subarray(start, end), at);
        else out.fill(Number.NaN, at, at + end - start);
        at += end - start;
      }
      columns.set(feature.name, out);
    } else {
      const out: (string | null)[] = [];
      for (const { batch, start, end } of slices) {
        const col = batch.columns.get(feature.name);
        for (let i = start; i < end; i++) out.push(col?.kind === 'categorical' ? (col.values[i] ?? null) : null);
      }
      columns.set(feature.name, out);
    }
  }
  const take = <V>(pick: (b: ReturnType<typeof decodeBatch>) => readonly (V | null)[] | undefined): (V | null)[] => {
    const out: (V | null)[] = [];
    for (const { batch, start, end } of slices) {
      const values = pick(batch);
      for (let i = start; i < end; i++) out.push(values?.[i] ?? null);
    }
    return out;
  };
  const used = slices.filter((s) => s.end > s.start);
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
function windowScores(slices: readonly { batch: { scores?: BatchScores }; start: number; end: number }[]) {
  const first = slices.find((s) => s.end > s.start && s.batch.scores)?.batch.scores;
  const classes = first?.classes ?? null;
  const scores: (number | number[] | null)[] = [];
  for (const { batch, start, end } of slices) {
    const own = batch.scores;
    const map = own && classes && own.classes && own.classes.length === classes.length ? classes.map((c) => own.classes!.indexOf(c)) : undefined;
    const fits = own && (classes === null ? own.classes === null : map?.every((j) => j >= 0) === true);
    for (let i = start; i < end; i++) {
      if (!fits) scores.push(null);
      else if (classes === null) scores.push(Number.isNaN(own.values[i]!) ? null : own.values[i]!);
      else {
        const k = own.classes!.length;
        const row = map!.map((j) => own.values[i * k + j]!);
        scores.push(row.some(Number.isNaN) ? null : row);
      }
    }
  }
  return { scores, classes };
}
