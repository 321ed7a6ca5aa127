import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { parseDecimalBytes } from '../../../src/tabular/number.js';
import { readTable, readCsv, TabularParseError, DEFAULT_NA_VALUES, type TabularTable } from '../../../src/tabular/index.js';

const values = (t: TabularTable, name: string) => Array.from(t.columns.get(name)!.values as ArrayLike<unknown>);
const chunked = (bytes: Uint8Array, size: number) =>
  Readable.from(Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => Buffer.from(bytes.subarray(i * size, (i + 1) * size))));

describe('parseDecimalBytes', () => {
  it('equals Number() on decimals, fast path and fallback alike, and rejects what must not be numeric', () => {
    const cases = [
      '0',
      '-0',
      '1.5',
      '-2.5e3',
      '.5',
      '5.',
      '+7',
      ' 12 ',
      '0.1',
      '123456789012345',
      '0.12345678901234568',
      '1e-300',
      '9007199254740993',
      '3.14159265358979323846',
    ];
    for (const c of cases) expect(Object.is(parseDecimalBytes(Buffer.from(c), 0, c.length), Number(c))).toBe(true);
    for (const c of ['', ' ', 'nan', '0x1f', 'Infinity', '1e', '1.2.3', '--1', 'e5', '.']) expect(parseDecimalBytes(Buffer.from(c), 0, c.length)).toBeNaN();
    expect(parseDecimalBytes(Buffer.from('1e999'), 0, 5)).toBe(Infinity);
  });
});

describe('CSV reader', () => {
  const csv = 'x,label\n1.5,a\nNA,"b,""c"""\n-inf,\n2,a\n';
  it('reads a Buffer, a chunked Readable and gzip alike (chunk boundaries anywhere)', async () => {
    const expected = { x: [1.5, NaN, NaN, 2], label: ['a', 'b,"c"', null, 'a'] };
    for (const source of [Buffer.from(csv), chunked(Buffer.from(csv), 3), Readable.from([gzipSync(csv)]), gzipSync(csv)]) {
      const t = await readTable(source);
      expect(t.rowCount).toBe(4);
      expect(values(t, 'x')).toEqual(expected.x);
      expect(values(t, 'label')).toEqual(expected.label);
    }
  });

  it('knows the pandas NA spellings and lets declared types win', async () => {
    expect(DEFAULT_NA_VALUES).toEqual(expect.arrayContaining(['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', 'None', '#N/A', '-nan']));
    const t = await readCsv(Buffer.from(csv), { types: new Map([['x', 'categorical']]) });
    expect(values(t, 'x')).toEqual(['1.5', null, '-inf', '2']);
  });

  it('throws TabularParseError with line and column for a stray text, after the sample decided numeric', async () => {
    const rows = ['v', ...Array.from({ length: 100 }, (_, i) => (i === 60 ? 'oops' : String(i)))].join('\n');
    const err = await readCsv(Buffer.from(rows), { sourceName: 'body' }).catch((e) => e);
    expect(err).toBeInstanceOf(TabularParseError);
    expect([err.line, err.column, err.source]).toEqual([62, 'v', 'body']);
  });
});

describe('Arrow reader', () => {
  it('reads IPC stream bytes and a Readable of them, with nulls and dictionary strings', async () => {
    const table = tableFromArrays({ n: Float64Array.from([1, 2, 3]), s: ['a', 'b', 'a'] });
    const bytes = tableToIPC(table, 'stream');
    for (const source of [bytes, chunked(bytes, 64)]) {
      const t = await readTable(source, { format: 'arrow' });
      expect(t.rowCount).toBe(3);
      expect(t.columns.get('n')!.kind).toBe('numeric');
      expect(values(t, 's')).toEqual(['a', 'b', 'a']);
    }
  });
});

describe('Parquet reader', () => {
  it('equals hyparquet’s own reader on nullable columns across row groups and dictionary pages', async () => {
    const n = 2500;
    const num = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : i / 4));
    const int = Array.from({ length: n }, (_, i) => (i % 11 === 0 ? null : BigInt(i - 1000)));
    const cat = Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : `c${i % 13}`));
    const bytes = parquetWriteBuffer({
      columnData: [
        { name: 'num', data: num, type: 'DOUBLE', nullable: true },
        { name: 'int', data: int, type: 'INT64', nullable: true },
        { name: 'cat', data: cat, type: 'STRING', nullable: true },
      ],
      rowGroupSize: 1000,
    });
    const t = await readTable(new Uint8Array(bytes));
    const reference = await parquetReadObjects({ file: bytes });
    expect(t.rowCount).toBe(n);
    expect(values(t, 'num')).toEqual(reference.map((r) => r.num ?? NaN));
    expect(values(t, 'int')).toEqual(reference.map((r) => (r.int === null ? NaN : Number(r.int))));
    expect(values(t, 'cat')).toEqual(reference.map((r) => r.cat));
    expect(values(t, 'cat')[0]).toBeNull();
  });
});
