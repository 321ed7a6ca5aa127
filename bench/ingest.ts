/**
 * bench/ingest: sample batches through HTTP on loopback, 1 000 rows × 20 features per request
 * (16 numeric, 4 categorical, + ids and predictions), into the REAL service (server process on
 * its embedded defaults: auth, validation, SQLite, the window bookkeeping), beside a route that
 * only JSON.parses the same payload (the ceiling, bench/ingest-http-server.ts), in the same run
 * with alternating rounds. The bare-ingest routes of that server (parse + validate + encode, no
 * database) are measured too, to show what storage costs. Issue 10 targets: JSON rows ≥ 0.6× the
 * ceiling; Arrow IPC ≥ 3× JSON rows.
 *   npx tsx bench/ingest.ts [--seconds 12] [--rounds 3] [--connections 4]
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Float64, Table, Utf8, tableToIPC, vectorFromArray } from 'apache-arrow';
import autocannon from 'autocannon';
import { createRng } from '../test/helpers/random.js';
import { startServerProcess } from '../test/helpers/server-process.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
// Without ids the service keeps no per-sample index for delayed labels: what that index costs.
const rowsNoIdsBody = JSON.stringify({ rows, predictions });
const columnsBody = JSON.stringify({
  columns: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [name(i), i < 16 ? Array.from(numeric[i]!) : categorical[i - 16]!])),
  ids,
  predictions,
});
const arrowBody = Buffer.from(
  tableToIPC(
    new Table({
      ...Object.fromEntries(
        Array.from({ length: 20 }, (_, i) => [
          name(i),
          i < 16 ? vectorFromArray(Array.from(numeric[i]!), new Float64()) : vectorFromArray(categorical[i - 16]!, new Utf8()),
        ]),
      ),
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

const TOKEN = 'bench-ingest-token-0123456789abcdef';
const dataDir = mkdtempSync(join(tmpdir(), 'mlcycle-bench-ingest-'));
// Windows far larger than the run: the bench measures ingestion, not drift jobs.
const service = await startServerProcess(
  { DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'warn', OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0' },
  { capture: false },
);
const auth = { authorization: `Bearer ${TOKEN}` };
const api = `${service.base}/api/v1`;
const setup = (method: string, path: string, body: unknown) =>
  fetch(`${api}${path}`, { method, headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
await setup('POST', '/models', { name: 'bench' });
await setup('POST', '/models/bench/versions', {
  features: Array.from({ length: 20 }, (_, i) => ({ name: name(i), type: i < 16 ? 'numeric' : 'categorical' })),
});
await setup('PUT', '/models/bench/aliases/production', { version: 1 });
await setup('PUT', '/models/bench/monitor', { window: { size: 10_000_000 } });
const csvBody = `${[...Array.from({ length: 20 }, (_, i) => name(i)), '__id', '__prediction'].join(',')}\n${rows
  .map((r, i) => [...Object.values(r), ids[i], predictions[i]].join(','))
  .join('\n')}\n`;

const json = { 'content-type': 'application/json' };
const targets: Array<[string, autocannon.Options]> = [
  ['ceiling: JSON.parse rows', { url: `${base}/ceiling`, method: 'POST', headers: json, body: rowsBody }],
  ['service JSON rows', { url: `${api}/models/bench/samples`, method: 'POST', headers: { ...auth, ...json }, body: rowsBody }],
  ['service JSON rows, no ids', { url: `${api}/models/bench/samples`, method: 'POST', headers: { ...auth, ...json }, body: rowsNoIdsBody }],
  ['service JSON columns', { url: `${api}/models/bench/samples`, method: 'POST', headers: { ...auth, ...json }, body: columnsBody }],
  ['service CSV', { url: `${api}/models/bench/samples`, method: 'POST', headers: { ...auth, 'content-type': 'text/csv' }, body: csvBody }],
  [
    'service Arrow IPC',
    { url: `${api}/models/bench/samples`, method: 'POST', headers: { ...auth, 'content-type': 'application/vnd.apache.arrow.stream' }, body: arrowBody },
  ],
  ['bare ingest JSON rows', { url: `${base}/samples`, method: 'POST', headers: json, body: rowsBody }],
  ['bare ingest JSON columns', { url: `${base}/samples`, method: 'POST', headers: json, body: columnsBody }],
  [
    'bare ingest Arrow IPC',
    { url: `${base}/samples-arrow`, method: 'POST', headers: { 'content-type': 'application/vnd.apache.arrow.stream' }, body: arrowBody },
  ],
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
  service.child.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rowsPerSec = Object.fromEntries(Object.entries(rps).map(([t, xs]) => [t, median(xs) * ROWS]));
console.log(
  `HTTP ingest, ${ROWS} rows × 20 features per request; ${values.connections} connections, ${rounds} alternating rounds of ${seconds} s; node ${process.version}`,
);
console.log(
  `bodies: JSON rows ${(rowsBody.length / 1024).toFixed(0)} KiB, columns ${(columnsBody.length / 1024).toFixed(0)} KiB, Arrow ${(arrowBody.length / 1024).toFixed(0)} KiB`,
);
const ceiling = rowsPerSec['ceiling: JSON.parse rows']!;
for (const [title, r] of Object.entries(rowsPerSec)) {
  console.log(`  ${title.padEnd(28)} ${(r / 1e3).toFixed(0).padStart(6)} k rows/s  ${(r / ceiling).toFixed(2)}× ceiling`);
}
console.log(
  `targets (the service): JSON rows ≥ 0.6× ceiling → ${(rowsPerSec['service JSON rows']! / ceiling).toFixed(2)}×; Arrow ≥ 3× JSON rows → ${(rowsPerSec['service Arrow IPC']! / rowsPerSec['service JSON rows']!).toFixed(2)}×`,
);
