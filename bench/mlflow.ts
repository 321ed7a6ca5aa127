/**
 * bench/mlflow: requests/s of the MLflow routes a serving or loading client hits most — the
 * alias lookup (`registered-models/alias`, what `load_model("models:/m@alias")` calls first) and
 * the prompt-guard `registered-models/get` — beside the native alias lookup, on one SQLite
 * server in the same run. Target: MLflow alias ≥ 0.5× native alias (same service underneath; the
 * MLflow view adds the mapping and the error rewrite hook).
 * Run: npx tsx bench/mlflow.ts [--seconds 10 (per target, split over rounds)] [--rounds 5] [--connections 50]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startServerProcess } from '../test/helpers/server-process.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '50' }, rounds: { type: 'string', default: '5' } },
});
const duration = Number(values.seconds);
const connections = Number(values.connections);
const rounds = Number(values.rounds);
const TOKEN = 'bench-admin-token-0123456789abcdef';

async function measure(title: string, opts: autocannon.Options, seconds: number): Promise<{ rps: number; p99: number }> {
  const result = await autocannon({ duration: seconds, connections, ...opts });
  const bad = result.non2xx + result.errors;
  if (bad > 0) throw new Error(`${title}: ${bad} failed requests`);
  return { rps: result.requests.average, p99: result.latency.p99 };
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const dataDir = mkdtempSync(join(tmpdir(), 'mlcycle-bench-mlflow-'));
const server = await startServerProcess({ DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' }, { capture: false });
try {
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const mlflow = `${server.base}/api/2.0/mlflow`;
  const post = (path: string, body: object) => fetch(`${mlflow}/${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  await post('registered-models/create', { name: 'bench', tags: [{ key: 'team', value: 'ml' }] });
  for (let v = 1; v <= 3; v++) await post('model-versions/create', { name: 'bench', source: `s3://bucket/bench/${v}`, tags: [{ key: 'v', value: String(v) }] });
  await post('registered-models/alias', { name: 'bench', alias: 'production', version: '3' });
  const targets: [string, autocannon.Options][] = [
    ['native: GET aliases/production', { url: `${server.base}/api/v1/models/bench/aliases/production`, headers }],
    ['mlflow: GET registered-models/alias', { url: `${mlflow}/registered-models/alias?name=bench&alias=production`, headers }],
    ['mlflow: GET registered-models/get', { url: `${mlflow}/registered-models/get?name=bench`, headers }],
  ];
  console.log(`autocannon: ${connections} connections, ${duration} s per target in ${rounds} alternating rounds, node ${process.version}`);
  for (const [title, opts] of targets) await measure(title, opts, 1);
  const samples = targets.map(() => [] as { rps: number; p99: number }[]);
  for (let r = 0; r < rounds; r++)
    for (const [i, [title, opts]] of targets.entries()) samples[i]!.push(await measure(title, opts, Math.max(1, duration / rounds)));
  const rps = targets.map(([title], i) => {
    const value = median(samples[i]!.map((s) => s.rps));
    console.log(`${title.padEnd(38)} ${value.toFixed(0).padStart(8)} req/s  p99 ${median(samples[i]!.map((s) => s.p99))} ms`);
    return value;
  });
  console.log(`mlflow alias/native alias:   ${(rps[1]! / rps[0]!).toFixed(2)}  (target ≥ 0.50)`);
  console.log(`mlflow get/native alias:     ${(rps[2]! / rps[0]!).toFixed(2)}`);
} finally {
  server.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  rmSync(dataDir, { recursive: true, force: true });
}
