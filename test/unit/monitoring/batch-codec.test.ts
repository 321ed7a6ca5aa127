import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FeatureColumn, SampleBatch } from '../../../src/monitoring/batch.js';
import { BatchCodecError, decodeBatch, encodeBatch } from '../../../src/monitoring/batch-codec.js';

/** Any double, NaN (including odd payloads), ±0 and ±Infinity among them. */
const double = fc.oneof(fc.double(), fc.constant(Number.NaN), fc.constant(-0));
const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('', 'é', '😀', 'a\u0000b'));

const batchArb: fc.Arbitrary<SampleBatch> = fc.integer({ min: 0, max: 40 }).chain((rowCount) => {
  const numeric = fc.array(double, { minLength: rowCount, maxLength: rowCount }).map((v): FeatureColumn => ({ kind: 'numeric', values: Float64Array.from(v) }));
  const categorical = fc
    .array(fc.option(fc.constantFrom('a', 'b', 'c', 'ü', ''), { nil: null }), { minLength: rowCount, maxLength: rowCount })
    .map((v): FeatureColumn => ({ kind: 'categorical', values: v }));
  const outcome = fc.oneof(
    fc.array(fc.option(fc.double({ noNaN: true }), { nil: null }), { minLength: rowCount, maxLength: rowCount }),
    fc.array(fc.option(text, { nil: null }), { minLength: rowCount, maxLength: rowCount }),
  );
  return fc.record(
    {
      rowCount: fc.constant(rowCount),
      columns: fc.uniqueArray(fc.tuple(text, fc.oneof(numeric, categorical)), { selector: ([name]) => name, maxLength: 6 }).map((e) => new Map(e)),
      ids: fc.array(fc.option(text, { nil: null }), { minLength: rowCount, maxLength: rowCount }),
      predictions: outcome,
      labels: outcome,
      timestamps: fc.array(double, { minLength: rowCount, maxLength: rowCount }).map((v) => Float64Array.from(v)),
      scores: fc.oneof(
        fc.array(double, { minLength: rowCount, maxLength: rowCount }).map((v) => ({ classes: null, values: Float64Array.from(v) })),
        fc
          .oneof(fc.uniqueArray(fc.integer(), { minLength: 1, maxLength: 4 }), fc.uniqueArray(text, { minLength: 1, maxLength: 4 }))
          .chain((classes) =>
            fc
              .array(double, { minLength: rowCount * classes.length, maxLength: rowCount * classes.length })
              .map((v) => ({ classes: classes as (number | string)[], values: Float64Array.from(v) })),
          ),
      ),
    },
    { requiredKeys: ['rowCount', 'columns'] },
  ) as fc.Arbitrary<SampleBatch>;
});

function bits(values: Float64Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('hex');
}

describe('batch codec', () => {
  it('round-trips every batch exactly: NaN payloads, -0, missing values, dictionaries, ids, outcomes, timestamps, scores', () => {
    fc.assert(
      fc.property(batchArb, (batch) => {
        const decoded = decodeBatch(encodeBatch(batch));
        expect(decoded.rowCount).toBe(batch.rowCount);
        expect([...decoded.columns.keys()]).toEqual([...batch.columns.keys()]);
        for (const [name, column] of batch.columns) {
          const back = decoded.columns.get(name)!;
          expect(back.kind).toBe(column.kind);
          if (column.kind === 'numeric') expect(bits(back.values as Float64Array)).toBe(bits(column.values));
          else expect(back.values).toEqual(column.values);
        }
        expect(decoded.ids).toEqual(batch.ids);
        expect(decoded.predictions).toEqual(batch.predictions);
        expect(decoded.labels).toEqual(batch.labels);
        if (batch.timestamps) expect(bits(decoded.timestamps!)).toBe(bits(batch.timestamps));
        else expect(decoded.timestamps).toBeUndefined();
        if (batch.scores) {
          expect(decoded.scores!.classes).toEqual(batch.scores.classes);
          expect(bits(decoded.scores!.values)).toBe(bits(batch.scores.values));
        } else expect(decoded.scores).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it('keeps NaN as the missing marker of a numeric feature', () => {
    const batch: SampleBatch = { rowCount: 3, columns: new Map([['x', { kind: 'numeric', values: Float64Array.of(1, Number.NaN, -0) }]]) };
    const values = decodeBatch(encodeBatch(batch)).columns.get('x')!.values as Float64Array;
    expect(Number.isNaN(values[1])).toBe(true);
    expect(Object.is(values[2], -0)).toBe(true);
  });

  it('stores 1 000 rows × 20 numeric features in at most ~170 KB', () => {
    const columns = new Map<string, FeatureColumn>();
    for (let f = 0; f < 20; f++) columns.set(`feature_${f}`, { kind: 'numeric', values: Float64Array.from({ length: 1000 }, () => Math.random()) });
    const size = encodeBatch({ rowCount: 1000, columns }).length;
    expect(size).toBeGreaterThanOrEqual(160_000);
    expect(size).toBeLessThanOrEqual(170_000);
  });

  it('rejects every truncation and any flipped byte with a BatchCodecError', () => {
    fc.assert(
      fc.property(batchArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (batch, at, xor) => {
        const buf = encodeBatch(batch);
        const cut = at % buf.length;
        expect(() => decodeBatch(buf.subarray(0, cut))).toThrow(BatchCodecError);
        const flipped = Buffer.from(buf);
        flipped[cut] = flipped[cut]! ^ xor;
        expect(() => decodeBatch(flipped)).toThrow(BatchCodecError);
        expect(() => decodeBatch(Buffer.concat([buf, Buffer.of(0)]))).toThrow(BatchCodecError);
      }),
      { numRuns: 200 },
    );
  });

  it('names the problem: another format, a newer version, a column of the wrong length, mixed outcome types', () => {
    const buf = encodeBatch({ rowCount: 1, columns: new Map([['x', { kind: 'numeric', values: Float64Array.of(1) }]]) });
    expect(() => decodeBatch(Buffer.from('PAR1' + 'x'.repeat(30)))).toThrow(/bad magic/);
    const newer = Buffer.from(buf);
    newer.writeUInt16LE(2, 4);
    expect(() => decodeBatch(newer)).toThrow(/format version 2 is not supported/);
    expect(() => encodeBatch({ rowCount: 2, columns: new Map([['x', { kind: 'numeric', values: Float64Array.of(1) }]]) })).toThrow(
      /feature "x" has 1 values for 2 rows/,
    );
    expect(() => encodeBatch({ rowCount: 2, columns: new Map(), labels: [1, 'a'] as never })).toThrow(/labels must be all numbers or all strings/);
  });
});
