import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCliRunner } from '../helpers/cli.js';
import * as C from '../helpers/drift-cases.js';

/**
 * Issue 17's table through `mlcycle drift` with its defaults: a few windows per case (each run is
 * a process), with bounds the old verdict (PSI ≥ 0.2 or adjusted p < α, ids compared) fails.
 */
const run = createCliRunner();
const dir = join(process.cwd(), '.tmp', `cli-verdicts-${process.pid}`);
const file = (name: string) => join(dir, name);
type Feature = { name: string; drifted: boolean; reasons: string[]; chi2?: { pooled: string[] }; rule: { floor: { name: string; value: number } } };
type Report = { datasetDrift: boolean; features: Feature[]; ignored: { name: string; reason: string }[]; notes: string[] };

function writeCase(prefix: string, c: C.DriftCase): string[] {
  writeFileSync(file(`${prefix}-ref.csv`), C.toCsv(c.reference));
  return c.windows.map((w, i) => {
    writeFileSync(file(`${prefix}-w${i}.csv`), C.toCsv(w));
    return file(`${prefix}-w${i}.csv`);
  });
}
async function drift(prefix: string, current: string, ...flags: string[]): Promise<Report> {
  const r = await run('drift', '-r', file(`${prefix}-ref.csv`), '-c', current, '--json', '--quiet', ...flags);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Report;
}
const byName = (r: Report) => Object.fromEntries(r.features.map((f) => [f.name, f]));

let tiny: string[];
let noise: string[];
let strong: string[];
let weak: string[];
let roles: string[];
let rare: string[];

beforeAll(() => {
  mkdirSync(dir, { recursive: true });
  tiny = writeCase('tiny', C.tinyShiftCase(1, 200_000, 50_000, 1, 0.02, 0.01));
  noise = writeCase('noise', C.nullCase(2, 5000, 50, 3));
  strong = writeCase('strong', C.shiftCase(3, 10_000, 1000, 1, 0.2, 2, 2));
  weak = writeCase('weak', C.shiftCase(4, 10_000, 1000, 2, 0.1, 2, 1));
  roles = writeCase('roles', C.idDateCase(5, 3000, 1000, 1));
  rare = writeCase('rare', C.rareCategoriesCase(8, 5000, 60, 1));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mlcycle drift verdicts (issue 17)', () => {
  it('row 1: a 0.02 σ shift and 1 pp moved in 50 k rows is no drift; the tests alone would flag it', async () => {
    const r = await drift('tiny', tiny[0]!);
    expect(r.datasetDrift).toBe(false);
    expect(r.features.filter((f) => f.drifted)).toEqual([]);
    const bare = await drift('tiny', tiny[0]!, '--wasserstein-floor', '0', '--js-floor', '0');
    expect(byName(bare).c!.reasons).toEqual(['test+jensenShannon']);
  });

  it('row 2: 50-row null windows raise no PSI-noise alarms', async () => {
    const reports = await Promise.all(noise.map((w) => drift('noise', w)));
    expect(reports.filter((r) => r.datasetDrift)).toEqual([]);
    expect(reports.filter((r) => r.features.some((f) => f.drifted)).length).toBeLessThanOrEqual(1);
    expect(reports.flatMap((r) => r.features.flatMap((f) => f.reasons))).not.toContain('psi');
  });

  it('rows 3 and 4: real shifts are found, and the report names the rule and its floor', async () => {
    const r = await drift('strong', strong[0]!);
    expect(r.datasetDrift).toBe(true);
    expect(r.features.map((f) => [f.name, f.reasons, f.rule.floor])).toEqual([
      ['x0', ['test+wasserstein'], { name: 'wasserstein', value: 0.05 }],
      ['x1', ['test+wasserstein'], { name: 'wasserstein', value: 0.05 }],
    ]);
    const found = await Promise.all(weak.map((w) => drift('weak', w)));
    expect(found.filter((x) => byName(x).x0!.drifted).length).toBeGreaterThanOrEqual(1);
  });

  it('row 5: detects the id and the date column, says so, and --feature-role / --ignore override it', async () => {
    const r = await drift('roles', roles[0]!);
    expect(r.datasetDrift).toBe(false);
    expect(r.ignored).toEqual([
      { name: 'id', reason: 'id' },
      { name: 'day', reason: 'timestamp' },
    ]);
    expect(r.notes.join('\n')).toMatch(/"id" looks like an identifier.*"day" looks like a timestamp/s);
    const text = await run('drift', '-r', file('roles-ref.csv'), '-c', roles[0]!, '--quiet');
    expect(text.stdout).toMatch(/Note: "day" looks like a timestamp/);
    const forced = await drift('roles', roles[0]!, '--feature-role', 'day=feature', '--ignore', 'x');
    expect(byName(forced).day!.drifted).toBe(true);
    expect(forced.ignored).toEqual([
      { name: 'id', reason: 'id' },
      { name: 'x', reason: 'ignore' },
    ]);
  });

  it('row 6: χ² pools the rare categories and lists them', async () => {
    const r = await drift('rare', rare[0]!);
    expect(byName(r).c!.chi2!.pooled).toEqual(expect.arrayContaining(['r1', 'r2', 'r7']));
  });

  it('reads per-feature settings from --config YAML or JSON, and names the path of a bad one', async () => {
    writeFileSync(file('drift.yaml'), 'floors:\n  wasserstein: 0.1\nfeatures:\n  x0:\n    floors: {wasserstein: 5}\n  x1:\n    critical: true\n');
    const r = await drift('strong', strong[0]!, '--config', file('drift.yaml'), '--drift-share', '1');
    expect(r.features.map((f) => [f.name, f.drifted, f.rule.floor.value])).toEqual([
      ['x0', false, 5],
      ['x1', true, 0.1],
    ]);
    expect(r.datasetDrift).toBe(true); // x1 is critical
    writeFileSync(file('bad.json'), JSON.stringify({ features: { x0: { alpha: 1.5 } } }));
    const bad = await run('drift', '-r', file('strong-ref.csv'), '-c', strong[0]!, '--config', file('bad.json'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/features\.x0\.alpha: must be < 1/);
    writeFileSync(file('unknown.json'), JSON.stringify({ features: { nope: { ignore: true } } }));
    const unknown = await run('drift', '-r', file('strong-ref.csv'), '-c', strong[0]!, '--config', file('unknown.json'));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/features\.nope.*"nope", which is not in/);
  });
});
