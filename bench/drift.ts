/**
 * Drift benchmark (issue 3): our KS + PSI per feature against scipy.stats.ks_2samp + numpy PSI on
 * the same data, in the same run; plus profile build (our sort vs np.sort) and profile size.
 *
 *   npx tsx bench/drift.ts [--features 50] [--ref 1000000] [--cur 10000,100000] [--sort-features 5] [--seed 1]
 *
 * Data are generated with a seed and written as raw little-endian float64 to bench/.data/ so
 * Python reads the identical values with numpy.fromfile. Targets: ours ≥ 30× faster per feature at
 * 10 k, profile build ratio (ours / np.sort) ≤ 1.0, a 1 M-value profile ≤ 10 MB serialized.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { serializeProfile } from '../src/drift/codec.js';
import { buildProfile, numericProfile, type DatasetProfile } from '../src/drift/profile.js';
import { computeDrift } from '../src/drift/report.js';
import { sortFloat64 } from '../src/drift/sort.js';
import { createRng, type Rng } from '../test/helpers/random.js';

const { values: args } = parseArgs({
  options: {
    features: { type: 'string', default: '50' },
    ref: { type: 'string', default: '1000000' },
    cur: { type: 'string', default: '10000,100000' },
    'sort-features': { type: 'string', default: '5' },
    seed: { type: 'string', default: '1' },
    bins: { type: 'string', default: '10' },
  },
});
const F = Number(args.features);
const REF_N = Number(args.ref);
const CUR_NS = args.cur.split(',').map(Number);
const SORT_F = Math.min(F, Number(args['sort-features']));
const BINS = Number(args.bins);
const EPS = 1e-4;
const DATA = join(import.meta.dirname, '.data');

/**
 * Feature i: mostly normal with its own location/scale; every 5th is rounded to 0.1 (ties) and
 * every 7th lognormal (skew). Current windows shift some features slightly so p-values spread
 * over (0, 1) instead of all being 0 or all ≈ 1.
 */
function column(rng: Rng, i: number, n: number, current: boolean): Float64Array {
  const shift = current ? (i % 4) * 0.01 : 0;
  const x = rng.normals(n, i * 0.1 + shift, 1 + (i % 3) * 0.5);
  if (i % 7 === 3) for (let k = 0; k < n; k++) x[k] = Math.exp(x[k]! / 2);
  if (i % 5 === 4) for (let k = 0; k < n; k++) x[k] = Math.round(x[k]! * 10) / 10;
  return x;
}

function writeF64(path: string, cols: Float64Array[]): void {
  const n = cols[0]!.length;
  const buf = Buffer.allocUnsafe(cols.length * n * 8);
  cols.forEach((c, i) => Buffer.from(c.buffer, c.byteOffset, c.byteLength).copy(buf, i * n * 8));
  writeFileSync(path, buf);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number, d = 2): string => x.toFixed(d);

function main(): void {
  mkdirSync(DATA, { recursive: true });
  const rng = createRng(Number(args.seed));
  console.log(`generating ${F} features × ${REF_N} reference rows (seed ${args.seed}) …`);
  const ref = Array.from({ length: F }, (_, i) => column(rng, i, REF_N, false));
  writeF64(join(DATA, 'ref.f64'), ref);
  const curs = new Map<number, Float64Array[]>();
  for (const n of CUR_NS) {
    const cols = Array.from({ length: F }, (_, i) => column(rng, i, n, true));
    curs.set(n, cols);
    writeF64(join(DATA, `cur_${n}.f64`), cols);
  }

  console.log('running the scipy/numpy peer …');
  const peerRun = spawnSync(
    'python3',
    [join(import.meta.dirname, 'drift_peer.py'), DATA, String(F), String(REF_N), CUR_NS.join(','), String(BINS), String(EPS), String(SORT_F)],
    {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (peerRun.status !== 0) throw new Error(`peer failed: ${peerRun.stderr}`);
  const peer = JSON.parse(peerRun.stdout) as {
    numpy: string;
    scipy: string;
    sortMs: number[];
    windows: Record<string, { msPerFeature: number; results: Array<{ statistic: number; pValue: number; psi: number }> }>;
  };

  // Profile build: our radix sort and the whole numeric profile (missing scan + copy + sort) of one
  // 1 M column, best of 3, against np.sort of the same column.
  const sortMs: number[] = [];
  const buildMs: number[] = [];
  for (let i = 0; i < SORT_F; i++) {
    let bestSort = Infinity;
    let bestBuild = Infinity;
    for (let r = 0; r < 4; r++) {
      const copy = ref[i]!.slice();
      let t = performance.now();
      sortFloat64(copy);
      if (r > 0) bestSort = Math.min(bestSort, performance.now() - t);
      t = performance.now();
      numericProfile(ref[i]!);
      if (r > 0) bestBuild = Math.min(bestBuild, performance.now() - t);
    }
    sortMs.push(bestSort);
    buildMs.push(bestBuild);
  }
  const npSort = median(peer.sortMs);
  let builtinMs = Infinity;
  for (let r = 0; r < 2; r++) {
    const copy = ref[0]!.slice();
    const t = performance.now();
    copy.sort();
    builtinMs = Math.min(builtinMs, performance.now() - t);
  }

  const t0 = performance.now();
  const profile: DatasetProfile = buildProfile(new Map(ref.map((c, i) => [`f${i}`, c])));
  const fullBuildMs = performance.now() - t0;
  const oneFeature: DatasetProfile = { rows: profile.rows, features: new Map([['f0', profile.features.get('f0')!]]) };
  const profileBytes = Buffer.byteLength(JSON.stringify(serializeProfile(oneFeature)));

  console.log(`\nnumpy ${peer.numpy}, scipy ${peer.scipy}, node ${process.version}; ${F} features, reference ${REF_N} rows, ${BINS} bins`);
  console.log('\nprofile build (one 1 M column, median of best-of-3 over', SORT_F, 'columns):');
  console.log(`  ours sortFloat64      ${fmt(median(sortMs))} ms   ratio to np.sort ${fmt(median(sortMs) / npSort)}`);
  console.log(`  ours numericProfile   ${fmt(median(buildMs))} ms   ratio to np.sort ${fmt(median(buildMs) / npSort)}   (target ≤ 1.0)`);
  console.log(`  numpy np.sort         ${fmt(npSort)} ms`);
  console.log(`  V8 Float64Array.sort  ${fmt(builtinMs)} ms   ratio to np.sort ${fmt(builtinMs / npSort)}`);
  console.log(`  all ${F} features      ${fmt(fullBuildMs)} ms`);
  console.log(`serialized profile of ${REF_N} values: ${(profileBytes / 1024 / 1024).toFixed(2)} MB (target ≤ 10 MB)`);

  let mismatches = 0;
  console.log('\nKS + PSI per feature (profile built once):');
  for (const n of CUR_NS) {
    const cols = curs.get(n)!;
    const current = new Map(cols.map((c, i) => [`f${i}`, c]));
    computeDrift(profile, current, { methods: ['psi', 'ks'], bins: BINS, epsilon: EPS }); // warm-up
    const reps = n <= 10_000 ? 5 : 2;
    let best = Infinity;
    let report = computeDrift(profile, current, { methods: ['psi', 'ks'], bins: BINS, epsilon: EPS });
    for (let r = 0; r < reps; r++) {
      const t = performance.now();
      report = computeDrift(profile, current, { methods: ['psi', 'ks'], bins: BINS, epsilon: EPS });
      best = Math.min(best, performance.now() - t);
    }
    const ours = best / F;
    const theirs = peer.windows[String(n)]!.msPerFeature;
    let worstD = 0;
    let worstP = 0;
    let worstPsi = 0;
    report.features.forEach((f, i) => {
      const p = peer.windows[String(n)]!.results[i]!;
      const dD = Math.abs(f.ks!.statistic - p.statistic);
      const dP = Math.abs(f.ks!.pValue - p.pValue);
      const dPsi = Math.abs(f.psi! - p.psi);
      worstD = Math.max(worstD, dD);
      worstP = Math.max(worstP, dP);
      worstPsi = Math.max(worstPsi, dPsi);
      if (dD > 1e-12 || dP > 1e-6 || dPsi > 1e-9) {
        mismatches++;
        console.log(`  MISMATCH f${i} @${n}: D ${f.ks!.statistic} vs ${p.statistic}, p ${f.ks!.pValue} vs ${p.pValue}, PSI ${f.psi} vs ${p.psi}`);
      }
    });
    console.log(
      `  current ${String(n).padStart(6)}: ours ${fmt(ours, 3)} ms/feature, scipy+numpy ${fmt(theirs, 3)} ms/feature, ` +
        `ratio ${fmt(theirs / ours, 1)}×${n === 10_000 ? ' (target ≥ 30×)' : ''}`,
    );
    console.log(`    agreement: max |ΔD| ${worstD.toExponential(1)}, max |Δp| ${worstP.toExponential(1)}, max |ΔPSI| ${worstPsi.toExponential(1)}`);
  }
  console.log(mismatches === 0 ? '\nall features agree (D 1e-12, p 1e-6, PSI 1e-9)' : `\n${mismatches} MISMATCHES`);
  if (mismatches > 0) process.exitCode = 1;
}

main();
