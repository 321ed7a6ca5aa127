/**
 * `mlcycle drift` end to end (issue 9) against the script a user would write instead, pandas +
 * scipy (bench/cli_peer.py), on the same files in the same run: a 1 M × 20 reference (15 numeric,
 * 5 categorical) and a 50 k current, as CSV; ours also on the same data as Parquet.
 *
 *   npm run bench:cli -- [--rows 1000000] [--cur 50000] [--seed 7]
 *
 * Wall time and peak RSS come from /usr/bin/time (whole processes, start-up included). Targets:
 * ours ≤ 0.5× pandas' wall time with RSS ≤ 1× theirs; Parquet ≥ 2× faster than CSV. The peer
 * needs Debian's python3-pandas; this bench installs nothing and says so when it is missing.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { createRng, type Rng } from '../test/helpers/random.js';

const { values: args } = parseArgs({
  options: { rows: { type: 'string', default: '1000000' }, cur: { type: 'string', default: '50000' }, seed: { type: 'string', default: '7' } },
});
const ROOT = join(import.meta.dirname, '..');
const DIR = join(ROOT, '.tmp', 'bench-cli');
const NUMERIC = 15;
const CATEGORICAL = 5;

interface Columns {
  numeric: Float64Array[]; // NaN = missing
  categorical: (string | null)[][];
}

/** Numeric i: normal with its own scale, every 3rd an integer count, 1 % missing; the current window shifts every 4th. */
function generate(rng: Rng, n: number, current: boolean): Columns {
  const numeric = Array.from({ length: NUMERIC }, (_, i) => {
    const shift = current && i % 4 === 0 ? 0.1 : 0;
    const col = rng.normals(n, i + shift, 1 + i / 10);
    for (let k = 0; k < n; k++) {
      if (i % 3 === 2) col[k] = Math.round(col[k]! * 10);
      if (rng.uniform() < 0.01) col[k] = NaN;
    }
    return col;
  });
  const categorical = Array.from({ length: CATEGORICAL }, (_, i) => {
    const levels = [3, 5, 10, 20, 50][i]!;
    return Array.from({ length: n }, () => (rng.uniform() < 0.005 ? null : `cat_${Math.floor(levels * rng.uniform() ** (current && i === 0 ? 1.2 : 1))}`));
  });
  return { numeric, categorical };
}

const header = [...Array.from({ length: NUMERIC }, (_, i) => `num_${i}`), ...Array.from({ length: CATEGORICAL }, (_, i) => `cat_${i}`)];

function writeCsv(path: string, cols: Columns): void {
  const fd = openSync(path, 'w');
  writeSync(fd, `${header.join(',')}\n`);
  const n = cols.numeric[0]!.length;
  let lines: string[] = [];
  for (let r = 0; r < n; r++) {
    const cells = cols.numeric.map((c, i) => (Number.isNaN(c[r]!) ? '' : i % 3 === 2 ? String(c[r]) : c[r]!.toFixed(6)));
    for (const c of cols.categorical) cells.push(c[r] ?? '');
    lines.push(cells.join(','));
    if (lines.length === 10_000) {
      writeSync(fd, `${lines.join('\n')}\n`);
      lines = [];
    }
  }
  if (lines.length) writeSync(fd, `${lines.join('\n')}\n`);
  closeSync(fd);
}

function writeParquet(path: string, cols: Columns): void {
  const numeric = cols.numeric.map((c, i) => {
    // The same values the CSV holds (6 decimals), so both inputs describe identical data.
    const data = Array.from(c, (v) => (Number.isNaN(v) ? null : i % 3 === 2 ? v : Number(v.toFixed(6))));
    return { name: header[i]!, data, type: 'DOUBLE' as const, nullable: true };
  });
  const categorical = cols.categorical.map((c, i) => ({ name: header[NUMERIC + i]!, data: c, type: 'STRING' as const, nullable: true }));
  writeFileSync(path, new Uint8Array(parquetWriteBuffer({ columnData: [...numeric, ...categorical], rowGroupSize: 100_000 })));
}

interface Measured {
  wall: number;
  /** user + system CPU seconds: steadier than wall time on a machine others are loading too. */
  cpu: number;
  rssMb: number;
  stdout: string;
}

function measure(cmd: string, argv: string[]): Measured {
  const res = spawnSync('/usr/bin/time', ['-f', 'BENCH %e %U %S %M', cmd, ...argv], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28 });
  const line = res.stderr.trim().split('\n').pop() ?? '';
  const m = /^BENCH ([\d.]+) ([\d.]+) ([\d.]+) (\d+)$/.exec(line);
  if (res.status !== 0 || !m) throw new Error(`${cmd} ${argv.join(' ')} failed (${res.status}): ${res.stderr.slice(-2000)}`);
  return { wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), rssMb: Number(m[4]) / 1024, stdout: res.stdout };
}

/** python3 on PATH may be a pyenv without pandas; Debian's python3-pandas lives under /usr/bin. */
function findPandasPython(): string | null {
  for (const py of ['python3', '/usr/bin/python3']) {
    if (spawnSync(py, ['-c', 'import pandas, scipy'], { stdio: 'ignore' }).status === 0) return py;
  }
  return null;
}

function main(): void {
  mkdirSync(DIR, { recursive: true });
  const rows = Number(args.rows);
  const curRows = Number(args.cur);
  const tag = `${rows}-${curRows}-${args.seed}`;
  const files = {
    refCsv: join(DIR, `ref-${tag}.csv`),
    curCsv: join(DIR, `cur-${tag}.csv`),
    refPq: join(DIR, `ref-${tag}.parquet`),
    curPq: join(DIR, `cur-${tag}.parquet`),
  };
  if (!Object.values(files).every(existsSync)) {
    console.log(`generating ${rows} × 20 reference and ${curRows} × 20 current (seed ${args.seed}) in ${DIR} …`);
    const rng = createRng(Number(args.seed));
    const ref = generate(rng, rows, false);
    const cur = generate(rng, curRows, true);
    writeCsv(files.refCsv, ref);
    writeCsv(files.curCsv, cur);
    writeParquet(files.refPq, ref);
    writeParquet(files.curPq, cur);
  }
  const loadBefore = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  const ours = (r: string, c: string) => measure(process.execPath, ['bin/mlcycle.js', 'drift', '-r', r, '-c', c, '--json', '--quiet']);
  console.log('running mlcycle drift on CSV …');
  const csv = ours(files.refCsv, files.curCsv);
  console.log('running mlcycle drift on Parquet …');
  const pq = ours(files.refPq, files.curPq);
  const py = findPandasPython();
  let peer: Measured | null = null;
  if (py) {
    console.log('running pandas + scipy on CSV …');
    peer = measure(py, [join('bench', 'cli_peer.py'), files.refCsv, files.curCsv]);
  } else {
    console.log('pandas is missing: apt-get install python3-pandas (Debian) to measure the peer');
  }

  const fmt = (x: number, d = 2) => x.toFixed(d);
  const row = (name: string, m: Measured) =>
    console.log(`${name.padEnd(28)}${fmt(m.wall).padStart(9)}${fmt(m.cpu).padStart(9)}${fmt(m.rssMb, 0).padStart(14)}`);
  console.log(`\n${'run'.padEnd(28)}${'wall s'.padStart(9)}${'CPU s'.padStart(9)}${'peak RSS MB'.padStart(14)}`);
  row('mlcycle drift, CSV', csv);
  row('mlcycle drift, Parquet', pq);
  if (peer) row('pandas + scipy, CSV', peer);
  console.log(`(load average before the runs: ${loadBefore}; wall times on a shared machine vary with it)`);
  console.log('');
  if (peer) {
    const t = csv.wall / peer.wall;
    const m = csv.rssMb / peer.rssMb;
    console.log(`wall time ours/pandas: ${fmt(t)}× (target ≤ 0.5×) ${t <= 0.5 ? 'met' : 'MISSED'}; CPU time ours/pandas: ${fmt(csv.cpu / peer.cpu)}×`);
    console.log(`peak RSS ours/pandas:  ${fmt(m)}× (target ≤ 1×) ${m <= 1 ? 'met' : 'MISSED'}`);
    // Same statistics on both sides: the largest disagreement in p-values and PSI.
    const a = Object.fromEntries(JSON.parse(csv.stdout).features.map((f: { name: string }) => [f.name, f]));
    const b = JSON.parse(peer.stdout) as Record<string, { psi: number; p: number }>;
    let dp = 0;
    let dpsi = 0;
    for (const [name, f] of Object.entries(b)) {
      const o = a[name] as { psi: number; ks?: { pValue: number }; chi2?: { pValue: number } };
      dp = Math.max(dp, Math.abs((o.ks?.pValue ?? o.chi2?.pValue ?? NaN) - f.p));
      dpsi = Math.max(dpsi, Math.abs(o.psi - f.psi));
    }
    console.log(`agreement with scipy: max |Δp| = ${dp.toExponential(2)}, max |ΔPSI| = ${dpsi.toExponential(2)}`);
  }
  const s = csv.wall / pq.wall;
  console.log(`Parquet speed-up over CSV: ${fmt(s)}× (target ≥ 2×) ${s >= 2 ? 'met' : 'MISSED'}; in CPU time ${fmt(csv.cpu / pq.cpu)}×`);
}

main();
