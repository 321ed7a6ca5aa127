/**
 * bench/reference-scale: a large reference uploaded the way training scripts send it, N M rows ×
 * 20 numeric features in 1 M-row Arrow IPC chunks (`POST …/reference`, appended one by one), to a
 * real API process (SQLite, BullMQ on Redis) with a separate worker process. Prints per chunk: the
 * status, the latency, the API's RSS now and its peak (VmHWM); then the cold report (a worker that
 * never saw the profile: the first window's POST → report readable) and a warm one, with the
 * worker's peak RSS. Targets (issue 20 item 5): every chunk 2xx, API RSS ≤ 1 GB, worker ≤ 1 GB,
 * cold report ≤ 2 s, chunk latency flat (not growing with the reference).
 *   npx tsx bench/reference-scale.ts [--rows 5] [--chunk 1] [--features 20] [--max-values 1000000]
 *   (rows and chunk in millions; REDIS_URL, default redis://127.0.0.1:6379)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeVector, Table, tableToIPC } from 'apache-arrow';
import { createRng } from '../test/helpers/random.js';
import { startServerProcess } from '../test/helpers/server-process.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '5' },
    chunk: { type: 'string', default: '1' },
    features: { type: 'string', default: '20' },
    'max-values': { type: 'string', default: '' },
  },
});
const ROWS = Math.round(Number(values.rows) * 1e6);
const CHUNK = Math.round(Number(values.chunk) * 1e6);
const FEATURES = Number(values.features);
const WINDOW = 1000;
const TOKEN = 'bench-reference-token-0123456789abcdef';
const GB = 1e9;
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const name = (i: number) => `f${i}`;
const rng = createRng(20);

/** Resident and peak resident bytes of a process, from /proc (Linux). */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** CPU seconds a process has used (user + system): unlike wall time, barely moved by a loaded machine. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

const arrow = (cols: Float64Array[]) => Buffer.from(tableToIPC(new Table(Object.fromEntries(cols.map((c, i) => [name(i), makeVector(c)]))), 'stream'));

const dataDir = mkdtempSync(join(tmpdir(), 'mlcycle-bench-reference-'));
const env: Record<string, string> = {
  DATA_DIR: dataDir,
  ADMIN_TOKEN: TOKEN,
  LOG_LEVEL: 'warn',
  REDIS_URL: redisUrl,
  REDIS_PREFIX: `benchref${Date.now()}`,
  OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
  HTTP_REQUEST_TIMEOUT_MS: '0',
  // A chunk past the cap takes several seconds of CPU with no bytes on the socket; on a loaded
  // machine that can pass the 30 s socket-inactivity default, which would cut the connection.
  HTTP_IDLE_TIMEOUT_MS: '600000',
  // The window's report is enqueued at once, not left to the 5 s outbox sweep when Redis is slow to answer on a busy machine.
  ENQUEUE_BUDGET_MS: '5000',
  ...(values['max-values'] ? { REFERENCE_MAX_VALUES: values['max-values'] } : {}),
};
const api = await startServerProcess(env, { capture: false });
let worker: ChildProcess | undefined;
const base = `${api.base}/api/v1`;
const call = (method: string, path: string, body?: unknown, type = 'application/json') =>
  fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': type },
    ...(body === undefined ? {} : { body: body instanceof Buffer ? body : JSON.stringify(body) }),
  });

const fmt = (bytes: number) => `${(bytes / GB).toFixed(2)} GB`;
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');

try {
  await call('POST', '/models', { name: 'big' });
  await call('POST', '/models/big/versions', { features: Array.from({ length: FEATURES }, (_, i) => ({ name: name(i), type: 'numeric' })) });
  await call('PUT', '/models/big/aliases/production', { version: 1 });
  await call('PUT', '/models/big/monitor', { window: { size: WINDOW } });

  console.log(`reference: ${ROWS / 1e6} M rows × ${FEATURES} numeric features in ${CHUNK / 1e6} M-row Arrow chunks; API pid ${api.child.pid}`);
  console.log(
    `${'chunk'.padStart(5)} ${'rows'.padStart(8)} ${'status'.padStart(6)} ${'latency s'.padStart(10)} ${'API CPU s'.padStart(10)} ${'API RSS'.padStart(10)} ${'API peak'.padStart(10)} ${'stored'.padStart(10)}`,
  );
  let allOk = true;
  const latencies: number[] = [];
  const cpus: number[] = [];
  for (let start = 0, i = 1; start < ROWS; start += CHUNK, i++) {
    const n = Math.min(CHUNK, ROWS - start);
    const body = arrow(Array.from({ length: FEATURES }, (_, f) => rng.normals(n, f % 5, 1 + (f % 3))));
    const t0 = performance.now();
    const c0 = cpuSeconds(api.child.pid!);
    const res = await call('POST', '/models/big/versions/1/reference', body, 'application/vnd.apache.arrow.stream');
    const text = await res.text();
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(api.child.pid!) - c0;
    latencies.push(seconds);
    cpus.push(cpu);
    allOk &&= res.ok;
    const mem = memory(api.child.pid!);
    const size = res.ok ? `${(JSON.parse(text).size / 1e6).toFixed(0)} MB` : text.slice(0, 60);
    console.log(
      `${String(i).padStart(5)} ${`${(start + n) / 1e6} M`.padStart(8)} ${String(res.status).padStart(6)} ${seconds.toFixed(2).padStart(10)} ${cpu.toFixed(2).padStart(10)} ${fmt(mem.rss).padStart(10)} ${fmt(mem.peak).padStart(10)} ${size.padStart(10)}`,
    );
  }
  const apiPeak = memory(api.child.pid!).peak;
  const summary = (await (await call('GET', '/models/big/versions/1/reference')).json()) as { features: { sample?: { size: number; population: number } }[] };

  // A worker started now has never decoded this profile: its first report is the cold one.
  worker = spawn(process.execPath, ['--import', 'tsx', 'workers/index.ts'], {
    env: { ...process.env, ...env, WORKER_CONCURRENCY: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // Its start-up (tsx, Redis, the database) is not the report's: wait until it consumes, and a little more.
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    worker!.stderr!.on('data', (d: Buffer) => {
      process.stderr.write(d);
      if (!seen.includes('consuming')) {
        seen += d.toString();
        if (seen.includes('consuming')) resolve();
      }
    });
    worker!.on('exit', (code) => reject(new Error(`worker exited (${code}): ${seen}`)));
  });
  await new Promise((r) => setTimeout(r, 2000));
  const report = async (round: number) => {
    const window = arrow(Array.from({ length: FEATURES }, (_, f) => rng.normals(WINDOW, (f % 5) + (f % 4 === 0 ? 0.2 : 0), 1 + (f % 3))));
    const t0 = performance.now();
    const c0 = cpuSeconds(worker!.pid!);
    const res = await call('POST', '/models/big/samples', window, 'application/vnd.apache.arrow.stream');
    if (res.status !== 202) throw new Error(`samples: ${res.status} ${await res.text()}`);
    for (;;) {
      const page = (await (await call('GET', '/models/big/drift-reports?limit=1')).json()) as { items: { status: string; window: { seqTo: number } }[] };
      const latest = page.items[0];
      if (latest && latest.window.seqTo === round * WINDOW && latest.status !== 'pending') {
        if (latest.status !== 'done') throw new Error(`report ${latest.status}`);
        return { wall: (performance.now() - t0) / 1000, cpu: cpuSeconds(worker!.pid!) - c0 };
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const cold = await report(1);
  const warm = await report(2);
  const workerPeak = memory(worker.pid!).peak;
  const first = latencies[0]!;
  const last = latencies.at(-1)!;
  const sample = summary.features[0]?.sample;

  console.log('');
  console.log(`every chunk 2xx:            ${allOk ? 'yes' : 'NO'} (target: yes) ${verdict(allOk)}`);
  console.log(`API peak RSS:               ${fmt(apiPeak)} (target ≤ 1 GB) ${verdict(apiPeak <= GB)}`);
  console.log(`chunk latency first → last: ${first.toFixed(2)} → ${last.toFixed(2)} s (${(last / first).toFixed(2)}×; the old code: 2.8 → 5.2 → 8.0 s)`);
  console.log(`API CPU per chunk:          ${cpus.map((c) => c.toFixed(1)).join(' ')} s (flat once the cap is reached: linear in total)`);
  console.log(`load average (1 min):       ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]} on ${availableParallelism()} cores`);
  console.log(
    `reference per feature:      ${sample ? `sample of ${sample.size} of ${sample.population} values (REFERENCE_MAX_VALUES)` : 'every value (under REFERENCE_MAX_VALUES)'}`,
  );
  console.log(
    `cold report (new worker):   ${cold.wall.toFixed(2)} s wall, ${cold.cpu.toFixed(2)} s worker CPU (target ≤ 2 s) ${verdict(cold.wall <= 2)}   warm: ${warm.wall.toFixed(2)} s wall, ${warm.cpu.toFixed(2)} s CPU`,
  );
  console.log(`worker peak RSS:            ${fmt(workerPeak)} (target ≤ 1 GB) ${verdict(workerPeak <= GB)}`);
} finally {
  worker?.kill('SIGTERM');
  api.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  rmSync(dataDir, { recursive: true, force: true });
}
