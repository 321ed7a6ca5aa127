import type { ColumnKind } from './types.js';

/** What a sample says about one column: how many cells were numbers, missing, or other text. */
export interface ColumnEvidence {
  numeric: number;
  missing: number;
  other: number;
}

/**
 * A column is numeric when at most this share of its non-missing sampled cells are not numbers.
 * A handful of stray texts ("oops" once in 800 rows) must not flip a numeric column to
 * categorical — that raised false drift alarms; those cells are reported instead (or counted
 * missing on request). A column of labels, even with some numeric-looking ones, stays categorical.
 */
export const MAX_NON_NUMERIC_SHARE = 0.05;

/** The kind a sample supports, or null when it holds no value at all (no opinion). */
export function inferKind(ev: ColumnEvidence): ColumnKind | null {
  const present = ev.numeric + ev.other;
  if (present === 0) return null;
  return ev.numeric > 0 && ev.other <= MAX_NON_NUMERIC_SHARE * present ? 'numeric' : 'categorical';
}

/**
 * Joins the opinions of several inputs that must agree on one kind per column (reference and
 * current): categorical as soon as one says so, numeric when one says numeric and none objects,
 * numeric (the cheaper profile) when none has a value.
 */
export function agreeKinds(...opinions: ReadonlyMap<string, ColumnKind | null>[]): Map<string, ColumnKind> {
  const out = new Map<string, ColumnKind>();
  for (const opinion of opinions) {
    for (const [name, kind] of opinion) {
      if (kind === 'categorical' || !out.has(name)) out.set(name, kind ?? 'numeric');
    }
  }
  // A column no input had a value in stays numeric only if nobody said categorical (handled
  // above); one input's "numeric" never overrides another's "categorical".
  return out;
}
