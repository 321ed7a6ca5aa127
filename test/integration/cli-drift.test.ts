import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertFinite } from '../helpers/assert-finite.js';
import { createRng } from '../helpers/random.js';

/** Runs the real bin as a subprocess, the way a user would. */
const run = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['bin/mlcycle.js', ...args], { cwd: process.cwd() });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

const dir = join(process.cwd(), '.tmp', `cli-drift-${process.pid}`);
const file = (name: string): string => join(dir, name);

function writeCsv(name: string, header: string[], rows: Array<Array<string | number>>): string {
  writeFileSync(file(name), [header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n');
  return file(name);
}

beforeAll(() => {
  mkdirSync(dir, { recursive: true });
  const rng = createRng(42);
  const header = ['age', 'score', 'plan', 'code'];
  const make = (n: number, shifted: boolean) =>
    Array.from({ length: n }, (_, i) => [
      rng.uniform() < (shifted ? 0.2 : 0.01) ? '' : Math.round(rng.normal(shifted ? 48 : 40, 10)),
      rng.normal().toFixed(4),
      ['basic', 'pro', 'team', ...(shifted ? ['enterprise'] : [])][rng.int(shifted ? 4 : 3)]!,
      // Numeric until a late "N/A", a missing-value token: stays numeric, that cell missing.
      i === n - 1 ? 'N/A' : String(100 + rng.int(3)),
    ]);
  writeCsv('ref.csv', header, make(3000, false));
  writeCsv('same.csv', header, make(800, false));
  writeCsv('cur.csv', header, make(800, true));
  writeCsv(
    'extra.csv',
    [...header, 'extra'],
    make(10, false).map((r) => [...r, 1]),
  );
  // "level" is numeric in the reference only: it must be categorical on both sides, the
  // reference re-counted from its text ("1.0" stays distinct from "1").
  writeFileSync(file('levels-ref.csv'), 'level,x\n1,1\n1.0,2\n2,3\n2,4\n,5\n');
  writeFileSync(file('levels-cur.csv'), 'level,x\n1,1\nhigh,2\n2,3\n');
  writeFileSync(file('ragged.csv'), 'age,score,plan,code\n1,2,a,4\n5,6\n');
  writeFileSync(file('quote.csv'), 'age,score,plan,code\n1,2,"a,4\n');
  writeFileSync(file('empty.csv'), '');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mlcycle drift (subprocess)', () => {
  it('prints JSON with the issue’s shape and flags the drifted columns', async () => {
    const { code, stdout } = await run('drift', '--reference', file('ref.csv'), '--current', file('cur.csv'), '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    assertFinite(report);
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['datasetDrift', 'driftShare', 'features']));
    const byName = Object.fromEntries(report.features.map((f: { name: string }) => [f.name, f]));
    expect(byName.age).toMatchObject({ type: 'numeric', drifted: true });
    expect(byName.age.ks).toEqual(expect.objectContaining({ statistic: expect.any(Number), pValue: expect.any(Number) }));
    expect(byName.age.reasons).toContain('missing');
    expect(byName.plan).toMatchObject({ type: 'categorical', drifted: true });
    expect(byName.plan.chi2).toEqual(expect.objectContaining({ dof: 3 }));
    expect(byName.plan.histogram.categories).toContain('__unseen__');
    expect(byName.code.type).toBe('numeric');
    expect(byName.code.missing.referenceRate).toBeCloseTo(1 / 3000, 15);
    expect(byName.score.drifted).toBe(false);
    expect(report.datasetDrift).toBe(true);
  });

  it('prints a readable table and no drift on same-distribution data', async () => {
    const { code, stdout } = await run('drift', '-r', file('ref.csv'), '-c', file('same.csv'));
    expect(code).toBe(0);
    expect(stdout).toMatch(/feature.*type.*drift.*PSI/);
    expect(stdout).toMatch(/Dataset drift: no/);
  });

  it('honours --categorical, --bins, --correction and --fail-on-drift', async () => {
    const res = await run('drift', '-r', file('ref.csv'), '-c', file('cur.csv'), '--json', '--categorical', 'age', '--bins', '5', '--correction', 'bh');
    const report = JSON.parse(res.stdout);
    expect(report.features.find((f: { name: string }) => f.name === 'age').type).toBe('categorical');
    expect(report.options).toMatchObject({ bins: 5, correction: 'bh' });
    const fail = await run('drift', '-r', file('ref.csv'), '-c', file('cur.csv'), '--fail-on-drift');
    expect(fail.code).toBe(1);
  });

  it('makes a column categorical in both files when one file has text in it', async () => {
    const { code, stdout } = await run('drift', '-r', file('levels-ref.csv'), '-c', file('levels-cur.csv'), '--json');
    expect(code).toBe(0);
    const level = JSON.parse(stdout).features[0];
    expect(level.type).toBe('categorical');
    expect(level.histogram.categories).toEqual(['2', '1', '1.0', '__unseen__']);
    expect(level.histogram.reference).toEqual([0.5, 0.25, 0.25, 0]);
    expect(level.missing.referenceRate).toBeCloseTo(0.2, 15);
  });

  it.concurrent.each([
    ['a missing file', ['-r', 'nope.csv', '-c', 'cur.csv'], /nope\.csv.*does not exist/],
    ['a column present in one file only', ['-r', 'ref.csv', '-c', 'extra.csv'], /"extra" is only in .*extra\.csv/],
    ['a ragged CSV', ['-r', 'ref.csv', '-c', 'ragged.csv'], /cannot parse CSV .*ragged\.csv/],
    ['an unclosed quote', ['-r', 'ref.csv', '-c', 'quote.csv'], /cannot parse CSV .*quote\.csv/],
    ['an empty file', ['-r', 'empty.csv', '-c', 'cur.csv'], /empty\.csv.*empty/],
    ['an unknown --categorical column', ['-r', 'ref.csv', '-c', 'cur.csv', '--categorical', 'nope'], /"nope"/],
    ['a bad --bins', ['-r', 'ref.csv', '-c', 'cur.csv', '--bins', '1'], /--bins/],
    ['a bad --correction', ['-r', 'ref.csv', '-c', 'cur.csv', '--correction', 'holm'], /--correction/],
  ])('exits 2 naming the problem for %s', async (_name, args, message) => {
    const resolved = args.map((a) => (a.endsWith('.csv') ? file(a) : a));
    const { code, stderr, stdout } = await run('drift', ...resolved);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stdout).toBe('');
  });
});
