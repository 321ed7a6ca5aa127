import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import fc from 'fast-check';
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

  const same = (text: string) => Object.is(parseDecimalBytes(Buffer.from(text), 0, text.length), Number(text));

  it('rounds 16–19 significant digits exactly as Number() does: any double printed shortest, with 17 or 16 digits, or in exponent form', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        for (const text of [String(x), x.toPrecision(17), x.toPrecision(16), x.toExponential(18), x.toPrecision(19)]) {
          if (!same(text)) throw new Error(`${text}: ${parseDecimalBytes(Buffer.from(text), 0, text.length)}, Number() gives ${Number(text)}`);
        }
      }),
      { numRuns: 20_000 },
    );
    // Values like those serving code sends: moderate magnitudes, where the double-double path answers.
    fc.assert(
      fc.property(
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.integer({ min: 16, max: 19 }),
        (x, digits) => same(String(x)) && same(x.toPrecision(digits)),
      ),
      { numRuns: 20_000 },
    );
  });

  it('rounds decimals at, just below and just above halfway between two doubles as Number() does (ties to even)', () => {
    // Integers in [2⁵³, 2⁶³): x + ulp/2 is exactly halfway and has at most 19 digits.
    fc.assert(
      fc.property(fc.bigInt({ min: 2n ** 52n, max: 2n ** 53n - 1n }), fc.integer({ min: 1, max: 10 }), (m, shift) => {
        const ulp = 2n ** BigInt(shift);
        const mid = m * ulp + ulp / 2n;
        for (const v of [mid - 1n, mid, mid + 1n]) {
          const text = String(v);
          for (const t of [text, `${text.slice(0, 3)}.${text.slice(3)}e${text.length - 3}`, `0.${text}e${text.length}`]) {
            if (!same(t)) throw new Error(`${t}: ${parseDecimalBytes(Buffer.from(t), 0, t.length)}, Number() gives ${Number(t)}`);
          }
        }
      }),
      { numRuns: 5_000 },
    );
    // Fractional halfways: (2m + 1)·2^(e−1) between the doubles m·2^e and (m + 1)·2^e is (2m + 1)·5^(1−e) / 10^(1−e), 17–19 digits for e = 0, −1, −2.
    fc.assert(
      fc.property(fc.bigInt({ min: 2n ** 52n, max: 2n ** 53n - 1n }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: -1, max: 1 }), (m, minusE, nudge) => {
        const scale = BigInt(1 + minusE);
        const digits = String((2n * m + 1n) * 5n ** scale + BigInt(nudge));
        const text = `${digits.slice(0, digits.length - Number(scale))}.${digits.slice(digits.length - Number(scale))}`;
        for (const t of [text, `${digits}e-${scale}`, `-${text}`]) {
          if (!same(t)) throw new Error(`${t}: ${parseDecimalBytes(Buffer.from(t), 0, t.length)}, Number() gives ${Number(t)}`);
        }
      }),
      { numRuns: 5_000 },
    );
    for (const c of ['9007199254740993', '9007199254740995', '18014398509481986', '1.0000000000000001', '1.0000000000000003', '4.9406564584124654e-324'])
      expect(same(c)).toBe(true);
  });
});

describe('CSV reader', () => {
  it('reads doubles printed shortest and with 17 digits exactly as Number() does, in the plain-row scanner and around quotes', async () => {
    const xs = fc.sample(fc.double({ noNaN: true, noDefaultInfinity: true }), 2_000);
    const text = (x: number, i: number) => (i % 3 === 0 ? x.toPrecision(17) : String(x));
    const plain = `x,y\n${xs.map((x, i) => `${text(x, i)},${text(-x / 3, i + 1)}`).join('\n')}\n`;
    // A quoted cell sends the rows after it through the general scanner.
    const quoted = plain.replace('\n', '\n"1.5",0\n');
    for (const [csv, offset] of [
      [plain, 0],
      [quoted, 1],
    ] as const) {
      const t = await readCsv(Buffer.from(csv));
      const col = values(t, 'x').slice(offset) as number[];
      const want = xs.map((x, i) => Number(text(x, i)));
      expect(col.every((v, i) => Object.is(v, want[i]))).toBe(true);
      expect((values(t, 'y').slice(offset) as number[]).every((v, i) => Object.is(v, Number(text(-xs[i]! / 3, i + 1))))).toBe(true);
    }
  });

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
