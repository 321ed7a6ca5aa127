import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCliRunner, type CliResult } from '../helpers/cli.js';
import { createCliServerFixture } from '../helpers/cli-server.js';
import { startFaultProxy } from '../helpers/http-fault-proxy.js';
import { freePort } from '../helpers/server-process.js';

/**
 * The `mlcycle` binary against a live server process: registry and artifact commands, and the
 * failures a user meets — a bad key, no server, a missing model, a rejected body, bytes
 * corrupted in transit — each with its exit code and the server's problem detail.
 * (Data, drift and retrain commands: cli-data.test.ts.)
 */
const f = createCliServerFixture('cli-server');
beforeAll(() => f.start());
afterAll(() => f.stop());

describe('mlcycle against a server: registry', () => {
  it('models create, list and show, as tables and as JSON', async () => {
    expect((await f.cli('models', 'create', 'fraud', '-d', 'card fraud', '--tag', 'team=risk')).stdout).toMatch(/created model fraud/);
    const listed = f.json<{ name: string; tags: Record<string, string> }[]>(await f.cli('models', 'list', '--json'));
    expect(listed.find((m) => m.name === 'fraud')?.tags).toEqual({ team: 'risk' });
    const table = await f.cli('models', 'list', '--tag', 'team:risk');
    expect(table.stdout).toMatch(/^\s*name\s+latest/m);
    expect(table.stdout).toMatch(/fraud\s+-\s+-\s+card fraud/);
    expect((await f.cli('models', 'show', 'fraud')).stdout).toMatch(/description\s+card fraud/);
  });

  it('versions register from flags and a JSON file; a repeated idempotency key returns the first version', async () => {
    await f.cli('models', 'create', 'reg');
    writeFileSync(f.file('version.json'), JSON.stringify({ features: [{ name: 'age', type: 'numeric' }], params: { depth: 6 }, metrics: { auc: 0.5 } }));
    const args = [
      'versions',
      'register',
      'reg',
      '-f',
      f.file('version.json'),
      '--feature',
      'plan:categorical',
      '--feature',
      'user_id:categorical:id',
      '--metric',
      'auc=0.93',
      '--task',
      'classification:1',
      '--idempotency-key',
      'train-run-7',
      '--json',
    ];
    const first = f.json<{ version: number; features: unknown[]; metrics: Record<string, number>; params: Record<string, string>; task: unknown }>(
      await f.cli(...args),
    );
    expect(first.version).toBe(1);
    expect(first.task).toEqual({ type: 'classification', positive: 1 }); // an integer positive is a number
    // Flags add to the file and win over it.
    expect(first.features).toEqual([
      { name: 'age', type: 'numeric' },
      { name: 'plan', type: 'categorical' },
      { name: 'user_id', type: 'categorical', role: 'id' }, // a role: never a drift feature
    ]);
    expect(first.metrics).toEqual({ auc: 0.93 });
    expect(first.params).toEqual({ depth: 6 }); // JSON scalars are kept as sent
    const again = await f.cli(...args.slice(0, -1));
    expect(again.stdout).toMatch(/version 1 of reg was already registered/);
    expect(f.json<unknown[]>(await f.cli('versions', 'list', 'reg', '--json'))).toHaveLength(1);
    expect((await f.cli('versions', 'list', 'reg')).stdout).toMatch(/^\s*1\s+-\s+3\s+auc=0\.93/m);
    expect((await f.cli('versions', 'show', 'reg', '1')).stdout).toMatch(/task\s+classification \(positive 1\)/);
    expect((await f.cli('versions', 'register', 'reg', '--feature', 'a:numeric', '--task', 'multilabel')).stderr).toMatch(/--task expects/);
  });

  it('alias set moves an alias, and versions show resolves it', async () => {
    await f.modelWithVersion('aliased');
    await f.cli('versions', 'register', 'aliased', '--feature', 'age:numeric');
    expect((await f.cli('alias', 'set', 'aliased', 'production', '1')).stdout).toMatch(/aliased@production → v1/);
    expect((await f.cli('alias', 'set', 'aliased', 'production', '2')).stdout).toMatch(/→ v2 \(was v1\)/);
    const shown = f.json<{ version: number; aliases: string[] }>(await f.cli('versions', 'show', 'aliased', 'production', '--json'));
    expect(shown).toMatchObject({ version: 2, aliases: ['production'] });
    expect((await f.cli('versions', 'show', 'aliased', '1')).stdout).toMatch(/features\s+age:numeric, plan:categorical/);
  });
});

describe('mlcycle against a server: artifacts', () => {
  it('push then pull round-trips the bytes, and the sha256 the server reports is the file’s', async () => {
    await f.modelWithVersion('art');
    const bytes = Buffer.alloc(6 * 1024 * 1024 + 17);
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = (i / 4096) & 0xff;
    writeFileSync(f.file('weights.bin'), bytes);
    const sha = createHash('sha256').update(bytes).digest('hex');
    const pushed = f.json<{ path: string; size: number; sha256: string }>(
      await f.cli('artifacts', 'push', 'art', '1', f.file('weights.bin'), 'model/weights.bin', '--json'),
    );
    expect(pushed).toMatchObject({ path: 'model/weights.bin', size: bytes.length, sha256: sha });
    const pulled = await f.cli('artifacts', 'pull', 'art', '1', 'model/weights.bin', '-o', f.file('pulled.bin'));
    expect(pulled.stdout).toMatch(/sha256 verified/);
    expect(
      createHash('sha256')
        .update(readFileSync(f.file('pulled.bin')))
        .digest('hex'),
    ).toBe(sha);
    expect((await f.cli('artifacts', 'list', 'art', '1')).stdout).toContain(sha);
  });

  it('a 300 MB artifact is streamed both ways: the CLI’s peak memory stays near an idle run’s', async () => {
    await f.modelWithVersion('big');
    // Sparse: no disk written for the input, and reading it costs nothing.
    const big = f.file('big.bin');
    writeFileSync(big, '');
    truncateSync(big, 300 * 1024 * 1024);
    const measured = createCliRunner({
      MLCYCLE_URL: f.base,
      MLCYCLE_TOKEN: f.token,
      NODE_OPTIONS: `--require ${join(process.cwd(), 'test/helpers/report-max-rss.cjs')}`,
    });
    const peak = (r: CliResult) => {
      expect(r.code, r.stderr).toBe(0);
      return Number(/max-rss-kb=(\d+)/.exec(r.stderr)![1]) * 1024;
    };
    const idle = peak(await measured('models', 'list'));
    const pushed = peak(await measured('artifacts', 'push', 'big', '1', big));
    const pulled = peak(await measured('artifacts', 'pull', 'big', '1', 'big.bin', '-o', f.file('big-pulled.bin')));
    rmSync(f.file('big-pulled.bin'));
    // Buffering the file would add ≥ 300 MB; streaming adds socket and stream buffers only.
    expect(pushed - idle).toBeLessThan(100 * 1024 * 1024);
    expect(pulled - idle).toBeLessThan(100 * 1024 * 1024);
  });

  it('pull fails with exit 7 and writes nothing when the bytes do not match X-Artifact-Sha256', async () => {
    await f.modelWithVersion('corrupt');
    writeFileSync(f.file('small.bin'), 'the real weights');
    await f.cli('artifacts', 'push', 'corrupt', '1', f.file('small.bin'));
    const proxy = await startFaultProxy(f.base);
    try {
      proxy.add({ match: (req) => req.method === 'GET' && req.url!.includes('/artifacts/small.bin'), times: 1, fault: 'corrupt-body' });
      const via = createCliRunner({ MLCYCLE_URL: proxy.base, MLCYCLE_TOKEN: f.token });
      const res = await via('artifacts', 'pull', 'corrupt', '1', 'small.bin', '-o', f.file('out.bin'));
      expect(res.code).toBe(7);
      expect(res.stderr).toMatch(/sha256 mismatch for small\.bin/);
      expect(existsSync(f.file('out.bin'))).toBe(false);
      expect(proxy.seen.filter((s) => s.fault === 'corrupt-body')).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });
});

describe('mlcycle against a server: failures', () => {
  it('a bad token exits 5 with the server’s UNAUTHENTICATED problem', async () => {
    const res = await createCliRunner({ MLCYCLE_URL: f.base, MLCYCLE_TOKEN: 'wrong-token' })('models', 'list');
    expect(res.code).toBe(5);
    expect(res.stderr).toMatch(/UNAUTHENTICATED \(401\): send "Authorization: Bearer <api key>"/);
    expect(res.stdout).toBe('');
    // An upload refused before its body is read: the server's answer, not a broken pipe.
    writeFileSync(f.file('refused.bin'), Buffer.alloc(20 * 1024 * 1024, 7));
    const started = Date.now();
    const push = await createCliRunner({ MLCYCLE_URL: f.base, MLCYCLE_TOKEN: 'wrong-token' })('artifacts', 'push', 'fraud', '1', f.file('refused.bin'));
    expect(push.code).toBe(5);
    // …and at once: the unread rest of the body must not keep the process waiting for the
    // server's request timeout (it took 30 s before the upload was cut on an early answer).
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(push.stderr).toMatch(/UNAUTHENTICATED \(401\)/);
  });

  it('--url and --token flags win over the environment', async () => {
    const res = await createCliRunner({ MLCYCLE_URL: 'http://127.0.0.1:1', MLCYCLE_TOKEN: 'wrong' })(
      'models',
      'list',
      '--json',
      '--url',
      f.base,
      '--token',
      f.token,
    );
    expect(res.code, res.stderr).toBe(0);
    expect(Array.isArray(JSON.parse(res.stdout))).toBe(true);
  });

  it('an unreachable server exits 3 naming the URL', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const res = await createCliRunner({ MLCYCLE_URL: closed, MLCYCLE_TOKEN: f.token })('versions', 'list', 'fraud');
    expect(res.code).toBe(3);
    expect(res.stderr).toContain(`cannot reach the mlcycle server at ${closed} (ECONNREFUSED)`);
  });

  it('a missing model exits 6; a rejected body exits 4 with the field errors', async () => {
    const missing = await f.cli('models', 'show', 'nope');
    expect(missing.code).toBe(6);
    expect(missing.stderr).toMatch(/MODEL_NOT_FOUND \(404\): model "nope" does not exist/);
    await f.cli('models', 'create', 'bad-body');
    writeFileSync(f.file('bad.json'), JSON.stringify([{ name: 'x', type: 'weird' }]));
    const rejected = await f.cli('versions', 'register', 'bad-body', '-f', f.file('bad.json'));
    expect(rejected.code).toBe(4);
    expect(rejected.stderr).toMatch(/VALIDATION_FAILED \(400\)/);
    expect(rejected.stderr).toMatch(/features\[0\]\.type/);
  });

  it('usage errors exit 2 without calling the server', async () => {
    const res = await createCliRunner({ MLCYCLE_URL: 'http://127.0.0.1:1' })('artifacts', 'pull', 'm', 'one', 'x.bin');
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/<version> must be a positive integer, got "one"/);
    // The file is checked first: a typo in a path is not reported as a dead server.
    const missing = await createCliRunner({ MLCYCLE_URL: 'http://127.0.0.1:1' })('samples', 'push', 'm', f.file('missing.csv'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing\.csv: it does not exist/);
  });
});
