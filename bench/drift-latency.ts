/**
 * bench/drift-latency: BullMQ mode end to end. An API process (producer) and a worker process
 * share a SQLite file and Redis; version 1 has a 1 M-row × 20-feature reference. Each round POSTs
 * the 10 000 × 20 batch (Arrow IPC) that completes a window and polls the API until that window's
 * report is readable. Target (issue 10): p50 ≤ 250 ms, p99 ≤ 1 s. Printed beside it: computeDrift
 * alone on the same data in this process (the statistics' share of the latency).
 *   npx tsx bench/drift-latency.ts [--rounds 30]   (REDIS_URL, default redis://127.0.0.1:6379)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Float64, Table, tableToIPC, vectorFromArray } from 'apache-arrow';
import { buildProfile, computeDrift } from '../src/drift/index.js';
import { createRng } from '../test/helpers/random.js';
import { startServerProcess } from '../test/helpers/server-process.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '30' } } });
const ROUNDS = Number(values.rounds);
const FEATURES = 20;
const REF_ROWS = 1_000_000;
const WINDOW = 10_000;
const TOKEN = 'bench-latency-token-0123456789abcdef';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const name = (i: number) => `f${i}`;
const rng = createRng(5);
const arrow = (cols: Float64Array[]) =>
  Buffer.from(tableToIPC(new Table(Object.fromEntries(cols.map((c, i) => [name(i), vectorFromArray(Array.from(c), new Float64())]))), 'stream'));

const dataDir = mkdtempSync(join(tmpdir(), 'mlcycle-bench-latency-'));
const env = {
  DATA_DIR: dataDir,
  ADMIN_TOKEN: TOKEN,
  LOG_LEVEL: 'warn',
  REDIS_URL: redisUrl,
  REDIS_PREFIX: `bench${Date.now()}`,
  OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
};
const api = await startServerProcess(env, { capture: false });
const worker = spawn(process.execPath, ['--import', 'tsx', 'workers/index.ts'], {
  env: { ...process.env, ...env, WORKER_CONCURRENCY: '1' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const base = `${api.base}/api/v1`;
const auth = { authorization: `Bearer ${TOKEN}` };
const call = (method: string, path: string, body?: unknown, type = 'application/json') =>
  fetch(`${base}${path}`, {
    method,
    headers: { ...auth, 'content-type': type },
    ...(body === undefined ? {} : { body: body instanceof Buffer ? body : JSON.stringify(body) }),
  });

try {
  await call('POST', '/models', { name: 'latency' });
  await call('POST', '/models/latency/versions', { features: Array.from({ length: FEATURES }, (_, i) => ({ name: name(i), type: 'numeric' })) });
  await call('PUT', '/models/latency/aliases/production', { version: 1 });
  await call('PUT', '/models/latency/monitor', { window: { size: WINDOW } });
  const reference = Array.from({ length: FEATURES }, () => rng.normals(REF_ROWS, 0, 1));
  const t0 = performance.now();
  for (let start = 0; start < REF_ROWS; start += 250_000) {
    const res = await call(
      'POST',
      '/models/latency/versions/1/reference',
      arrow(reference.map((c) => c.subarray(start, start + 250_000))),
      'application/vnd.apache.arrow.stream',
    );
    if (res.status !== 200) throw new Error(`reference: ${res.status} ${await res.text()}`);
  }
  console.log(`reference: ${REF_ROWS} rows × ${FEATURES} features in ${((performance.now() - t0) / 1000).toFixed(1)} s (4 Arrow chunks)`);

  const window = Array.from({ length: FEATURES }, (_, i) => rng.normals(WINDOW, i % 4 === 0 ? 0.3 : 0, 1));
  const body = arrow(window);
  const latencies: number[] = [];
  for (let round = 0; round < ROUNDS + 2; round++) {
    const started = performance.now();
    const res = await call('POST', '/models/latency/samples', body, 'application/vnd.apache.arrow.stream');
    if (res.status !== 202) throw new Error(`samples: ${res.status} ${await res.text()}`);
    for (;;) {
      const page = (await (await call('GET', '/models/latency/drift-reports?limit=1')).json()) as { items: { status: string; window: { seqTo: number } }[] };
      const latest = page.items[0];
      if (latest && latest.window.seqTo === (round + 1) * WINDOW && latest.status !== 'pending') break;
      await new Promise((r) => setTimeout(r, 5));
    }
    if (round >= 2) latencies.push(performance.now() - started); // two warm-up rounds: JIT, profile cache
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

  const profile = buildProfile(new Map(reference.map((c, i) => [name(i), c])));
  const s0 = performance.now();
  for (let i = 0; i < 5; i++) computeDrift(profile, new Map(window.map((c, j) => [name(j), c])));
  const statsMs = (performance.now() - s0) / 5;

  console.log(`POST of the window-completing batch → report readable through the API (BullMQ, 1 worker), ${ROUNDS} rounds:`);
  console.log(`  p50 ${pct(50).toFixed(0)} ms (target ≤ 250)   p99 ${pct(99).toFixed(0)} ms (target ≤ 1000)   max ${sorted.at(-1)!.toFixed(0)} ms`);
  console.log(`  computeDrift alone, same data, this process: ${statsMs.toFixed(0)} ms (${((statsMs / pct(50)) * 100).toFixed(0)} % of p50)`);
} finally {
  worker.kill('SIGTERM');
  api.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  rmSync(dataDir, { recursive: true, force: true });
}
