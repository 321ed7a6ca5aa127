/**
 * bench/ingest: sample batches through HTTP on loopback, 1 000 rows × 20 features per request
 * (16 numeric, 4 categorical, + ids and predictions), into the REAL service (server process on
 * its embedded defaults: auth, validation, SQLite, the window bookkeeping; and the same on
 * PostgreSQL), beside a bare Fastify server that only JSON.parses the same bodies (the ceiling,
 * bench/ingest-http-server.ts), in the same run with alternating rounds.
 *
 * Every request carries sample ids no request before it had (a fixed-width request counter is
 * written into the body's bytes — JSON, CSV and the Arrow IPC string buffer alike — before each
 * send), as serving code sends them: repeated ids are cheaper to index (`insert … or ignore`) and
 * would overstate the ratio. The ceiling gets the same unique bodies. The bare-ingest routes of the
 * parse-only server (parse + validate + encode, no database) show what storage costs; its generic
 * route is what the service's JSON route does now (JSON.parse, then a walk of the parsed value).
 *
 * Goals (issue 20): JSON rows ≥ 0.8× the ceiling; JSON columns ≥ 0.9× the ceiling; Arrow IPC ≥ 3×
 * JSON rows; CSV ≥ 0.8× JSON rows; PostgreSQL JSON rows ≥ 0.6× SQLite's.
 *   npx tsx bench/ingest.ts [--seconds 12] [--rounds 3] [--connections 4] [--no-postgres]
 * PostgreSQL: TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres); a scratch
 * database is created there and dropped at the end.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Float64, Table, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import autocannon from 'autocannon';
import { createPostgresDatabase, type ScratchDatabase } from '../test/helpers/db.js';
import { createRng } from '../test/helpers/random.js';
import { type ServerProcess, startServerProcess } from '../test/helpers/server-process.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '12' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '4' },
    'no-postgres': { type: 'boolean', default: false },
  },
});
const ROWS = 1000;
const CITIES = ['Oslo', 'Bergen', 'Trondheim', 'Stavanger', 'Tromsø', 'Bodø'];
const rng = createRng(11);
const numeric = Array.from({ length: 16 }, () => rng.normals(ROWS, 0, 1));
const categorical = Array.from({ length: 4 }, () => Array.from({ length: ROWS }, () => CITIES[rng.int(CITIES.length)]!));
const name = (i: number) => `feature_${i}`;
/** `req-<request counter, 10 digits>-<row, 4 digits>`: fixed width, so the counter can be written into any body in place. */
const COUNTER_DIGITS = 10;
const ids = Array.from({ length: ROWS }, (_, i) => `req-${'0'.repeat(COUNTER_DIGITS)}-${String(i).padStart(4, '0')}`);
const predictions = Array.from({ length: ROWS }, () => Math.round(rng.uniform() * 1000) / 1000);
const rows = Array.from({ length: ROWS }, (_, r) =>
  Object.fromEntries(Array.from({ length: 20 }, (_, i) => [name(i), i < 16 ? numeric[i]![r]! : categorical[i - 16]![r]!])),
);
const rowsBody = Buffer.from(JSON.stringify({ rows, ids, predictions }));
// Without ids the service keeps no per-sample index for delayed labels: what that index costs.
const rowsNoIdsBody = Buffer.from(JSON.stringify({ rows, predictions }));
const columnsBody = Buffer.from(
  JSON.stringify({
    columns: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [name(i), i < 16 ? Array.from(numeric[i]!) : categorical[i - 16]!])),
    ids,
    predictions,
  }),
);
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
const csvBody = Buffer.from(
  `${[...Array.from({ length: 20 }, (_, i) => name(i)), '__id', '__prediction'].join(',')}\n${rows
    .map((r, i) => [...Object.values(r), ids[i], predictions[i]].join(','))
    .join('\n')}\n`,
);

/** Where each id's counter digits sit in a body (every id occurs exactly once). */
function counterOffsets(body: Buffer): Int32Array {
  const offsets = new Int32Array(ROWS);
  for (let i = 0; i < ROWS; i++) {
    const at = body.indexOf(ids[i]!);
    if (at < 0 || body.indexOf(ids[i]!, at + 1) >= 0) throw new Error(`id ${ids[i]} not found exactly once in a body`);
    offsets[i] = at + 4;
  }
  return offsets;
}
let requestCounter = 0;
/** autocannon's setupRequest: a fresh counter in every id of the body (autocannon copies the body into the request it sends). */
function uniqueIds(body: Buffer): (req: autocannon.Request) => autocannon.Request {
  const offsets = counterOffsets(body);
  return (req) => {
    const digits = String(++requestCounter).padStart(COUNTER_DIGITS, '0');
    for (let i = 0; i < ROWS; i++) body.write(digits, offsets[i]!, 'latin1');
    req.body = body;
    return req;
  };
}

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
const auth = { authorization: `Bearer ${TOKEN}` };
const services: ServerProcess[] = [];
let postgres: ScratchDatabase | undefined;
/** A service process with one model (20 features, production alias, a window far larger than the run: ingestion, not drift jobs). */
async function startService(env: Record<string, string>): Promise<string> {
  const service = await startServerProcess({ ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'warn', OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0', ...env }, { capture: false });
  services.push(service);
  const api = `${service.base}/api/v1`;
  const setup = async (method: string, path: string, body: unknown) => {
    const res = await fetch(`${api}${path}`, { method, headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  };
  await setup('POST', '/models', { name: 'bench' });
  await setup('POST', '/models/bench/versions', {
    features: Array.from({ length: 20 }, (_, i) => ({ name: name(i), type: i < 16 ? 'numeric' : 'categorical' })),
  });
  await setup('PUT', '/models/bench/aliases/production', { version: 1 });
  await setup('PUT', '/models/bench/monitor', { window: { size: 10_000_000 } });
  return `${api}/models/bench/samples`;
}

const json = { 'content-type': 'application/json' };
const csv = { 'content-type': 'text/csv' };
const arrow = { 'content-type': 'application/vnd.apache.arrow.stream' };
type Target = [string, autocannon.Options];
const post = (url: string, headers: Record<string, string>, body: Buffer, unique = true): autocannon.Options => ({
  url,
  method: 'POST',
  headers,
  body,
  ...(unique ? { requests: [{ setupRequest: uniqueIds(Buffer.from(body)) }] } : {}),
});
const loadBefore = loadavg()[0]!;
try {
  const sqlite = await startService({ DATA_DIR: join(dataDir, 'sqlite') });
  let pgUrl: string | undefined;
  if (!values['no-postgres']) {
    postgres = await createPostgresDatabase('mlc_bench_ingest');
    pgUrl = await startService({ DATA_DIR: join(dataDir, 'pg'), DATABASE_URL: postgres.url });
  }
  const targets: Target[] = [
    ['ceiling: JSON.parse rows', post(`${base}/ceiling`, json, rowsBody)],
    ['ceiling: JSON.parse columns', post(`${base}/ceiling-columns`, json, columnsBody)],
    ['service JSON rows', post(sqlite, { ...auth, ...json }, rowsBody)],
    ['service JSON rows, no ids', post(sqlite, { ...auth, ...json }, rowsNoIdsBody, false)],
    ['service JSON columns', post(sqlite, { ...auth, ...json }, columnsBody)],
    ['service CSV', post(sqlite, { ...auth, ...csv }, csvBody)],
    ['service Arrow IPC', post(sqlite, { ...auth, ...arrow }, arrowBody)],
    ...(pgUrl
      ? ([
          ['PostgreSQL JSON rows', post(pgUrl, { ...auth, ...json }, rowsBody)],
          ['PostgreSQL Arrow IPC', post(pgUrl, { ...auth, ...arrow }, arrowBody)],
        ] as Target[])
      : []),
    ['bare ingest JSON rows', post(`${base}/samples`, json, rowsBody)],
    ['bare ingest JSON columns', post(`${base}/samples`, json, columnsBody)],
    ['bare ingest CSV', post(`${base}/samples-csv`, csv, csvBody)],
    ['bare ingest Arrow IPC', post(`${base}/samples-arrow`, arrow, arrowBody)],
    // What the service's JSON route does today: the app's JSON parser, then ingestJson on the parsed value.
    ['generic parser JSON rows', post(`${base}/generic`, json, rowsBody)],
  ];

  const rounds = Number(values.rounds);
  const seconds = Math.max(1, Math.round(Number(values.seconds) / rounds));
  const rps: Record<string, number[]> = Object.fromEntries(targets.map(([t]) => [t, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [title, opts] of targets) {
      const result = await autocannon({ ...opts, duration: seconds, connections: Number(values.connections) });
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${title}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      rps[title]!.push(result.requests.average);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const r = Object.fromEntries(Object.entries(rps).map(([t, xs]) => [t, median(xs) * ROWS]));
  console.log(
    `HTTP ingest, ${ROWS} rows × 20 features per request, unique ids per request; ${values.connections} connections, ${rounds} alternating rounds of ${seconds} s; node ${process.version}; load ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after`,
  );
  console.log(
    `bodies: JSON rows ${(rowsBody.length / 1024).toFixed(0)} KiB, columns ${(columnsBody.length / 1024).toFixed(0)} KiB, CSV ${(csvBody.length / 1024).toFixed(0)} KiB, Arrow ${(arrowBody.length / 1024).toFixed(0)} KiB`,
  );
  const ceiling = r['ceiling: JSON.parse rows']!;
  for (const [title, v] of Object.entries(r)) {
    console.log(`  ${title.padEnd(30)} ${(v / 1e3).toFixed(0).padStart(6)} k rows/s  ${(v / ceiling).toFixed(2)}× JSON.parse ceiling (rows)`);
  }
  const goals: Array<[string, number, number]> = [
    ['JSON rows / ceiling (rows)', r['service JSON rows']! / ceiling, 0.8],
    ['JSON columns / ceiling (columns)', r['service JSON columns']! / r['ceiling: JSON.parse columns']!, 0.9],
    ['Arrow IPC / JSON rows', r['service Arrow IPC']! / r['service JSON rows']!, 3],
    ['CSV / JSON rows', r['service CSV']! / r['service JSON rows']!, 0.8],
    ...(pgUrl
      ? ([['PostgreSQL JSON rows / SQLite JSON rows', r['PostgreSQL JSON rows']! / r['service JSON rows']!, 0.6]] as Array<[string, number, number]>)
      : []),
  ];
  console.log('ratios (issue 20 goals):');
  for (const [what, ratio, goal] of goals) {
    console.log(`  ${what.padEnd(42)} ${ratio.toFixed(2)}×   goal ≥ ${goal}×   ${ratio >= goal ? 'met' : 'NOT met'}`);
  }
} finally {
  child.kill();
  for (const s of services) s.child.kill('SIGTERM');
  await Promise.all(services.map((s) => new Promise((resolve) => (s.child.exitCode !== null ? resolve(null) : s.child.once('exit', resolve)))));
  await postgres?.drop();
  rmSync(dataDir, { recursive: true, force: true });
}
