import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { sleep, until } from '../helpers/wait.js';

const TOKEN = 'fault-admin-token-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };
const sha256 = (b: Buffer | Uint8Array) => createHash('sha256').update(b).digest('hex');
const servers: ServerProcess[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) if (s.child.exitCode === null) s.child.kill('SIGKILL');
});

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)));
}

/**
 * Issue 7, defects 1 and 6, with a real process and kill -9: the server is killed while an
 * overwrite waits for the database lock (its new bytes already written) and while another upload
 * is mid-body. After a restart every served artifact matches its recorded sha256, and the
 * uncommitted object and the temp file are swept.
 */
describe('kill -9 during an artifact overwrite', () => {
  it('serves only bytes the database describes after restart, and sweeps the leftovers', async () => {
    const dataDir = join(process.cwd(), '.tmp', 'test', `fault-${randomUUID()}`);
    mkdirSync(dataDir, { recursive: true });
    const env = { DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'warn', ARTIFACT_SWEEP_GRACE_MS: '500' };
    const first = await startServerProcess(env);
    servers.push(first);
    const json = { ...auth, 'content-type': 'application/json' };
    await fetch(`${first.base}/api/v1/models`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'm' }) });
    await fetch(`${first.base}/api/v1/models/m/versions`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ features: [{ name: 'a', type: 'numeric' }] }),
    });
    const url = (base: string, path: string) => `${base}/api/v1/models/m/versions/1/artifacts/${path}`;
    const a = Buffer.from('A'.repeat(10_000));
    const put = await fetch(url(first.base, 'w.bin'), { method: 'PUT', headers: { ...auth, 'content-type': 'application/octet-stream' }, body: a });
    expect(put.status).toBe(201);
    const root = join(dataDir, 'artifacts');
    const committed = files(join(root, 'artifacts'));
    expect(committed).toHaveLength(1);

    // An upload that stops mid-body: its bytes sit in a temp file.
    let push!: (c: Uint8Array) => void;
    const stalled = new ReadableStream<Uint8Array>({ start: (c) => void (push = (chunk) => c.enqueue(chunk)) });
    void fetch(url(first.base, 'partial.bin'), { method: 'PUT', headers: auth, body: stalled, duplex: 'half' } as RequestInit).catch(() => undefined);
    push(new Uint8Array(64 * 1024).fill(7));
    await until('a temp file', () => files(join(root, '.tmp')).length === 1);

    // Another process holds the write lock, so the overwrite's commit waits …
    const other = new Database(join(dataDir, 'mlcycle.db'));
    other.exec('BEGIN IMMEDIATE');
    try {
      const b = Buffer.from('B'.repeat(20_000));
      void fetch(url(first.base, 'w.bin'), { method: 'PUT', headers: { ...auth, 'content-type': 'application/octet-stream' }, body: b }).catch(() => undefined);
      // … with its new object already written: now the process dies.
      await until('the overwrite to write its object', () => files(join(root, 'artifacts')).length === 2);
      first.child.kill('SIGKILL');
      await until('the process to exit', () => first.child.exitCode !== null || first.child.signalCode !== null);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(files(join(root, '.tmp'))).toHaveLength(1);
    await sleep(600); // past the grace period

    const second = await startServerProcess(env);
    servers.push(second);
    const get = await fetch(url(second.base, 'w.bin'), { headers: auth });
    expect(get.status).toBe(200);
    const bytes = Buffer.from(await get.arrayBuffer());
    expect(sha256(bytes)).toBe(get.headers.get('x-artifact-sha256'));
    expect(sha256(bytes)).toBe(sha256(a));
    expect((await fetch(url(second.base, 'partial.bin'), { headers: auth })).status).toBe(404);

    // The start-up sweep removes the temp file and the uncommitted object, and keeps the committed one.
    await until('the start-up sweep', () => files(join(root, '.tmp')).length === 0 && files(join(root, 'artifacts')).length === 1);
    expect(files(join(root, 'artifacts'))).toEqual(committed);
    second.child.kill('SIGTERM');
  }, 40_000);
});
