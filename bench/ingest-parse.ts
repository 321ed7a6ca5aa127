/**
 * Ingest micro-benchmark (issue 10): our body → validated batch against bare JSON.parse of the
 * same text, in the same run, no HTTP. 1 000 rows × 20 features (16 numeric, 4 categorical) with
 * ids and predictions, as JSON rows, JSON columns and an Arrow IPC stream.
 *
 *   npx tsx bench/ingest-parse.ts [--rows 1000] [--rounds 15]
 *
 * The target (JSON rows ≥ 0.6× JSON.parse) is end to end through HTTP (bench/ingest, to
 * come with the routes); this isolates the parse+validate step that decides it. "ratio" is
 * JSON.parse time / our time: 1.0 means as fast as parsing alone.
 * "JSON.parse + tree walk" is what the app's generic JSON parser does today (a finiteness walk
 * over every value, src/http/json-body.ts) before a route could validate: it shows why the
 * sample routes should hand the raw text to parseJsonBatch instead.
 */
import { Float64, Table, Utf8, tableToIPC, vectorFromArray } from 'apache-arrow';
import { parseArgs } from 'node:util';
import type { FeatureSpec } from '../src/monitoring/batch.js';
import { encodeBatch } from '../src/monitoring/batch-codec.js';
import { ingestArrow, parseJsonBatch } from '../src/monitoring/ingest.js';
import { createRng } from '../test/helpers/random.js';

const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '15' } } });
const N = Number(args.rows);
const ROUNDS = Number(args.rounds);
const CITIES = ['Oslo', 'Bergen', 'Trondheim', 'Stavanger', 'Tromsø', 'Bodø'];

const features: FeatureSpec[] = Array.from({ length: 20 }, (_, i) => ({ name: `feature_${i}`, type: i < 16 ? 'numeric' : 'categorical' }));
const rng = createRng(7);
const numeric = features.slice(0, 16).map(() => rng.normals(N, 0, 1));
const categorical = features.slice(16).map(() => Array.from({ length: N }, () => CITIES[rng.int(CITIES.length)]!));
const ids = Array.from({ length: N }, (_, i) => `req-${i}`);
const predictions = Array.from({ length: N }, () => Math.round(rng.uniform() * 1000) / 1000);

const rows = Array.from({ length: N }, (_, r) => {
  const row: Record<string, number | string> = {};
  features.forEach((f, i) => (row[f.name] = i < 16 ? numeric[i]![r]! : categorical[i - 16]![r]!));
  return row;
});
const columns = Object.fromEntries(features.map((f, i) => [f.name, i < 16 ? Array.from(numeric[i]!) : categorical[i - 16]!]));
const rowsText = JSON.stringify({ rows, ids, predictions });
const columnsText = JSON.stringify({ columns, ids, predictions });
const arrow = tableToIPC(
  new Table({
    ...Object.fromEntries(
      features.map((f, i) => [f.name, i < 16 ? vectorFromArray(Array.from(numeric[i]!), new Float64()) : vectorFromArray(categorical[i - 16]!, new Utf8())]),
    ),
    __id: vectorFromArray(ids, new Utf8()),
    __prediction: vectorFromArray(predictions, new Float64()),
  }),
  'stream',
);
const options = { features };

function walk(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? 0 : 1;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + walk(v), 0);
  if (value !== null && typeof value === 'object') return Object.values(value).reduce((n: number, v) => n + walk(v), 0);
  return 0;
}

const cases: Record<string, () => unknown> = {
  'JSON.parse rows': () => JSON.parse(rowsText),
  'ours rows': () => parseJsonBatch(rowsText, options),
  'JSON.parse + tree walk rows': () => walk(JSON.parse(rowsText)),
  'JSON.parse columns': () => JSON.parse(columnsText),
  'ours columns': () => parseJsonBatch(columnsText, options),
  'ours arrow': () => ingestArrow(arrow, options),
  'ours rows + encodeBatch': () => encodeBatch(parseJsonBatch(rowsText, options)),
};

/** Interleaved rounds (every case once per round) so drift in machine load hits all cases alike. */
const samples: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let round = -3; round < ROUNDS; round++) {
  for (const [name, fn] of Object.entries(cases)) {
    const reps = 5;
    const start = process.hrtime.bigint();
    for (let i = 0; i < reps; i++) fn();
    const ms = Number(process.hrtime.bigint() - start) / 1e6 / reps;
    if (round >= 0) samples[name]!.push(ms); // the first rounds warm the JIT
  }
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const t = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)])) as Record<string, number>;
const rowsPerSec = (ms: number): string => `${(((N / ms) * 1000) / 1e6).toFixed(2)} M rows/s`;

console.log(`ingest parse+validate, ${N} rows × 20 features (+ids, predictions); median of ${ROUNDS} rounds`);
console.log(
  `payloads: JSON rows ${(rowsText.length / 1024).toFixed(0)} KiB, JSON columns ${(columnsText.length / 1024).toFixed(0)} KiB, Arrow ${(arrow.length / 1024).toFixed(0)} KiB`,
);
for (const [name, ms] of Object.entries(t)) console.log(`  ${name.padEnd(30)} ${ms.toFixed(3).padStart(8)} ms  ${rowsPerSec(ms)}`);
console.log('ratios (JSON.parse of the same payload / ours; target for JSON rows ≥ 0.6 end to end):');
console.log(`  JSON rows     ${(t['JSON.parse rows']! / t['ours rows']!).toFixed(2)}×`);
console.log(`  JSON columns  ${(t['JSON.parse columns']! / t['ours columns']!).toFixed(2)}×`);
console.log(`  Arrow vs ours JSON rows  ${(t['ours rows']! / t['ours arrow']!).toFixed(2)}× faster (issue target ≥ 3× through HTTP)`);
console.log(`  today's generic parser path (parse + walk) alone: ${(t['JSON.parse rows']! / t['JSON.parse + tree walk rows']!).toFixed(2)}× of JSON.parse`);
