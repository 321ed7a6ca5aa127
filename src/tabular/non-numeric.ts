import type { NaMatcher } from './na.js';
import type { NonNumericPolicy, TabularWarning } from './types.js';

/**
 * What becomes of a numeric CSV cell that did not parse as a number. An NA token, a blank or an
 * infinity is missing. Anything else depends on the policy: 'error' throws (via `fail`), 'missing'
 * counts it for a warning, 'count' (type sampling) tallies missing and other cells per column.
 * Each (row, column) is counted once, though a row cut by a chunk boundary is parsed twice.
 */
export interface NonNumberHandler {
  /** Always NaN (missing) unless it throws. */
  handle(column: number, text: string, row: number, line: number): number;
  warnings(names: readonly string[]): TabularWarning[];
  tallies(): { missing: number; other: number }[];
}

export function createNonNumberHandler(
  na: NaMatcher,
  policy: NonNumericPolicy | 'count',
  fail: (column: number, text: string, line: number) => Error,
): NonNumberHandler {
  const bad: { count: number; lastRow: number; firstLine: number; firstValue: string }[] = [];
  const tally: { missing: number; other: number; lastRow: number }[] = [];
  const at = <T>(list: T[], j: number, make: () => T): T => {
    while (list.length <= j) list.push(make());
    return list[j]!;
  };
  return {
    handle(j, text, row, line) {
      const trimmed = text.trim();
      const missing = trimmed.length === 0 || na.isNumericNa(text) || Math.abs(Number(trimmed)) === Infinity;
      if (policy === 'count') {
        const t = at(tally, j, () => ({ missing: 0, other: 0, lastRow: -1 }));
        if (t.lastRow !== row) {
          t.lastRow = row;
          if (missing) t.missing++;
          else t.other++;
        }
        return NaN;
      }
      if (missing) return NaN;
      if (policy === 'error') throw fail(j, text, line);
      const b = at(bad, j, () => ({ count: 0, lastRow: -1, firstLine: 0, firstValue: '' }));
      if (b.lastRow !== row) {
        if (b.count === 0) {
          b.firstLine = line;
          b.firstValue = text;
        }
        b.count++;
        b.lastRow = row;
      }
      return NaN;
    },
    warnings(names) {
      return bad.flatMap((b, j) => (b.count > 0 ? [{ column: names[j]!, count: b.count, firstLine: b.firstLine, firstValue: b.firstValue }] : []));
    },
    tallies() {
      return Array.from({ length: tally.length }, (_, j) => ({ missing: tally[j]?.missing ?? 0, other: tally[j]?.other ?? 0 }));
    },
  };
}
