import {
  type Vector,
  Bool,
  Dictionary,
  LargeUtf8,
  Float32,
  Float64,
  Int32,
  Int64,
  Table,
  TimestampMillisecond,
  Utf8,
  tableToIPC,
  vectorFromArray,
} from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/http/errors.js';
import type { FeatureSpec } from '../../../src/monitoring/batch.js';
import { decodeBatch, encodeBatch } from '../../../src/monitoring/batch-codec.js';
import { ingestArrow, ingestBody, ingestJson, parseJsonBatch } from '../../../src/monitoring/ingest.js';

const features: FeatureSpec[] = [
  { name: 'age', type: 'numeric' },
  { name: 'income', type: 'numeric' },
  { name: 'city', type: 'categorical' },
];
const opts = { features };

function failure(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected an AppError');
}

const plain = (batch: ReturnType<typeof ingestJson>) => ({
  ...batch,
  columns: Object.fromEntries([...batch.columns].map(([k, c]) => [k, { kind: c.kind, values: Array.from(c.values as ArrayLike<unknown>) }])),
});

describe('JSON sample bodies', () => {
  it('reads rows into typed columns: null and absent features are missing, numbers in a categorical feature become text', () => {
    const batch = ingestJson(
      {
        rows: [{ age: 31, city: 'Oslo' }, { age: null, income: 5.5, city: 3 }, {}],
        ids: ['a', null, 'c'],
        predictions: [0.1, 0.9, null],
        labels: ['yes', null, 'no'],
        timestamp: '2026-01-31T12:00:00Z',
        batchId: 'b-1',
      },
      opts,
    );
    expect(batch.rowCount).toBe(3);
    expect([...batch.columns.keys()]).toEqual(['age', 'income', 'city']);
    expect(Array.from(batch.columns.get('age')!.values as Float64Array)).toEqual([31, Number.NaN, Number.NaN]);
    expect(Array.from(batch.columns.get('income')!.values as Float64Array)).toEqual([Number.NaN, 5.5, Number.NaN]);
    expect(batch.columns.get('city')!.values).toEqual(['Oslo', '3', null]);
    expect(batch).toMatchObject({
      ids: ['a', null, 'c'],
      predictions: [0.1, 0.9, null],
      labels: ['yes', null, 'no'],
      batchId: 'b-1',
      timestamp: Date.UTC(2026, 0, 31, 12),
    });
  });

  it('gives the same batch for the rows and the columns form of any data', () => {
    const value = fc.option(fc.double({ noDefaultInfinity: true, noNaN: true }), { nil: null });
    const cityValue = fc.option(fc.constantFrom('a', 'b', 'ø'), { nil: null });
    fc.assert(
      fc.property(fc.array(fc.tuple(value, value, cityValue), { minLength: 1, maxLength: 30 }), (tuples) => {
        const rows = tuples.map(([age, income, city]) => ({ age, income, city }));
        const columns = { age: tuples.map((t) => t[0]), income: tuples.map((t) => t[1]), city: tuples.map((t) => t[2]) };
        const a = parseJsonBatch(JSON.stringify({ rows }), opts);
        const b = parseJsonBatch(JSON.stringify({ columns }), opts);
        expect(plain(a)).toEqual(plain(b));
        // …and survives the storage codec unchanged.
        expect(plain(decodeBatch(encodeBatch(a)) as ReturnType<typeof ingestJson>)).toEqual(plain(a));
      }),
    );
  });

  it('names every bad value by row and field: unknown feature, string or non-finite in a numeric feature, non-object rows', () => {
    const rows: unknown[] = Array.from({ length: 20 }, () => ({ age: 1 }));
    rows[17] = { age: '42' };
    rows[3] = { height: 180 };
    rows[5] = 'not a row';
    rows[6] = [1, 2];
    rows[8] = { city: { nested: true } };
    const error = failure(() => parseJsonBatch(JSON.stringify({ rows }).replace('{"age":1}', '{"age":1e999}'), opts));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.status).toBe(400);
    expect(error.errors).toEqual([
      { path: 'rows[0].age', message: 'must be a finite number' },
      { path: 'rows[3].height', message: 'is not a declared feature of this version' },
      { path: 'rows[5]', message: 'must be an object of feature values, got a string' },
      { path: 'rows[6]', message: 'must be an object of feature values, got an array' },
      { path: 'rows[8].city', message: 'must be a string, number, boolean or null, got an object' },
      { path: 'rows[17].age', message: 'must be a number or null, got a string ("42"); send numbers unquoted' },
    ]);
    expect(error.message).toMatch(/^the batch was not stored: rows\[0\]\.age/);
  });

  it('names bad values in the columns form and misaligned arrays', () => {
    const age = Array.from({ length: 20 }, (_, i) => i);
    (age as unknown[])[17] = 'x';
    const error = failure(() =>
      ingestJson(
        {
          columns: { age, weight: age },
          ids: Array(20)
            .fill('i')
            .map((v, i) => (i === 3 ? 7 : v)),
          predictions: [1],
        },
        opts,
      ),
    );
    expect(error.errors).toEqual([
      { path: 'columns.age[17]', message: 'must be a number or null, got a string ("x"); send numbers unquoted' },
      { path: 'columns.weight', message: 'is not a declared feature of this version' },
      { path: 'ids[3]', message: 'must be a string of 1–256 characters or null, got a number' },
      { path: 'predictions', message: 'has 1 values for 20 rows' },
    ]);
    expect(failure(() => ingestJson({ columns: { age: [1, 2], income: [1] } }, opts)).errors).toEqual([
      { path: 'columns.income', message: 'has 1 values; columns.age has 2' },
    ]);
    expect(failure(() => ingestJson({ rows: [{}, {}], labels: [1, 'a'] }, opts)).errors).toEqual([
      { path: 'labels[1]', message: 'must be a number like the values before it' },
    ]);
  });

  it('stops after 20 errors and says so', () => {
    const rows = Array.from({ length: 5000 }, () => ({ age: 'old' }));
    const error = failure(() => ingestJson({ rows }, opts));
    expect(error.errors).toHaveLength(20);
    expect(error.errors![19]!.path).toBe('rows[19].age');
    expect(error.message).toMatch(/stopped checking after 20/);
  });

  it('checks the envelope: one of rows/columns, no unknown fields (unless the route passes them through), an ISO timestamp, a usable batchId', () => {
    expect(failure(() => ingestJson({}, opts)).errors).toEqual([{ path: 'body', message: 'either rows or columns is required' }]);
    expect(failure(() => ingestJson({ rows: [], columns: {} }, opts)).errors).toEqual([{ path: 'columns', message: 'send rows or columns, not both' }]);
    expect(failure(() => ingestJson({ rows: [] }, opts)).errors).toEqual([{ path: 'rows', message: 'must hold at least one row' }]);
    expect(failure(() => ingestJson([1], opts)).errors).toEqual([{ path: 'body', message: 'must be an object, got an array' }]);
    expect(failure(() => ingestJson({ rows: [{}], version: 2, extra: 1 }, opts)).errors!.map((e) => e.path)).toEqual(['version', 'extra']);
    expect(ingestJson({ rows: [{}], version: 2 }, { ...opts, passThroughFields: ['version', 'alias'] }).rowCount).toBe(1);
    expect(failure(() => ingestJson({ rows: [{}], timestamp: '2026-01-31 12:00' }, opts)).errors![0]!.path).toBe('timestamp');
    expect(failure(() => ingestJson({ rows: [{}], batchId: 'a b' }, opts)).errors![0]!.path).toBe('batchId');
    expect(failure(() => parseJsonBatch('{"rows": [', opts)).code).toBe('MALFORMED_BODY');
  });

  it('treats __proto__ and constructor as unknown features, never as object machinery', () => {
    const error = failure(() => parseJsonBatch('{"rows":[{"__proto__":{"age":1},"constructor":1}]}', opts));
    expect(error.errors!.map((e) => e.path)).toEqual(['rows[0].__proto__', 'rows[0].constructor']);
  });

  it('refuses more rows than the limit with 413 BATCH_TOO_LARGE before reading them', () => {
    const error = failure(() => ingestJson({ rows: Array(11).fill({}) }, { ...opts, maxRows: 10 }));
    expect(error.code).toBe('BATCH_TOO_LARGE');
    expect(error.status).toBe(413);
    expect(failure(() => ingestJson({ columns: { age: Array(10_001).fill(1) } }, opts)).code).toBe('BATCH_TOO_LARGE');
    expect(ingestJson({ columns: { age: Array(10_000).fill(1) } }, opts).rowCount).toBe(10_000);
  });
});

function arrowBytes(columns: Record<string, Vector>): Uint8Array {
  return tableToIPC(new Table(columns), 'stream');
}

describe('Arrow IPC sample bodies', () => {
  it('reads numeric and categorical columns, nulls and NaN as missing, and the __id/__prediction/__label columns', () => {
    const bytes = arrowBytes({
      age: vectorFromArray([30n, null, 50n], new Int64()),
      income: vectorFromArray([1.5, Number.NaN, 2.5], new Float32()),
      city: vectorFromArray(['Oslo', null, 'Bergen'], new Dictionary(new Utf8(), new Int32())),
      __id: vectorFromArray(['a', 'b', null], new Utf8()),
      __prediction: vectorFromArray([0.5, null, 1], new Float64()),
      __label: vectorFromArray(['yes', 'no', null], new Utf8()),
    });
    const batch = ingestArrow(bytes, opts);
    expect(batch.rowCount).toBe(3);
    expect(Array.from(batch.columns.get('age')!.values as Float64Array)).toEqual([30, Number.NaN, 50]);
    expect(Array.from(batch.columns.get('income')!.values as Float64Array)).toEqual([1.5, Number.NaN, 2.5]);
    expect(batch.columns.get('city')!.values).toEqual(['Oslo', null, 'Bergen']);
    expect(batch).toMatchObject({ ids: ['a', 'b', null], predictions: [0.5, null, 1], labels: ['yes', 'no', null] });
  });

  it('decodes strings across record batches: non-ASCII text, nulls, LargeUtf8 ids, dictionaries', () => {
    const part = (cities: (string | null)[], ids: (string | null)[]) =>
      new Table({
        city: vectorFromArray(cities, new Dictionary(new Utf8(), new Int32())),
        __id: vectorFromArray(ids, new LargeUtf8()),
        __label: vectorFromArray(cities, new Utf8()),
      });
    const table = part(['Tromsø', null, 'a'], ['😀', 'x', null]).concat(part(['b', 'Tromsø'], [null, 'é']));
    const bytes = tableToIPC(table, 'stream');
    const batch = ingestArrow(bytes, opts);
    expect(batch.rowCount).toBe(5);
    expect(batch.columns.get('city')!.values).toEqual(['Tromsø', null, 'a', 'b', 'Tromsø']);
    expect(batch.ids).toEqual(['😀', 'x', null, null, 'é']);
    expect(batch.labels).toEqual(['Tromsø', null, 'a', 'b', 'Tromsø']);
    expect(Array.from(batch.columns.get('age')!.values as Float64Array)).toEqual(Array(5).fill(Number.NaN));
  });

  it('gives the same batch as the JSON form of the same data, a feature the stream lacks being missing', () => {
    const bytes = arrowBytes({ age: vectorFromArray([1, 2], new Float64()), city: vectorFromArray(['x', 'y'], new Utf8()) });
    expect(plain(ingestBody('application/vnd.apache.arrow.stream', Buffer.from(bytes), opts))).toEqual(
      plain(ingestBody('application/json; charset=utf-8', '{"rows":[{"age":1,"city":"x"},{"age":2,"city":"y"}]}', opts)),
    );
  });

  it('checks the schema against the declared features before reading values', () => {
    const bytes = arrowBytes({
      age: vectorFromArray(['1'], new Utf8()),
      city: vectorFromArray([1], new Float64()),
      height: vectorFromArray([1], new Float64()),
    });
    expect(failure(() => ingestArrow(bytes, opts)).errors).toEqual([
      { path: 'columns.age', message: 'is Utf8; a numeric feature needs an integer or floating-point column' },
      { path: 'columns.city', message: 'is Float64; a categorical feature needs a string or dictionary<string> column' },
      { path: 'columns.height', message: 'is not a declared feature of this version' },
    ]);
    const infinite = arrowBytes({ age: vectorFromArray([1, 2, Number.POSITIVE_INFINITY], new Float64()) });
    expect(failure(() => ingestArrow(infinite, opts)).errors).toEqual([{ path: 'columns.age[2]', message: 'must be a finite number' }]);
  });

  it('answers MALFORMED_BATCH for bytes that are not an Arrow stream or are cut short, and 413 over the row limit', () => {
    const bytes = arrowBytes({ age: vectorFromArray([1, 2, 3], new Float64()) });
    expect(failure(() => ingestArrow(bytes.subarray(0, bytes.length - 20), opts)).code).toBe('MALFORMED_BATCH');
    expect(failure(() => ingestArrow(new Uint8Array([1, 2, 3, 4, 5]), opts)).code).toBe('MALFORMED_BATCH');
    expect(failure(() => ingestArrow(bytes, { ...opts, maxRows: 2 })).code).toBe('BATCH_TOO_LARGE');
    expect(failure(() => ingestBody('text/plain', 'age\n1', opts)).code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('row times', () => {
  const t0 = Date.parse('2026-03-01T10:05:00Z');

  it('JSON: `timestamps` aligned with the rows, or the monitor column in rows and columns form; a declared timestamp feature is read too', () => {
    const a = ingestJson({ rows: [{ age: 1 }, { age: 2 }], timestamps: ['2026-03-01T10:05:00Z', t0 + 1000] }, opts);
    expect(Array.from(a.timestamps!)).toEqual([t0, t0 + 1000]);
    const b = ingestJson(
      {
        rows: [
          { age: 1, at: t0 },
          { age: 2, at: null },
        ],
      },
      { ...opts, timestampColumn: 'at' },
    );
    expect(Array.from(b.timestamps!)).toEqual([t0, Number.NaN]);
    expect(b.columns.has('at')).toBe(false);
    const c = ingestJson({ columns: { age: [1, 2], at: ['2026-03-01T10:05:00Z', '2026-03-01T11:05:00+01:00'] } }, { ...opts, timestampColumn: 'at' });
    expect(Array.from(c.timestamps!)).toEqual([t0, t0]);
    const declared = [...features, { name: 'ts', type: 'categorical' as const }];
    const d = ingestJson({ rows: [{ ts: '2026-03-01T10:05:00Z' }] }, { features: declared, timestampColumn: 'ts' });
    expect(Array.from(d.timestamps!)).toEqual([t0]);
    expect(d.columns.get('ts')!.values).toEqual(['2026-03-01T10:05:00Z']);
  });

  it('JSON: a bad row time is named, misaligned arrays and both sources at once are refused', () => {
    expect(failure(() => ingestJson({ rows: [{ age: 1 }, { age: 2 }], timestamps: [t0, 'noon'] }, opts)).errors).toEqual([
      expect.objectContaining({ path: 'timestamps[1]' }),
    ]);
    expect(failure(() => ingestJson({ rows: [{ age: 1 }], timestamps: [t0, t0] }, opts)).errors).toEqual([expect.objectContaining({ path: 'timestamps' })]);
    expect(failure(() => ingestJson({ columns: { age: [1], at: [-1] } }, { ...opts, timestampColumn: 'at' })).errors).toEqual([
      expect.objectContaining({ path: 'columns.at[0]' }),
    ]);
    expect(failure(() => ingestJson({ rows: [{ age: 1, at: t0 }], timestamps: [t0] }, { ...opts, timestampColumn: 'at' })).errors).toEqual([
      expect.objectContaining({ path: 'timestamps' }),
    ]);
    // Without a monitor column, an unknown key is still an unknown feature.
    expect(failure(() => ingestJson({ rows: [{ age: 1, at: t0 }] }, opts)).errors).toEqual([expect.objectContaining({ path: 'rows[0].at' })]);
  });

  it('Arrow: a __timestamp column of Arrow timestamps, epoch-ms integers or ISO strings; a wrong type is named', () => {
    const times = vectorFromArray([new Date(t0), null], new TimestampMillisecond());
    const a = ingestArrow(arrowBytes({ age: vectorFromArray([1, 2], new Float64()), __timestamp: times }), opts);
    expect(Array.from(a.timestamps!)).toEqual([t0, Number.NaN]);
    const b = ingestArrow(arrowBytes({ age: vectorFromArray([1], new Float64()), event: vectorFromArray(['2026-03-01T10:05:00Z'], new Utf8()) }), {
      ...opts,
      timestampColumn: 'event',
    });
    expect(Array.from(b.timestamps!)).toEqual([t0]);
    const c = ingestArrow(arrowBytes({ age: vectorFromArray([1], new Float64()), __timestamp: vectorFromArray([BigInt(t0)], new Int64()) }), opts);
    expect(Array.from(c.timestamps!)).toEqual([t0]);
    const float = ingestArrow(arrowBytes({ age: vectorFromArray([1, 2], new Float64()), __timestamp: vectorFromArray([t0, Number.NaN], new Float64()) }), opts);
    expect(Array.from(float.timestamps!)).toEqual([t0, Number.NaN]);
    const fraction = failure(() =>
      ingestArrow(arrowBytes({ age: vectorFromArray([1], new Float64()), __timestamp: vectorFromArray([1.5], new Float64()) }), opts),
    );
    expect(fraction.errors).toEqual([expect.objectContaining({ path: 'columns.__timestamp[0]' })]);
    const bad = failure(() => ingestArrow(arrowBytes({ age: vectorFromArray([1], new Float64()), __timestamp: vectorFromArray([true], new Bool()) }), opts));
    expect(bad.errors).toEqual([expect.objectContaining({ path: 'columns.__timestamp' })]);
    const badValue = failure(() =>
      ingestArrow(arrowBytes({ age: vectorFromArray([1], new Float64()), __timestamp: vectorFromArray(['noon'], new Utf8()) }), opts),
    );
    expect(badValue.errors).toEqual([expect.objectContaining({ path: 'columns.__timestamp[0]' })]);
  });

  it('survive the stored form', () => {
    const batch = ingestJson({ rows: [{ age: 1 }, { age: 2 }], timestamps: [t0, t0 + 1] }, opts);
    expect(Array.from(decodeBatch(encodeBatch(batch)).timestamps!)).toEqual([t0, t0 + 1]);
  });
});
