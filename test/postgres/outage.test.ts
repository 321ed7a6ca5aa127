import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/client.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { POSTGRES_MIGRATIONS, createScratchDatabase, TEST_DATABASE_URL } from '../helpers/db.js';
import { freePort, startServerProcess } from '../helpers/server-process.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

const pgTarget = () => {
  const url = new URL(TEST_DATABASE_URL);
  return { host: url.hostname, port: Number(url.port || 5432) };
};
const viaPort = (url: string, port: number) => {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return u.toString();
};
const scratchDir = () => {
  const dir = join(process.cwd(), '.tmp', 'test', `pg-outage-${randomUUID()}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};

describe('a database outage while running', () => {
  let t: TestApp;
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    proxy = await startTcpProxy(pgTarget());
    // The app reaches PostgreSQL only through the proxy, so the test can take "the server" away.
    t = await createTestApp({ env: { DATABASE_URL: viaPort(scratch.url, proxy.port), DATABASE_STATEMENT_TIMEOUT_MS: '2000' } });
    expect(t.container.database.dialect).toBe('postgres');
    expect((await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'up' } })).statusCode).toBe(201);
  });
  afterAll(async () => {
    await t.close();
    await proxy.close();
    await scratch.drop();
  });

  it('answers 503 DATABASE_UNAVAILABLE, reports it on /readyz, keeps /healthz, and recovers by itself', async () => {
    await proxy.cut();
    const started = Date.now();
    const res = await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'down' } });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.json()).toMatchObject({ code: 'DATABASE_UNAVAILABLE', status: 503 });
    expect(res.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres:/);
    expect(Date.now() - started).toBeLessThan(6_000);
    const ready = await t.call({ method: 'GET', url: '/readyz', token: null });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ checks: { database: { status: 'fail' } } });
    expect((await t.call({ method: 'GET', url: '/healthz', token: null })).statusCode).toBe(200);

    await proxy.restore();
    let status = 0;
    for (let i = 0; i < 50 && status !== 201; i++) {
      status = (await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'back' } })).statusCode;
      if (status !== 201) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(201);
    expect((await t.call({ method: 'GET', url: '/readyz', token: null })).statusCode).toBe(200);
    // Nothing of the failed request was written.
    expect((await t.call({ method: 'GET', url: '/api/v1/models/down' })).statusCode).toBe(404);
  });
});

describe('start-up against PostgreSQL', () => {
  it('exits after DATABASE_CONNECT_TIMEOUT_MS naming DATABASE_URL, with the password masked', async () => {
    const port = await freePort(); // nothing listens there
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: { ...process.env, DATA_DIR: scratchDir(), DATABASE_URL: `postgres://mlc:hunter2secret@127.0.0.1:${port}/x`, DATABASE_CONNECT_TIMEOUT_MS: '1200' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(69);
    expect(out).toContain('DATABASE_URL');
    expect(out).toContain('***');
    expect(out).not.toContain('hunter2secret');
    expect(out).toMatch(/retrying/);
  });

  it('waits for a database that comes up after it (retry with backoff)', async () => {
    const scratch = await createScratchDatabase();
    const port = await freePort();
    const server = startServerProcess({
      DATA_DIR: scratchDir(),
      DATABASE_URL: viaPort(scratch.url, port),
      DATABASE_CONNECT_TIMEOUT_MS: '20000',
      ADMIN_TOKEN: 'late-admin-token-0123456789',
    });
    await new Promise((r) => setTimeout(r, 1500));
    const proxy = await startTcpProxy(pgTarget(), port);
    const started = await server;
    try {
      expect((await fetch(`${started.base}/readyz`)).status).toBe(200);
    } finally {
      started.child.kill('SIGKILL');
      await proxy.close();
      await new Promise((r) => setTimeout(r, 200));
      await scratch.drop();
    }
  });

  it('ten processes opening one fresh database at once apply each migration once', async () => {
    const scratch = await createScratchDatabase();
    try {
      const config = loadConfig({ DATABASE_URL: scratch.url });
      const handles = await Promise.all(Array.from({ length: 10 }, () => openDatabase(config.database)));
      const [row] = await handles[0]!.rows<{ n: string }>(sql`select count(*) as n from drizzle.__drizzle_migrations`);
      expect(Number(row!.n)).toBe(POSTGRES_MIGRATIONS);
      await Promise.all(handles.map((h) => h.close()));
    } finally {
      await scratch.drop();
    }
  });
});
