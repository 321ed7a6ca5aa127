/**
 * Verdict benchmark (issue 17): the table of decisions, for our defaults beside scipy's raw tests
 * and the Evidently and NannyML default rules (re-implemented in numpy by bench/verdicts_peer.py),
 * on the same fixed-seed data (test/helpers/drift-cases.ts).
 *
 *   npm run bench:verdicts [-- --quick]
 *
 * --quick runs smaller windows/repetitions (the shapes the tests use). Data are written as raw
 * float64 (categories as codes) to bench/.data/verdicts/ so Python reads identical values.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildProfile } from '../src/drift/profile.js';
import { computeDrift, type DriftReport } from '../src/drift/report.js';
import { detectRoles, mergeRoles } from '../src/drift/roles.js';
import * as C from '../test/helpers/drift-cases.js';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const Q = args.quick;
const DATA = join(import.meta.dirname, '.data', 'verdicts');

type Flags = boolean[][];
interface Outcome {
  ours: { flags: Flags; datasetDrift: boolean[] };
  peers?: Record<string, Flags>;
}
interface Row {
  label: string;
  target: string;
  cases: C.DriftCase[];
  /** Our flag for a feature; default `drifted` (the χ² row looks at the test alone). */
  ourFlag?: (f: DriftReport['features'][number]) => boolean;
  metric: 'dataset' | 'any' | 'x0';
  /** Metric per case, all cases pooled into one count; pass check on the pooled count. */
  ok: (count: number, windows: number) => boolean;
  peersUse?: string[];
}

const sweepSizes = Q ? [30, 100, 1000] : [30, 50, 100, 300, 1000, 3000];
const rows: Row[] = [
  {
    label: `1 M ref vs 100 k windows, +0.01 σ and 0.5 pp moved`,
    target: '≤ 1 of 20 dataset drift',
    cases: [Q ? C.tinyShiftCase(1, 200_000, 50_000, 5, 0.02, 0.01) : C.tinyShiftCase(1, 1_000_000, 100_000, 20)],
    metric: 'dataset',
    ok: (c, n) => c <= n / 20,
  },
  {
    label: '50-row null windows, 10 features: dataset drift',
    target: '≤ 2 of 100',
    cases: [C.nullCase(2, 10_000, 50, Q ? 50 : 100)],
    metric: 'dataset',
    ok: (c, n) => c <= n / 50,
  },
  {
    label: '50-row null windows, 10 features: any-feature alarm',
    target: '≤ 10 of 100',
    cases: [C.nullCase(2, 10_000, 50, Q ? 50 : 100)],
    metric: 'any',
    ok: (c, n) => c <= n / 10,
  },
  {
    label: '0.2 σ shift of both features, windows of 1 000',
    target: '≥ 19 of 20 found',
    cases: [C.shiftCase(3, 10_000, 1000, Q ? 10 : 20, 0.2, 2, 2)],
    metric: 'dataset',
    ok: (c, n) => c >= (19 / 20) * n,
  },
  {
    label: '0.1 σ shift of one of two features, windows of 1 000',
    target: '≥ 24 of 40 found',
    cases: [C.shiftCase(4, 10_000, 1000, Q ? 20 : 40, 0.1, 2, 1)],
    metric: 'x0',
    ok: (c, n) => c >= 0.6 * n,
  },
  {
    label: 'unique id + ISO date beside two stable features',
    target: '0 of 10 dataset drift',
    cases: [C.idDateCase(5, 5000, 1000, 10)],
    metric: 'dataset',
    ok: (c) => c === 0,
  },
  ...[30, 50, 100].map(
    (n): Row => ({
      label: `χ² null rejections, 7 rare categories, windows of ${n}`,
      target: '≤ .06',
      cases: Array.from({ length: Q ? 5 : 10 }, (_, s) => C.rareCategoriesCase(600 + n * 10 + s, 5000, n, Q ? 40 : 100)),
      ourFlag: (f) => (f.chi2?.pValue ?? 1) < 0.05,
      metric: 'any',
      ok: (c, w) => c <= 0.06 * w,
    }),
  ),
  ...sweepSizes.map(
    (n): Row => ({
      label: `null any-feature alarms, 10 features, windows of ${n}`,
      target: '≤ .06 (α · 1.2)',
      // A fresh reference every 10 windows: the rate is over references too, as in deployments.
      cases: Array.from({ length: Q ? 6 : 30 }, (_, s) => C.nullCase(1000 + n * 100 + s, 5000, n, 10)),
      metric: 'any',
      ok: (c, w) => c <= 0.06 * w,
    }),
  ),
];

function ours(c: C.DriftCase, flag: Row['ourFlag']): Outcome['ours'] {
  const ref = buildProfile(c.reference, c.kinds);
  const roles = mergeRoles(detectRoles(ref), {});
  const names = Object.keys(c.kinds);
  const flags: Flags = [];
  const datasetDrift: boolean[] = [];
  for (const w of c.windows) {
    const r = computeDrift(ref, w, { roles });
    const byName = new Map(r.features.map((f) => [f.name, f]));
    flags.push(names.map((n) => (byName.has(n) ? (flag ? flag(byName.get(n)!) : byName.get(n)!.drifted) : false)));
    datasetDrift.push(r.datasetDrift);
  }
  return { flags, datasetDrift };
}

function writeCase(dir: string, c: C.DriftCase): void {
  mkdirSync(dir, { recursive: true });
  const names = Object.keys(c.kinds);
  const codes = new Map<string, Map<string, number>>();
  const encode = (name: string, col: C.CaseColumn): Float64Array => {
    if (col instanceof Float64Array) return col;
    let m = codes.get(name);
    if (!m) codes.set(name, (m = new Map()));
    const out = new Float64Array(col.length);
    for (let i = 0; i < col.length; i++) {
      let v = m.get(col[i]!);
      if (v === undefined) m.set(col[i]!, (v = m.size));
      out[i] = v;
    }
    return out;
  };
  const write = (file: string, side: Record<string, C.CaseColumn>) => {
    const cols = names.map((n) => encode(n, side[n]!));
    const buf = Buffer.concat(cols.map((x) => Buffer.from(x.buffer, x.byteOffset, x.byteLength)));
    writeFileSync(join(dir, file), buf);
  };
  write('ref.f64', c.reference);
  c.windows.forEach((w, i) => write(`w${i}.f64`, w));
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ features: names.map((n) => ({ name: n, kind: c.kinds[n] })), windows: c.windows.length }));
}

function count(metric: Row['metric'], flags: Flags, dataset?: boolean[]): number {
  return flags.reduce((acc, w, i) => {
    if (metric === 'x0') return acc + (w[0] ? 1 : 0);
    if (metric === 'any') return acc + (w.some(Boolean) ? 1 : 0);
    const drifted = dataset ? dataset[i]! : w.filter(Boolean).length / w.length >= 0.5;
    return acc + (drifted ? 1 : 0);
  }, 0);
}

function main(): void {
  rmSync(DATA, { recursive: true, force: true });
  mkdirSync(DATA, { recursive: true });
  const index: string[] = [];
  const outcomes = new Map<string, Outcome>();
  const t0 = performance.now();
  rows.forEach((row, r) =>
    row.cases.forEach((c, k) => {
      const id = `r${r}c${k}`;
      index.push(id);
      writeCase(join(DATA, id), c);
      outcomes.set(id, { ours: ours(c, row.ourFlag) });
    }),
  );
  const oursMs = performance.now() - t0;
  writeFileSync(join(DATA, 'index.json'), JSON.stringify(index));
  const peer = spawnSync('python3', [join(import.meta.dirname, 'verdicts_peer.py'), DATA], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (peer.status !== 0) throw new Error(`peer failed: ${peer.stderr}`);
  const peers = JSON.parse(peer.stdout) as Record<string, Record<string, Flags>>;

  const header = ['case', 'target', 'mlcycle', 'scipy raw', 'Evidently', 'NannyML-style'];
  const lines: string[][] = [];
  let failures = 0;
  rows.forEach((row, r) => {
    let windows = 0;
    const totals = { ours: 0, raw: 0, evidently: 0, nannyml: 0 };
    row.cases.forEach((_, k) => {
      const id = `r${r}c${k}`;
      const o = outcomes.get(id)!;
      windows += o.ours.flags.length;
      totals.ours += count(row.metric, o.ours.flags, row.metric === 'dataset' ? o.ours.datasetDrift : undefined);
      totals.raw += count(row.metric, peers[id]![row.ourFlag ? 'chi2raw' : 'raw']!);
      totals.evidently += count(row.metric, peers[id]!.evidently!);
      totals.nannyml += count(row.metric, peers[id]!.nannyml!);
    });
    const rate = row.target.startsWith('≤ .');
    const show = (c: number) => (rate ? (c / windows).toFixed(3) : `${c}/${windows}`);
    const ok = row.ok(totals.ours, windows);
    if (!ok) failures++;
    lines.push([row.label, row.target, `${show(totals.ours)} ${ok ? '✓' : '✗'}`, show(totals.raw), show(totals.evidently), show(totals.nannyml)]);
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(fmt(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const l of lines) console.log(fmt(l));
  console.log(
    `\nmlcycle defaults (α .05 split 0.8 test / 0.1 PSI / 0.1 missing, Bonferroni; floors W₁/σ ≥ 0.05, JS ≥ 0.05; PSI ≥ 0.2 alone above its noise bound); ours computed in ${(oursMs / 1000).toFixed(1)} s`,
  );
  if (failures > 0) {
    console.log(`${failures} row(s) miss their target`);
    process.exitCode = 1;
  }
}

main();
