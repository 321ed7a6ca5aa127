import type { ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCliRunner, type CliResult } from '../helpers/cli.js';
import { startFaultProxy } from '../helpers/http-fault-proxy.js';
import { createRng } from '../helpers/random.js';
import { freePort, startServerProcess } from '../helpers/server-process.js';

/**
 * The `mlcycle` binary against a live server process (embedded SQLite): every command's happy
 * path, and the failures a user meets — a bad key, no server, a missing model, a rejected body,
 * bytes corrupted in transit — each with its exit code and the server's problem detail.
 */
const TOKEN = 'cli-e2e-token-0123456789abcdef';
const dir = join(process.cwd(), '.tmp', 'test', `cli-server-${randomUUID()}`);
const file = (name: string) => join(dir, name);
let server: ChildProcess;
let base: string;
let cli: (...args: string[]) => Promise<CliResult>;

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${base}/api/v1${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...init.headers } });
const json = <T>(r: CliResult): T => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
};
/** Rows stored for a model, straight from the database: what "counted once" means. */
function storedSamples(model: string): number {
  const db = new BetterSqlite3(join(dir, 'data', 'mlcycle.db'), { readonly: true });
  try {
    const row = db.prepare('select coalesce(sum(b.row_count), 0) as n from sample_batches b join models m on m.id = b.model_id where m.name = ?').get(model) as { n: number };
    return row.n;
  } finally {
    db.close();
  }
}

/** A model with version 1 (age numeric, plan categorical), made through the CLI itself. */
async function modelWithVersion(name: string): Promise<void> {
  expect((await cli('models', 'create', name)).code).toBe(0);
  expect((await cli('versions', 'register', name, '--feature', 'age:numeric', '--feature', 'plan:categorical')).code).toBe(0);
}

function writeSamplesCsv(name: string, n: number, seed: number, shift = 0): string {
  const rng = createRng(seed);
  const lines = ['age,plan,request_id,score'];
  for (let i = 0; i < n; i++) lines.push(`${rng.normal(40 + shift, 10).toFixed(3)},${['basic', 'pro', 'team'][rng.int(3)]},r${seed}-${i},${rng.uniform().toFixed(4)}`);
  writeFileSync(file(name), `${lines.join('\n')}\n`);
  return file(name);
}

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  const started = await startServerProcess({ DATA_DIR: join(dir, 'data'), ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'warn', OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0' });
  server = started.child;
  base = started.base;
  cli = createCliRunner({ MLCYCLE_URL: base, MLCYCLE_TOKEN: TOKEN });
});

afterAll(() => {
  if (server?.exitCode === null) server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('mlcycle against a server: registry', () => {
  it('models create, list and show, as tables and as JSON', async () => {
    expect((await cli('models', 'create', 'fraud', '-d', 'card fraud', '--tag', 'team=risk')).stdout).toMatch(/created model fraud/);
    const listed = json<{ name: string; tags: Record<string, string> }[]>(await cli('models', 'list', '--json'));
    expect(listed.find((m) => m.name === 'fraud')?.tags).toEqual({ team: 'risk' });
    const table = await cli('models', 'list', '--tag', 'team:risk');
    expect(table.stdout).toMatch(/^\s*name\s+latest/m);
    expect(table.stdout).toMatch(/fraud\s+-\s+-\s+card fraud/);
    expect((await cli('models', 'show', 'fraud')).stdout).toMatch(/description\s+card fraud/);
  });

  it('versions register from flags and a JSON file; a repeated idempotency key returns the first version', async () => {
    await cli('models', 'create', 'reg');
    writeFileSync(file('version.json'), JSON.stringify({ features: [{ name: 'age', type: 'numeric' }], params: { depth: 6 }, metrics: { auc: 0.5 } }));
    const args = ['versions', 'register', 'reg', '-f', file('version.json'), '--feature', 'plan:categorical', '--metric', 'auc=0.93', '--idempotency-key', 'train-run-7', '--json'];
    const first = json<{ version: number; features: unknown[]; metrics: Record<string, number>; params: Record<string, string> }>(await cli(...args));
    expect(first.version).toBe(1);
    // Flags add to the file and win over it.
    expect(first.features).toEqual([{ name: 'age', type: 'numeric' }, { name: 'plan', type: 'categorical' }]);
    expect(first.metrics).toEqual({ auc: 0.93 });
    expect(first.params).toEqual({ depth: '6' });
    const again = await cli(...args.slice(0, -1));
    expect(again.stdout).toMatch(/version 1 of reg was already registered/);
    expect(json<unknown[]>(await cli('versions', 'list', 'reg', '--json'))).toHaveLength(1);
    expect((await cli('versions', 'list', 'reg')).stdout).toMatch(/^\s*1\s+-\s+2\s+auc=0\.93/m);
  });

  it('alias set moves an alias, and versions show resolves it', async () => {
    await modelWithVersion('aliased');
    await cli('versions', 'register', 'aliased', '--feature', 'age:numeric');
    expect((await cli('alias', 'set', 'aliased', 'production', '1')).stdout).toMatch(/aliased@production → v1/);
    expect((await cli('alias', 'set', 'aliased', 'production', '2')).stdout).toMatch(/→ v2 \(was v1\)/);
    const shown = json<{ version: number; aliases: string[] }>(await cli('versions', 'show', 'aliased', 'production', '--json'));
    expect(shown).toMatchObject({ version: 2, aliases: ['production'] });
    expect((await cli('versions', 'show', 'aliased', '1')).stdout).toMatch(/features\s+age:numeric, plan:categorical/);
  });
});

describe('mlcycle against a server: artifacts', () => {
  it('push then pull round-trips the bytes, and the sha256 the server reports is the file’s', async () => {
    await modelWithVersion('art');
    const bytes = Buffer.alloc(6 * 1024 * 1024 + 17);
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = (i / 4096) & 0xff;
    writeFileSync(file('weights.bin'), bytes);
    const sha = createHash('sha256').update(bytes).digest('hex');
    const pushed = json<{ path: string; size: number; sha256: string }>(await cli('artifacts', 'push', 'art', '1', file('weights.bin'), 'model/weights.bin', '--json'));
    expect(pushed).toMatchObject({ path: 'model/weights.bin', size: bytes.length, sha256: sha });
    const pulled = await cli('artifacts', 'pull', 'art', '1', 'model/weights.bin', '-o', file('pulled.bin'));
    expect(pulled.stdout).toMatch(/sha256 verified/);
    expect(createHash('sha256').update(readFileSync(file('pulled.bin'))).digest('hex')).toBe(sha);
    expect((await cli('artifacts', 'list', 'art', '1')).stdout).toContain(sha);
  });

  it('a 300 MB artifact is streamed both ways: the CLI’s peak memory stays near an idle run’s', async () => {
    await modelWithVersion('big');
    // Sparse: no disk written for the input, and reading it costs nothing.
    const big = file('big.bin');
    writeFileSync(big, '');
    truncateSync(big, 300 * 1024 * 1024);
    const measured = createCliRunner({ MLCYCLE_URL: base, MLCYCLE_TOKEN: TOKEN, NODE_OPTIONS: `--require ${join(process.cwd(), 'test/helpers/report-max-rss.cjs')}` });
    const peak = (r: CliResult) => {
      expect(r.code, r.stderr).toBe(0);
      return Number(/max-rss-kb=(\d+)/.exec(r.stderr)![1]) * 1024;
    };
    const idle = peak(await measured('models', 'list'));
    const pushed = peak(await measured('artifacts', 'push', 'big', '1', big));
    const pulled = peak(await measured('artifacts', 'pull', 'big', '1', 'big.bin', '-o', file('big-pulled.bin')));
    rmSync(file('big-pulled.bin'));
    // Buffering the file would add ≥ 300 MB; streaming adds socket and stream buffers only.
    expect(pushed - idle).toBeLessThan(100 * 1024 * 1024);
    expect(pulled - idle).toBeLessThan(100 * 1024 * 1024);
  });

  it('pull fails with exit 7 and writes nothing when the bytes do not match X-Artifact-Sha256', async () => {
    await modelWithVersion('corrupt');
    writeFileSync(file('small.bin'), 'the real weights');
    await cli('artifacts', 'push', 'corrupt', '1', file('small.bin'));
    const proxy = await startFaultProxy(base);
    try {
      proxy.add({ match: (req) => req.method === 'GET' && req.url!.includes('/artifacts/small.bin'), times: 1, fault: 'corrupt-body' });
      const via = createCliRunner({ MLCYCLE_URL: proxy.base, MLCYCLE_TOKEN: TOKEN });
      const res = await via('artifacts', 'pull', 'corrupt', '1', 'small.bin', '-o', file('out.bin'));
      expect(res.code).toBe(7);
      expect(res.stderr).toMatch(/sha256 mismatch for small\.bin/);
      expect(existsSync(file('out.bin'))).toBe(false);
      expect(proxy.seen.filter((s) => s.fault === 'corrupt-body')).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });
});

describe('mlcycle against a server: data', () => {
  it('reference push sends the file in chunks; --replace clears it first instead of appending', async () => {
    await modelWithVersion('ref');
    const csv = writeSamplesCsv('ref.csv', 3000, 1);
    // The extra columns are samples-only: reference data carries the features.
    writeFileSync(file('ref-features.csv'), readFileSync(csv, 'utf8').split('\n').map((l) => l.split(',').slice(0, 2).join(',')).join('\n'));
    const first = await cli('reference', 'push', 'ref', '1', file('ref-features.csv'), '--batch-rows', '1000');
    expect(first.stdout, first.stderr).toMatch(/sent 3000 rows; the profile now holds 3000 rows in 3 chunk/);
    const appended = json<{ rows: number }>(await cli('reference', 'push', 'ref', '1', file('ref-features.csv'), '--json'));
    expect(appended.rows).toBe(6000);
    const replaced = json<{ rows: number }>(await cli('reference', 'push', 'ref', '1', file('ref-features.csv'), '--replace', '--json'));
    expect(replaced.rows).toBe(3000);
    expect(((await (await api('/models/ref/versions/1/reference')).json()) as { rows: number }).rows).toBe(3000);
  });

  it('samples push sends ≤ 10 000-row batches; a re-run counts nothing twice; ids join later labels', async () => {
    await modelWithVersion('serve');
    await cli('alias', 'set', 'serve', 'production', '1');
    const csv = writeSamplesCsv('samples.csv', 23_456, 2);
    const args = ['samples', 'push', 'serve', csv, '--id-column', 'request_id', '--prediction-column', 'score', '--json'];
    const first = json<{ batches: number; accepted: number; version: number }>(await cli(...args));
    expect(first).toMatchObject({ batches: 3, accepted: 23_456, version: 1 });
    expect(storedSamples('serve')).toBe(23_456);
    const again = json<{ accepted: number }>(await cli(...args));
    expect(again.accepted).toBe(23_456); // the server replays each batch's first answer…
    expect(storedSamples('serve')).toBe(23_456); // …and stores nothing new
    const labels = await api('/models/serve/labels', { method: 'POST', body: JSON.stringify({ items: [{ id: 'r2-0', label: 1 }, { id: 'r2-23455', label: 0 }, { id: 'nope', label: 1 }] }) });
    expect(await labels.json()).toEqual({ accepted: 3, unmatched: ['nope'] });
  });

  it('samples push retries a batch whose answer was lost, with the same key, and it is stored once', async () => {
    await modelWithVersion('lossy');
    const csv = writeSamplesCsv('lossy.csv', 2500, 6);
    const proxy = await startFaultProxy(base);
    try {
      proxy.add({ match: (req) => req.method === 'POST' && req.url!.includes('/models/lossy/samples'), times: 1, fault: 'drop-response' });
      const via = createCliRunner({ MLCYCLE_URL: proxy.base, MLCYCLE_TOKEN: TOKEN });
      const res = json<{ batches: number; accepted: number }>(await via('samples', 'push', 'lossy', csv, '--version', '1', '--batch-rows', '1000', '--id-column', 'request_id', '--prediction-column', 'score', '--json'));
      expect(res).toMatchObject({ batches: 3, accepted: 2500 });
      const posts = proxy.seen.filter((s) => s.method === 'POST');
      expect(posts.map((p) => p.fault ?? 'ok')).toEqual(['drop-response', 'ok', 'ok', 'ok']);
      expect(posts[1]!.idempotencyKey).toBe(posts[0]!.idempotencyKey);
    } finally {
      await proxy.close();
    }
    expect(storedSamples('lossy')).toBe(2500);
  });

  it('samples push reads Parquet too, and refuses a file with an undeclared column before sending anything', async () => {
    await modelWithVersion('pq');
    const n = 1500;
    writeFileSync(file('s.parquet'), new Uint8Array(parquetWriteBuffer({
      columnData: [
        { name: 'age', data: Array.from({ length: n }, (_, i) => 20 + (i % 50)), type: 'INT32' },
        { name: 'plan', data: Array.from({ length: n }, (_, i) => ['basic', 'pro'][i % 2]!), type: 'STRING' },
      ],
    })));
    const res = json<{ accepted: number }>(await cli('samples', 'push', 'pq', file('s.parquet'), '--version', '1', '--json'));
    expect(res.accepted).toBe(n);
    writeSamplesCsv('extra.csv', 10, 3);
    const refused = await cli('samples', 'push', 'pq', file('extra.csv'), '--version', '1');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/columns the version does not declare: "request_id", "score"/);
    expect(storedSamples('pq')).toBe(n);
  });
});

describe('mlcycle against a server: drift reports and retraining', () => {
  it('drift reports, show and timeline list what the worker computed', async () => {
    await modelWithVersion('drifty');
    writeFileSync(file('drift-ref.csv'), readFileSync(writeSamplesCsv('d.csv', 2000, 4), 'utf8').split('\n').map((l) => l.split(',').slice(0, 2).join(',')).join('\n'));
    await cli('reference', 'push', 'drifty', '1', file('drift-ref.csv'));
    expect((await api('/models/drifty/monitor', { method: 'PUT', body: JSON.stringify({ window: { size: 1000 } }) })).status).toBe(200);
    const shifted = writeSamplesCsv('shifted.csv', 2000, 5, 25);
    expect((await cli('samples', 'push', 'drifty', shifted, '--version', '1', '--id-column', 'request_id', '--prediction-column', 'score')).stdout).toMatch(/2 drift window\(s\) completed/);
    // The in-process queue computes the reports shortly after the batch is stored.
    let reports: { id: number; status: string; datasetDrift: boolean }[] = [];
    for (let i = 0; i < 100 && !(reports.length === 2 && reports.every((r) => r.status === 'done')); i++) {
      reports = json(await cli('drift', 'reports', 'drifty', '--json'));
      if (reports.some((r) => r.status !== 'done')) await new Promise((r) => setTimeout(r, 200));
    }
    expect(reports.map((r) => [r.status, r.datasetDrift])).toEqual([['done', true], ['done', true]]);
    expect((await cli('drift', 'reports', 'drifty')).stdout).toMatch(/samples 1000–2000\s+done\s+1000\s+YES\s+0\.500\s+age/);
    const shown = await cli('drift', 'show', String(reports[0]!.id));
    expect(shown.stdout).toMatch(/dataset drift\s+YES/);
    expect(shown.stdout).toMatch(/age\s+numeric\s+YES/);
    const timeline = json<{ points: { features: { name: string; drifted: boolean }[] }[] }>(await cli('drift', 'timeline', 'drifty', '--feature', 'age', '--json'));
    expect(timeline.points).toHaveLength(2);
    expect(timeline.points.flatMap((p) => p.features.map((f) => [f.name, f.drifted]))).toEqual([['age', true], ['age', true]]);
    // The offline command still works beside its server subcommands.
    expect((await cli('drift', '-r', file('drift-ref.csv'), '-c', file('drift-ref.csv'), '--json')).code).toBe(0);
  });

  it('retrain run and status print the server’s 404 problem detail for a missing model or job, exit 6', async () => {
    // With the retrain routes absent this is ROUTE_NOT_FOUND; once they land, MODEL_NOT_FOUND /
    // RETRAIN_JOB_NOT_FOUND. Either way: a 404 problem shown, exit 6.
    const run = await cli('retrain', 'run', 'no-such-model');
    expect(run.code).toBe(6);
    expect(run.stderr).toMatch(/server refused the request: [A-Z_]+_NOT_FOUND \(404\): \S/);
    const status = await cli('retrain', 'status', '999999');
    expect(status.code).toBe(6);
    expect(status.stderr).toMatch(/[A-Z_]+_NOT_FOUND \(404\)/);
  });
});

describe('mlcycle against a server: failures', () => {
  it('a bad token exits 5 with the server’s UNAUTHENTICATED problem', async () => {
    const res = await createCliRunner({ MLCYCLE_URL: base, MLCYCLE_TOKEN: 'wrong-token' })('models', 'list');
    expect(res.code).toBe(5);
    expect(res.stderr).toMatch(/UNAUTHENTICATED \(401\): send "Authorization: Bearer <api key>"/);
    expect(res.stdout).toBe('');
    // An upload refused before its body is read: the server's answer, not a broken pipe.
    writeFileSync(file('refused.bin'), Buffer.alloc(20 * 1024 * 1024, 7));
    const started = Date.now();
    const push = await createCliRunner({ MLCYCLE_URL: base, MLCYCLE_TOKEN: 'wrong-token' })('artifacts', 'push', 'fraud', '1', file('refused.bin'));
    expect(push.code).toBe(5);
    // …and at once: the unread rest of the body must not keep the process waiting for the
    // server's request timeout (it took 30 s before the upload was cut on an early answer).
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(push.stderr).toMatch(/UNAUTHENTICATED \(401\)/);
  });

  it('--url and --token flags win over the environment', async () => {
    const res = await createCliRunner({ MLCYCLE_URL: 'http://127.0.0.1:1', MLCYCLE_TOKEN: 'wrong' })('models', 'list', '--json', '--url', base, '--token', TOKEN);
    expect(res.code, res.stderr).toBe(0);
    expect(Array.isArray(JSON.parse(res.stdout))).toBe(true);
  });

  it('an unreachable server exits 3 naming the URL', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const res = await createCliRunner({ MLCYCLE_URL: closed, MLCYCLE_TOKEN: TOKEN })('versions', 'list', 'fraud');
    expect(res.code).toBe(3);
    expect(res.stderr).toContain(`cannot reach the mlcycle server at ${closed} (ECONNREFUSED)`);
  });

  it('a missing model exits 6; a rejected body exits 4 with the field errors', async () => {
    const missing = await cli('models', 'show', 'nope');
    expect(missing.code).toBe(6);
    expect(missing.stderr).toMatch(/MODEL_NOT_FOUND \(404\): model "nope" does not exist/);
    await cli('models', 'create', 'bad-body');
    writeFileSync(file('bad.json'), JSON.stringify([{ name: 'x', type: 'weird' }]));
    const rejected = await cli('versions', 'register', 'bad-body', '-f', file('bad.json'));
    expect(rejected.code).toBe(4);
    expect(rejected.stderr).toMatch(/VALIDATION_FAILED \(400\)/);
    expect(rejected.stderr).toMatch(/features\[0\]\.type/);
  });

  it('usage errors exit 2 without calling the server', async () => {
    const res = await createCliRunner({ MLCYCLE_URL: 'http://127.0.0.1:1' })('artifacts', 'pull', 'm', 'one', 'x.bin');
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/<version> must be a positive integer, got "one"/);
    // The file is checked first: a typo in a path is not reported as a dead server.
    const missing = await createCliRunner({ MLCYCLE_URL: 'http://127.0.0.1:1' })('samples', 'push', 'm', file('missing.csv'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing\.csv: it does not exist/);
  });
});
