/**
 * bench/ingest-http: sample batches through HTTP on loopback, 1 000 rows × 20 features per request
 * (16 numeric, 4 categorical, + ids and predictions), against a route that only JSON.parses the
 * same payload (the ceiling), in the same run with alternating rounds. Issue 10 targets: JSON rows
 * ≥ 0.6× the ceiling; Arrow IPC ≥ 3× JSON rows. Until the real /samples route exists this drives
 * bench/ingest-http-server.ts (bare Fastify + the ingest code + encodeBatch, no database).
 *   npx tsx bench/ingest-http.ts [--seconds 12] [--rounds 3] [--connections 4]
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Float64, Table, Utf8, tableToIPC, vectorFromArray } from 'apache-arrow';
import autocannon from 'autocannon';
import { createRng } from '../test/helpers/random.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '12' }, rounds: { type: 'string', default: '3' }, connections: { type: 'string', default: '4' } },
});
const ROWS = 1000;
const CITIES = ['Oslo', 'Bergen', 'Trondheim', 'Stavanger', 'Tromsø', 'Bodø'];
const rng = createRng(11);
const numeric = Array.from({ length: 16 }, () => rng.normals(ROWS, 0, 1));
const categorical = Array.from({ length: 4 }, () => Array.from({ length: ROWS }, () => CITIES[rng.int(CITIES.length)]!));
const name = (i: number) => `feature_${i}`;
const ids = Array.from({ length: ROWS }, (_, i) => `req-${i}`);
const predictions = Array.from({ length: ROWS }, () => Math.round(rng.uniform() * 1000) / 1000);
const rows = Array.from({ length: ROWS }, (_, r) =>
  Object.fromEntries(Array.from({ length: 20 }, (_, i) => [name(i), i < 16 ? numeric[i]![r]! : categorical[i - 16]![r]!])),
);
const rowsBody = JSON.stringify({ rows, ids, predictions });
const columnsBody = JSON.stringify({ columns: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [name(i), i < 16 ? Array.from(numeric[i]!) : categorical[i - 16]!])), ids, predictions });
const arrowBody = Buffer.from(
  tableToIPC(
    new Table({
      ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [name(i), i < 16 ? vectorFromArray(Array.from(numeric[i]!), new Float64()) : vectorFromArray(categorical[i - 16]!, new Utf8())])),
      __id: vectorFromArray(ids, new Utf8()),
      __prediction: vectorFromArray(predictions, new Float64()),
    }),
    'stream',
  ),
);

const child = spawn(process.execPath, ['--import', 'tsx', 'bench/ingest-http-server.ts'], { stdio: ['ignore', 'pipe', 'inherit'] });
const base = await new Promise<string>((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
    if (m) resolve(m[1]!);
  });
  child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
});

const json = { 'content-type': 'application/json' };
const targets: Array<[string, autocannon.Options]> = [
  ['ceiling: JSON.parse rows', { url: `${base}/ceiling`, method: 'POST', headers: json, body: rowsBody }],
  ['samples JSON rows', { url: `${base}/samples`, method: 'POST', headers: json, body: rowsBody }],
  ['samples JSON columns', { url: `${base}/samples`, method: 'POST', headers: json, body: columnsBody }],
  ['samples Arrow IPC', { url: `${base}/samples-arrow`, method: 'POST', headers: { 'content-type': 'application/vnd.apache.arrow.stream' }, body: arrowBody }],
  ['generic parser JSON rows', { url: `${base}/generic`, method: 'POST', headers: json, body: rowsBody }],
];

const rounds = Number(values.rounds);
const seconds = Math.max(1, Math.round(Number(values.seconds) / rounds));
const rps: Record<string, number[]> = Object.fromEntries(targets.map(([t]) => [t, []]));
try {
  for (let round = 0; round < rounds; round++) {
    for (const [title, opts] of targets) {
      const result = await autocannon({ ...opts, duration: seconds, connections: Number(values.connections) });
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${title}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      rps[title]!.push(result.requests.average);
    }
  }
} finally {
  child.kill();
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rowsPerSec = Object.fromEntries(Object.entries(rps).map(([t, xs]) => [t, median(xs) * ROWS]));
console.log(`HTTP ingest, ${ROWS} rows × 20 features per request; ${values.connections} connections, ${rounds} alternating rounds of ${seconds} s; node ${process.version}`);
console.log(`bodies: JSON rows ${(rowsBody.length / 1024).toFixed(0)} KiB, columns ${(columnsBody.length / 1024).toFixed(0)} KiB, Arrow ${(arrowBody.length / 1024).toFixed(0)} KiB`);
const ceiling = rowsPerSec['ceiling: JSON.parse rows']!;
for (const [title, r] of Object.entries(rowsPerSec)) {
  console.log(`  ${title.padEnd(28)} ${(r / 1e3).toFixed(0).padStart(6)} k rows/s  ${(r / ceiling).toFixed(2)}× ceiling`);
}
console.log(`targets: JSON rows ≥ 0.6× ceiling → ${(rowsPerSec['samples JSON rows']! / ceiling).toFixed(2)}×; Arrow ≥ 3× JSON rows → ${(rowsPerSec['samples Arrow IPC']! / rowsPerSec['samples JSON rows']!).toFixed(2)}×`);
