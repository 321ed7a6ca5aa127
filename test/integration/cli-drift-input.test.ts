import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { tableFromIPC } from 'apache-arrow';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../helpers/random.js';

/** Issue 9: real-world files through the real bin, one test per defect, each failing on the old reader. */
const run = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['bin/mlcycle.js', ...args], { cwd: process.cwd(), maxBuffer: 1 << 26 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

const dir = join(process.cwd(), '.tmp', `cli-drift-input-${process.pid}`);
const file = (name: string): string => join(dir, name);
const VEGA = join(process.cwd(), 'node_modules', 'vega-datasets', 'data');
type Feature = {
  name: string;
  type: string;
  status: string;
  drifted: boolean;
  psi: number | null;
  referenceSize: number;
  currentSize: number;
  missing: { currentRate: number; referenceRate: number };
  histogram: { edges?: unknown[] };
};
const features = (stdout: string): Record<string, Feature> => Object.fromEntries(JSON.parse(stdout).features.map((f: Feature) => [f.name, f]));

const NA_SPELLINGS = ['nan', 'NaN', 'NA', 'null', 'inf', '-inf', 'None', '#N/A', 'N/A', 'NULL', '-nan', ''];

beforeAll(() => {
  mkdirSync(dir, { recursive: true });
  const rng = createRng(9);
  const rows = (n: number, spoil: (i: number) => string | null = () => null) =>
    Array.from({ length: n }, (_, i) => `${spoil(i) ?? rng.normal(50, 10).toFixed(3)},${['a', 'b', 'c'][rng.int(3)]}`);
  writeFileSync(file('ref.csv'), ['x,plan', ...rows(1000)].join('\n') + '\n');
  // One missing-value spelling every 80 rows, as pandas, numpy, R and spreadsheets write them.
  writeFileSync(file('na.csv'), ['x,plan', ...rows(1000, (i) => (i % 80 === 7 ? NA_SPELLINGS[(i - 7) / 80]! : null))].join('\n') + '\n');
  writeFileSync(file('oops.csv'), ['x,plan', ...rows(800, (i) => (i === 500 ? 'oops' : null))].join('\n') + '\n');
  writeFileSync(file('custom-na.csv'), ['x,plan', ...rows(800, (i) => (i === 3 ? 'MISSING' : i === 9 ? 'NA' : null))].join('\n') + '\n');
  writeFileSync(file('header-only.csv'), 'x,plan\n');
  writeFileSync(file('one-row.csv'), 'x,plan\n500,z\n');
  const huge = Array.from({ length: 40 }, (_, i) => `${i % 2 ? 1.7e308 : -1.7e308},a`);
  writeFileSync(file('huge.csv'), ['x,plan', ...huge].join('\n') + '\n');

  // Current data for the real flights sets: 5 000 rows of flights-200k with delays 30 min longer.
  const flights = tableFromIPC(readFileSync(join(VEGA, 'flights-200k.arrow')));
  const [delay, distance, time] = ['delay', 'distance', 'time'].map((c) => flights.getChild(c)!.toArray() as ArrayLike<number>);
  const late = Array.from({ length: 5000 }, (_, i) => `${delay![i * 40]! + 30},${distance![i * 40]},${time![i * 40]}`);
  writeFileSync(file('late.csv.gz'), gzipSync(['delay,distance,time', ...late].join('\n') + '\n'));
  writeFileSync(file('truncated.csv.gz'), gzipSync(['delay,distance,time', ...late].join('\n')).subarray(0, 2000));
  const cur = { n: 4000, origin: [] as string[], delay: [] as number[] };
  for (let i = 0; i < cur.n; i++) {
    cur.origin.push(['ATL', 'ORD', 'DFW', 'ZZZ'][rng.int(4)]!);
    cur.delay.push(Math.round(rng.normal(10, 30)));
  }
  writeFileSync(
    file('cur.parquet'),
    new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: 'date', data: Array.from({ length: cur.n }, () => new Date(Date.UTC(2001, 0, 1 + rng.int(90)))), type: 'TIMESTAMP' },
          { name: 'delay', data: cur.delay, type: 'INT32' },
          { name: 'distance', data: Array.from({ length: cur.n }, () => 200 + rng.int(2000)), type: 'INT32' },
          { name: 'origin', data: cur.origin, type: 'STRING' },
          { name: 'destination', data: cur.origin.map(() => ['LAX', 'SFO', 'SEA'][rng.int(3)]!), type: 'STRING' },
        ],
      }),
    ),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mlcycle drift on real-world files (issue 9)', () => {
  it('reads NA spellings in a numeric column as missing values, not as a categorical column', async () => {
    const { code, stdout, stderr } = await run('drift', '-r', file('ref.csv'), '-c', file('na.csv'), '--json', '--fail-on-drift');
    expect(stderr).toBe(''); // not a TTY: no progress line either
    expect(code).toBe(0);
    const x = features(stdout).x!;
    expect(x.type).toBe('numeric');
    expect(x.drifted).toBe(false);
    expect(x.missing.currentRate).toBeCloseTo(NA_SPELLINGS.length / 1000, 15);
    expect(x.currentSize).toBe(1000 - NA_SPELLINGS.length);
  });

  it('stops on a stray text in a numeric column, naming file, line and column (exit 2)', async () => {
    const { code, stdout, stderr } = await run('drift', '-r', file('ref.csv'), '-c', file('oops.csv'), '--fail-on-drift');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/oops\.csv, line 502, column "x": "oops" is not a number/);
  });

  it('counts the stray text as missing with a warning under --non-numeric missing, and obeys --categorical', async () => {
    const lenient = await run('drift', '-r', file('ref.csv'), '-c', file('oops.csv'), '--json', '--non-numeric', 'missing', '--fail-on-drift');
    expect(lenient.code).toBe(0);
    expect(lenient.stderr).toMatch(/warning: .*oops\.csv, column "x": 1 cell\(s\) are not numbers .*"oops" at line 502/);
    const x = features(lenient.stdout).x!;
    expect([x.type, x.drifted, x.missing.currentRate]).toEqual(['numeric', false, 1 / 800]);
    const declared = await run('drift', '-r', file('ref.csv'), '-c', file('oops.csv'), '--json', '--categorical', 'x');
    expect(features(declared.stdout).x!.type).toBe('categorical');
    const numeric = await run('drift', '-r', file('ref.csv'), '-c', file('ref.csv'), '--json', '--numeric', 'plan', '--non-numeric', 'missing');
    expect(features(numeric.stdout).plan!.type).toBe('numeric');
  });

  it('--na-values replaces the default list', async () => {
    const { code, stderr } = await run('drift', '-r', file('ref.csv'), '-c', file('custom-na.csv'), '--na-values', 'MISSING');
    // "MISSING" (line 5) is now missing; "NA" (line 11) is no longer, so it is a stray text.
    expect(code).toBe(2);
    expect(stderr).toMatch(/line 11, column "x": "NA" is not a number/);
    const ok = await run('drift', '-r', file('ref.csv'), '-c', file('custom-na.csv'), '--na-values', 'MISSING,NA', '--json');
    expect(features(ok.stdout).x!.missing.currentRate).toBe(2 / 800);
  });

  it('refuses a header-only current file even under --fail-on-drift (exit 2, never a pass)', async () => {
    const { code, stdout, stderr } = await run('drift', '-r', file('ref.csv'), '-c', file('header-only.csv'), '--fail-on-drift');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/header-only\.csv has no data rows/);
  });

  it('reports one current row as insufficient data, not drift; --min-samples lowers the guard', async () => {
    const table = await run('drift', '-r', file('ref.csv'), '-c', file('one-row.csv'), '--fail-on-drift');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/insufficient data/);
    expect(table.stdout).toMatch(/fewer than 30 non-missing values .*x \(1000 → 1\)/);
    const json = await run('drift', '-r', file('ref.csv'), '-c', file('one-row.csv'), '--json');
    const report = JSON.parse(json.stdout);
    expect(report.options.minSamples).toBe(30);
    expect(report.features.map((f: Feature) => [f.status, f.drifted, f.psi])).toEqual([
      ['insufficient_data', false, null],
      ['insufficient_data', false, null],
    ]);
    const low = await run('drift', '-r', file('ref.csv'), '-c', file('one-row.csv'), '--json', '--min-samples', '1');
    expect(features(low.stdout).x!.drifted).toBe(true);
  });

  it('keeps bin edges finite near ±1.7e308 (JSON has no Infinity)', async () => {
    const { code, stdout } = await run('drift', '-r', file('huge.csv'), '-c', file('huge.csv'), '--json');
    expect(code).toBe(0);
    expect(stdout).not.toMatch(/null/);
    const edges = features(stdout).x!.histogram.edges as number[];
    expect(edges.length).toBeGreaterThan(0);
    for (let i = 1; i < edges.length; i++) expect(edges[i]!).toBeGreaterThan(edges[i - 1]!);
  });

  it('compares the real flights-200k.arrow with a gzipped CSV (types from the Arrow schema)', async () => {
    const { code, stdout } = await run('drift', '-r', join(VEGA, 'flights-200k.arrow'), '-c', file('late.csv.gz'), '--json');
    expect(code).toBe(0);
    const f = features(stdout);
    expect(f.delay).toMatchObject({ type: 'numeric', drifted: true, referenceSize: 200_000, currentSize: 5000 });
    expect(f.distance).toMatchObject({ type: 'numeric', drifted: false });
    expect(f.time!.drifted).toBe(false);
  });

  it('exits 2 on a truncated .csv.gz, naming the file', async () => {
    const { code, stderr } = await run('drift', '-r', join(VEGA, 'flights-200k.arrow'), '-c', file('truncated.csv.gz'));
    expect(code).toBe(2);
    expect(stderr).toMatch(/truncated\.csv\.gz: the gzip data is corrupt or truncated/);
  });

  it('compares the real flights-3m.parquet with a Parquet window (strings categorical, timestamps numeric)', async () => {
    const { code, stdout } = await run('drift', '-r', join(VEGA, 'flights-3m.parquet'), '-c', file('cur.parquet'), '--json');
    expect(code).toBe(0);
    const f = features(stdout);
    expect(f.origin).toMatchObject({ type: 'categorical', referenceSize: 3_000_000, currentSize: 4000, drifted: true });
    expect(f.date!.type).toBe('numeric');
    expect(f.delay!.type).toBe('numeric');
    expect(JSON.parse(stdout).features.find((x: Feature) => x.name === 'origin').histogram.categories).toContain('__unseen__');
  });
});
