/**
 * bench/registry: requests/s of alias lookup and of version registration against the real
 * server on SQLite and on PostgreSQL, beside a bare Fastify hello-world, all in the same run.
 * Targets (issue 20): SQLite alias ≥ 0.5× hello; PostgreSQL alias ≥ 0.4× hello; PostgreSQL
 * registration ≥ 0.5× SQLite's for one model, ≥ 1× across 50 models. Then, in process, the cost of
 * each onRequest/onSend/onResponse hook on the GET alias path (--skip-hooks skips it).
 * Run: npx tsx bench/registry.ts [--seconds 15 (per target, split over rounds)] [--rounds 5] [--connections 50] [--skip-hooks | --hooks-only]
 * PostgreSQL: TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres); a scratch
 * database is created there and dropped at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createContainer } from '../src/container.js';
import { createHookTimings, formatHookTimings } from '../src/http/hook-timing.js';
import { createPostgresDatabase } from '../test/helpers/db.js';
import { startServerProcess } from '../test/helpers/server-process.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    connections: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '5' },
    'skip-hooks': { type: 'boolean', default: false },
    'hooks-only': { type: 'boolean', default: false },
  },
});
const duration = Number(values.seconds);
const connections = Number(values.connections);
const TOKEN = 'bench-admin-token-0123456789abcdef';

function start(script: string, env: Record<string, string>): Promise<{ child: ChildProcess; base: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve({ child, base: m[1] as string });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${script} exited ${code}: ${out}`)));
  });
}

/**
 * The real server as `npm start` runs it. LOG_LEVEL defaults to warn here because the peer logs
 * nothing either; LOG_LEVEL=info measures it with its access log (discarded).
 */
function startServer(env: Record<string, string> = {}) {
  // Load shedding off: on a shared 2-core machine it answers 503 under the bench's own load.
  return startServerProcess(
    { DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0', ...env },
    { capture: false },
  );
}

/**
 * The serving path's per-request cost by hook, in process (app.inject, no sockets): every
 * onRequest/onSend/onResponse hook timed (src/http/hook-timing.ts) over `requests` GET alias.
 */
async function hookCosts(label: string, env: Record<string, string>, requests = 5_000): Promise<void> {
  const config = loadConfig({
    DATA_DIR: join(dataDir, `hooks-${label}`),
    ADMIN_TOKEN: TOKEN,
    LOG_LEVEL: 'warn',
    OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
    ...env,
  });
  const container = await createContainer(config);
  await container.apiKeys.bootstrapAdmin(TOKEN);
  const timings = createHookTimings();
  const app = await buildApp(container, { hookTimings: timings });
  await app.ready();
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  try {
    await app.inject({ method: 'POST', url: '/api/v1/models', headers, payload: { name: 'hooks' } });
    await app.inject({ method: 'POST', url: '/api/v1/models/hooks/versions', headers, payload: { features: [{ name: 'x', type: 'numeric' }] } });
    await app.inject({ method: 'PUT', url: '/api/v1/models/hooks/aliases/production', headers, payload: { version: 1 } });
    for (let i = 0; i < 500; i++) await app.inject({ method: 'GET', url: '/api/v1/models/hooks/aliases/production', headers }); // warm-up
    timings.totals.clear();
    const started = performance.now();
    for (let i = 0; i < requests; i++) {
      const res = await app.inject({ method: 'GET', url: '/api/v1/models/hooks/aliases/production', headers });
      if (res.statusCode !== 200) throw new Error(`hook bench: ${res.statusCode} ${res.body}`);
    }
    const perRequest = ((performance.now() - started) * 1000) / requests;
    console.log(`${label}: GET alias in process (app.inject), ${perRequest.toFixed(1)} µs/request in all; by hook:`);
    for (const line of formatHookTimings(timings, requests)) console.log(`  ${line}`);
  } finally {
    await app.close();
    await container.close();
  }
}

async function measure(title: string, opts: autocannon.Options, seconds: number): Promise<{ rps: number; p99: number }> {
  const result = await autocannon({ duration: seconds, connections, ...opts });
  const bad = result.non2xx + result.errors;
  if (bad > 0) throw new Error(`${title}: ${bad} failed requests`);
  return { rps: result.requests.average, p99: result.latency.p99 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/**
 * This VM's throughput drifts by ±20 % over tens of seconds, so the peer and our routes are
 * measured in alternating short rounds (after a warm-up) and each reports its median round.
 */
async function interleaved(targets: [string, autocannon.Options][], rounds: number): Promise<number[]> {
  for (const [title, opts] of targets) await measure(title, opts, 1); // warm-up: JIT, connection pools
  const samples = targets.map(() => [] as { rps: number; p99: number }[]);
  for (let r = 0; r < rounds; r++) {
    for (const [i, [title, opts]] of targets.entries()) samples[i]!.push(await measure(title, opts, Math.max(1, duration / rounds)));
  }
  return targets.map(([title], i) => {
    const rps = median(samples[i]!.map((s) => s.rps));
    const p99 = median(samples[i]!.map((s) => s.p99));
    console.log(`${title.padEnd(34)} ${rps.toFixed(0).padStart(8)} req/s  p99 ${p99} ms  (median of ${rounds} rounds)`);
    return rps;
  });
}

const dataDir = mkdtempSync(join(tmpdir(), 'mlcycle-bench-'));
const postgres = await createPostgresDatabase('mlc_bench');
if (values['hooks-only']) {
  try {
    await hookCosts('sqlite', {});
    await hookCosts('postgres', { DATABASE_URL: postgres.url });
  } finally {
    await postgres.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  process.exit(0);
}
const hello = await start('bench/hello-server.ts', {});
const sqliteServer = await startServer();
const pgServer = await startServer({ DATA_DIR: join(dataDir, 'pg'), DATABASE_URL: postgres.url });
try {
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const body = JSON.stringify({
    features: Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, type: 'numeric' })),
    metrics: { auc: 0.9 },
    params: { lr: 0.1 },
  });
  const targets: [string, autocannon.Options][] = [['hello-world (bare Fastify)', { url: `${hello.base}/hello` }]];
  for (const [dialect, server] of [
    ['sqlite', sqliteServer],
    ['postgres', pgServer],
  ] as const) {
    const api = `${server.base}/api/v1`;
    await fetch(`${api}/models`, { method: 'POST', headers, body: JSON.stringify({ name: 'bench' }) });
    await fetch(`${api}/models/bench/versions`, { method: 'POST', headers, body });
    await fetch(`${api}/models/bench/aliases/production`, { method: 'PUT', headers, body: JSON.stringify({ version: 1 }) });
    targets.push([`${dialect}: GET alias production`, { url: `${api}/models/bench/aliases/production`, headers }]);
    targets.push([`${dialect}: POST version (20 features)`, { url: `${api}/models/bench/versions`, method: 'POST', headers, body }]);
    // Versions of one model are numbered one after another on any database (a row lock); across
    // models PostgreSQL writes in parallel while SQLite still has one writer.
    for (let m = 0; m < 50; m++) await fetch(`${api}/models`, { method: 'POST', headers, body: JSON.stringify({ name: `spread-${m}` }) });
    let next = 0;
    targets.push([
      `${dialect}: POST version, 50 models`,
      {
        url: `${api}/models/spread-0/versions`,
        requests: [{ method: 'POST', headers, body, setupRequest: (req) => ({ ...req, path: `/api/v1/models/spread-${next++ % 50}/versions` }) }],
      },
    ]);
  }

  console.log(
    `autocannon: ${connections} connections, ${duration} s per target in ${values.rounds} alternating rounds, node ${process.version}, server LOG_LEVEL=${process.env.LOG_LEVEL ?? 'warn'}`,
  );
  const [helloRps, sqliteAlias, sqliteRegister, sqliteSpread, pgAlias, pgRegister, pgSpread] = (await interleaved(
    targets,
    Number(values.rounds),
  )) as number[] as [number, number, number, number, number, number, number];
  console.log(`sqlite   alias/hello:       ${(sqliteAlias / helloRps).toFixed(2)}  (target ≥ 0.50)`);
  console.log(`postgres alias/hello:       ${(pgAlias / helloRps).toFixed(2)}  (target ≥ 0.40)`);
  console.log(`sqlite   register/hello:    ${(sqliteRegister / helloRps).toFixed(2)}`);
  console.log(`postgres register/sqlite:   ${(pgRegister / sqliteRegister).toFixed(2)}  one model (issue 20 goal ≥ 0.50)`);
  console.log(`postgres register/sqlite:   ${(pgSpread / sqliteSpread).toFixed(2)}  50 models (goal ≥ 1.00)`);
  console.log(
    `machine: ${availableParallelism()} cores, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (at the end)`,
  );
  if (!values['skip-hooks']) {
    await hookCosts('sqlite', {});
    await hookCosts('postgres', { DATABASE_URL: postgres.url });
  }
} finally {
  hello.child.kill('SIGTERM');
  sqliteServer.child.kill('SIGTERM');
  pgServer.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  await postgres.drop();
  rmSync(dataDir, { recursive: true, force: true });
}
