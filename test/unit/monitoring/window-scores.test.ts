import { describe, expect, it } from 'vitest';
import type { SampleBatch } from '../../../src/monitoring/batch.js';
import { encodeBatch } from '../../../src/monitoring/batch-codec.js';
import type { SampleBatchRow } from '../../../src/monitoring/monitoring.repository.js';
import { assembleWindow } from '../../../src/monitoring/window-data.js';

const row = (seqStart: number, batch: SampleBatch) =>
  ({ seqStart, rowCount: batch.rowCount, payload: encodeBatch(batch), observedAt: '2026-01-01T00:00:00.000Z' }) as unknown as SampleBatchRow;
const x = (n: number) => new Map([['x', { kind: 'numeric' as const, values: new Float64Array(n) }]]);

describe('window scores', () => {
  it("puts each batch's class columns in the first batch's order; another class set or binary scores count as none", () => {
    const data = assembleWindow(
      [
        row(0, { rowCount: 2, columns: x(2), scores: { classes: ['a', 'b'], values: Float64Array.of(0.1, 0.9, 0.7, 0.3) } }),
        row(2, { rowCount: 1, columns: x(1), scores: { classes: ['b', 'a'], values: Float64Array.of(0.8, 0.2) } }),
        row(3, { rowCount: 1, columns: x(1), scores: { classes: ['a', 'c'], values: Float64Array.of(0.5, 0.5) } }),
        row(4, { rowCount: 1, columns: x(1), scores: { classes: null, values: Float64Array.of(0.4) } }),
        row(5, { rowCount: 2, columns: x(2), scores: { classes: ['a', 'b'], values: Float64Array.of(Number.NaN, Number.NaN, 0.6, 0.4) } }),
      ],
      [{ name: 'x', type: 'numeric' }],
    );
    expect(data.classes).toEqual(['a', 'b']);
    expect(data.scores).toEqual([[0.1, 0.9], [0.7, 0.3], [0.2, 0.8], null, null, null, [0.6, 0.4]]);
  });

  it('binary scores per row, null where a batch has none; a count window takes its slice', () => {
    const data = assembleWindow(
      [
        row(0, { rowCount: 3, columns: x(3), scores: { classes: null, values: Float64Array.of(0.1, Number.NaN, 0.3) } }),
        row(3, { rowCount: 2, columns: x(2) }),
      ],
      [{ name: 'x', type: 'numeric' }],
      { kind: 'seq', from: 1, to: 5 },
    );
    expect(data.classes).toBeNull();
    expect(data.scores).toEqual([null, 0.3, null, null]);
  });
});
