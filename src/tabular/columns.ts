import { parseError } from './errors.js';
import type { NaMatcher } from './na.js';
import type { ColumnKind, NonNumericPolicy, TabularColumn, TabularWarning } from './types.js';

/**
 * Column builders for the schema-typed formats (Arrow, Parquet): cells arrive as JS values
 * (number, bigint, string, boolean, Date, null) and are stored as the declared or schema kind.
 * A declared kind may differ from the schema's (a string column declared numeric), so both
 * directions convert; the common case, schema kind = stored kind, takes the typed-array paths.
 */
export interface ColumnBuilder {
  readonly kind: ColumnKind;
  /** Writes `values` at rows [rowStart, rowStart + values.length). */
  write(rowStart: number, values: ArrayLike<unknown>): void;
  /**
   * Writes `count` rows from `rowStart` where row i is present when present[i] === maxLevel
   * (Parquet definition levels), taking the next of `values`; others are missing.
   */
  scatter(rowStart: number, count: number, values: ArrayLike<unknown>, present: ArrayLike<number> | null, maxLevel: number): void;
  finish(rowCount: number): TabularColumn;
  warning(): TabularWarning | null;
}

interface BuilderContext {
  name: string;
  source: string;
  na: NaMatcher;
  nonNumeric: NonNumericPolicy;
}

const DECIMAL = /^[ \t]*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[ \t]*$/;

export function createColumnBuilder(kind: ColumnKind, rows: number, ctx: BuilderContext): ColumnBuilder {
  let bad = 0;
  let firstBad = '';
  let firstRow = 0;
  const toNumber = (v: unknown, row: number): number => {
    if (typeof v === 'number') return Number.isFinite(v) ? v : NaN;
    if (typeof v === 'bigint') return Number(v);
    if (v === null || v === undefined) return NaN;
    if (v instanceof Date) return v.getTime();
    if (typeof v === 'boolean') return v ? 1 : 0;
    const text = String(v);
    if (DECIMAL.test(text)) {
      const n = Number(text);
      return Number.isFinite(n) ? n : NaN;
    }
    if (ctx.na.isNumericNa(text)) return NaN;
    if (ctx.nonNumeric === 'error') {
      throw parseError(ctx.source, `"${text}" is not a number, but the column is declared numeric (row ${row + 1})`, { column: ctx.name });
    }
    if (bad++ === 0) {
      firstBad = text;
      firstRow = row + 1;
    }
    return NaN;
  };
  const toLabel = (v: unknown): string | null => {
    if (v === null || v === undefined) return null;
    if (typeof v === 'number' && Number.isNaN(v)) return null;
    const text = v instanceof Date ? v.toISOString() : String(v);
    return ctx.na.isNa(text) ? null : text;
  };
  const warning = (): TabularWarning | null => (bad > 0 ? { column: ctx.name, count: bad, firstLine: firstRow, firstValue: firstBad } : null);

  if (kind === 'numeric') {
    const out = new Float64Array(rows);
    return {
      kind,
      write(rowStart, values) {
        if (
          values instanceof Float64Array ||
          values instanceof Float32Array ||
          values instanceof Int32Array ||
          values instanceof Int16Array ||
          values instanceof Int8Array ||
          values instanceof Uint8Array ||
          values instanceof Uint16Array ||
          values instanceof Uint32Array
        ) {
          out.set(values, rowStart);
          // Typed arrays of floats may still hold NaN/±Infinity; infinities are missing here too.
          if (values instanceof Float64Array || values instanceof Float32Array) {
            for (let i = rowStart; i < rowStart + values.length; i++) if (out[i] === Infinity || out[i] === -Infinity) out[i] = NaN;
          }
          return;
        }
        for (let i = 0; i < values.length; i++) out[rowStart + i] = toNumber(values[i], rowStart + i);
      },
      scatter(rowStart, count, values, present, maxLevel) {
        if (!present) return this.write(rowStart, values);
        let k = 0;
        if (values instanceof Float64Array || values instanceof Int32Array || values instanceof Float32Array) {
          for (let i = 0; i < count; i++) {
            const v = present[i] === maxLevel ? values[k++]! : NaN;
            out[rowStart + i] = v === Infinity || v === -Infinity ? NaN : v;
          }
          return;
        }
        for (let i = 0; i < count; i++) out[rowStart + i] = present[i] === maxLevel ? toNumber(values[k++], rowStart + i) : NaN;
      },
      finish: () => ({ kind, values: out }),
      warning,
    };
  }
  const out = new Array<string | null>(rows).fill(null);
  // Labels repeat: one string per distinct value, not per cell.
  const labels = new Map<unknown, string | null>();
  const labelOf = (v: unknown): string | null => {
    let label = labels.get(v);
    if (label === undefined) {
      label = toLabel(v);
      if (labels.size < 100_000) labels.set(v, label);
    }
    return label;
  };
  return {
    kind,
    write(rowStart, values) {
      for (let i = 0; i < values.length; i++) out[rowStart + i] = labelOf(values[i]);
    },
    scatter(rowStart, count, values, present, maxLevel) {
      if (!present) return this.write(rowStart, values);
      let k = 0;
      for (let i = 0; i < count; i++) out[rowStart + i] = present[i] === maxLevel ? labelOf(values[k++]) : null;
    },
    finish: () => ({ kind, values: out }),
    warning,
  };
}

/** The table a reader returns, from builders that were each written `rowCount` rows. */
export function finishTable(builders: Map<string, ColumnBuilder>, rowCount: number, onWarning?: (w: TabularWarning) => void) {
  const columns = new Map<string, TabularColumn>();
  for (const [name, builder] of builders) {
    columns.set(name, builder.finish(rowCount));
    const w = builder.warning();
    if (w) onWarning?.(w);
  }
  return { rowCount, columns };
}
