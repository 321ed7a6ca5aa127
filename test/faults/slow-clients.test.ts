import { readdirSync } from 'node:fs';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTestApp, type TestApp } from '../helpers/app.js';
import { sleep } from '../helpers/wait.js';

/** Resolves when the server closes the socket, with what it sent and how long that took. */
function watch(socket: Socket): Promise<{ ms: number; data: string }> {
  const start = Date.now();
  let data = '';
  socket.on('data', (d) => (data += d));
  socket.on('error', () => undefined);
  return new Promise((resolve) => socket.once('close', () => resolve({ ms: Date.now() - start, data })));
}

/** Issue 7, defect 8: slow and abusive clients. */
describe('slow and abusive clients', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await createTestApp({
      env: {
        HTTP_IDLE_TIMEOUT_MS: '1000',
        HTTP_HEADERS_TIMEOUT_MS: '1000',
        HTTP_MAX_CONNECTIONS: '8',
        AUTH_FAILURE_LIMIT: '5',
        OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
      },
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as AddressInfo).port;
    await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'm' } });
    await t.call({ method: 'POST', url: '/api/v1/models/m/versions', payload: { features: [{ name: 'a', type: 'numeric' }] } });
  });
  afterAll(() => t?.close());

  it('a body that stalls after 8 of 999 bytes is cut off after the idle timeout, and its temp file removed', async () => {
    const socket = connect(port, '127.0.0.1');
    const closed = watch(socket);
    socket.write(
      `PUT /api/v1/models/m/versions/1/artifacts/slow.bin HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${ADMIN_TOKEN}\r\n` +
        'content-type: application/octet-stream\r\ncontent-length: 999\r\n\r\n12345678',
    );
    const { ms } = await closed;
    expect(ms).toBeLessThan(3_000);
    await sleep(100);
    expect(readdirSync(join(t.dir, 'artifacts', '.tmp'))).toEqual([]);
    expect((await t.call({ method: 'GET', url: '/api/v1/models/m/versions/1/artifacts/slow.bin' })).statusCode).toBe(404);
  });

  it('headers that never finish are cut off after the headers timeout', async () => {
    const socket = connect(port, '127.0.0.1');
    const closed = watch(socket);
    socket.write('GET /healthz HTTP/1.1\r\nhost: x\r\n');
    const keepDripping = setInterval(() => socket.writable && socket.write('x-drip: 1\r\n'), 300);
    try {
      const { ms } = await closed;
      expect(ms).toBeLessThan(3_500);
    } finally {
      clearInterval(keepDripping);
    }
  });

  it('connections beyond HTTP_MAX_CONNECTIONS are closed at once; service resumes when they drop', async () => {
    const held: Socket[] = [];
    for (let i = 0; i < 8; i++) {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      await new Promise((r) => s.once('connect', r));
      held.push(s);
    }
    await sleep(100);
    const extra = connect(port, '127.0.0.1');
    const { ms, data } = await watch(extra);
    expect(data).toBe('');
    expect(ms).toBeLessThan(1_000);
    for (const s of held) s.destroy();
    await sleep(100);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });

  it('failed authentication is rate-limited per client: 429 + Retry-After for wrong tokens only, other clients unaffected', async () => {
    const attacker = '203.0.113.7';
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push((await t.call({ method: 'GET', url: '/api/v1/models', token: `wrong-token-${i}`, remoteAddress: attacker })).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    const limited = await t.call({ method: 'GET', url: '/api/v1/models', token: null, remoteAddress: attacker });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('TOO_MANY_REQUESTS');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await t.call({ method: 'GET', url: '/api/v1/models', token: 'wrong', remoteAddress: '198.51.100.1' })).statusCode).toBe(401);
    // X-Forwarded-For is not trusted by default: it cannot be used to dodge the limit.
    expect(
      (await t.call({ method: 'GET', url: '/api/v1/models', token: 'wrong', remoteAddress: attacker, headers: { 'x-forwarded-for': '192.0.2.99' } }))
        .statusCode,
    ).toBe(429);
  });
});

/** Issue 16 item 9: a stale key behind a NAT must not lock the valid keys behind the same address out. */
describe('failed authentication never locks out a valid key', () => {
  it('25 wrong tokens from an address, then a valid key from it gets 200 (every time); wrong ones still 429', async () => {
    const t = await createTestApp(); // the default limit: 20 failures per minute
    try {
      const nat = '203.0.113.50';
      const reader = await t.keyWith('read');
      const wrong: number[] = [];
      for (let i = 0; i < 25; i++) wrong.push((await t.call({ method: 'GET', url: '/api/v1/models', token: `stale-${i}`, remoteAddress: nat })).statusCode);
      expect(wrong.slice(0, 20).every((s) => s === 401)).toBe(true);
      expect(wrong.slice(20)).toEqual([429, 429, 429, 429, 429]);
      for (const token of [reader, ADMIN_TOKEN, reader]) {
        const res = await t.call({ method: 'GET', url: '/api/v1/models', token, remoteAddress: nat });
        expect(res.statusCode).toBe(200);
      }
      // A sample POST from the same address is served too (serving code behind the NAT).
      const writer = await t.keyWith('samples:write');
      await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'nat' } });
      await t.call({ method: 'POST', url: '/api/v1/models/nat/versions', payload: { features: [{ name: 'a', type: 'numeric' }] } });
      const posted = await t.call({
        method: 'POST',
        url: '/api/v1/models/nat/samples',
        token: writer,
        remoteAddress: nat,
        payload: { version: 1, rows: [{ a: 1 }] },
      });
      expect(posted.statusCode).toBe(202);
      // The limit still holds for wrong (and missing) tokens, and valid requests did not reset it.
      expect((await t.call({ method: 'GET', url: '/api/v1/models', token: 'stale-again', remoteAddress: nat })).statusCode).toBe(429);
      expect((await t.call({ method: 'GET', url: '/api/v1/models', token: null, remoteAddress: nat })).statusCode).toBe(429);
    } finally {
      await t.close();
    }
  });
});

/** Issue 16 item 8: a body trickled a few bytes every 3 s (never idle long enough to be cut) is cut by the minimum rate. */
describe('minimum body rate (HTTP_MIN_BODY_BYTES_PER_S, averaged over 10 s)', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await createTestApp(); // defaults: 1 KiB/s, 30 s idle timeout
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as AddressInfo).port;
    await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'm' } });
    await t.call({ method: 'POST', url: '/api/v1/models/m/versions', payload: { features: [{ name: 'a', type: 'numeric' }] } });
  });
  afterAll(() => t?.close());

  /** Sends the head, then `chunk` every `everyMs` until the server closes or `total` bytes went out. */
  function trickle(head: string, chunk: string, everyMs: number, total: number) {
    const socket = connect(port, '127.0.0.1');
    const closed = watch(socket);
    socket.write(head);
    let sent = 0;
    const timer = setInterval(() => {
      if (!socket.writable || sent >= total) return clearInterval(timer);
      socket.write(chunk.slice(0, total - sent));
      sent += chunk.length;
    }, everyMs);
    let data = '';
    socket.on('data', (d) => (data += d));
    // Resolves with the first answer, even when the connection stays open after it (keep-alive).
    const answered = new Promise<string>((resolve) => {
      socket.on('data', () => data.includes('\r\n\r\n') && resolve(data));
      socket.once('close', () => resolve(data));
    });
    return Object.assign(
      closed.finally(() => clearInterval(timer)),
      { answered, close: () => socket.destroy() },
    );
  }
  const headOf = (method: string, url: string, type: string, length: number) =>
    `${method} ${url} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${ADMIN_TOKEN}\r\ncontent-type: ${type}\r\ncontent-length: ${length}\r\n\r\n`;

  it('a JSON body and an artifact upload trickled 8 bytes every 3 s get 408 problem+json and are closed; a slow-but-OK upload (2 KiB/s) is served', async () => {
    const json = trickle(headOf('POST', '/api/v1/models', 'application/json', 999), '{"name":', 3_000, 999);
    const artifact = trickle(
      headOf('PUT', '/api/v1/models/m/versions/1/artifacts/trickled.bin', 'application/octet-stream', 99_999),
      'x'.repeat(8),
      3_000,
      99_999,
    );
    // 24 KiB at 2 KiB/s (512 bytes every 250 ms): twice the minimum, and it takes longer than a window.
    const ok = trickle(headOf('PUT', '/api/v1/models/m/versions/1/artifacts/steady.bin', 'application/octet-stream', 24_576), 'y'.repeat(512), 250, 24_576);
    const [j, a] = await Promise.all([json, artifact]);
    for (const cut of [j, a]) {
      expect(cut.data).toMatch(/^HTTP\/1\.1 408 /);
      expect(cut.data).toContain('application/problem+json');
      expect(cut.data).toContain('"code":"REQUEST_TOO_SLOW"');
      // Cut after the first 10 s window, long before the idle (30 s) or request (1 h) timeouts.
      expect(cut.ms).toBeGreaterThan(9_000);
      expect(cut.ms).toBeLessThan(15_000);
    }
    // The steady upload got its 201 (its keep-alive socket stays open: closed here).
    const steady = await ok.answered;
    expect(steady).toMatch(/^HTTP\/1\.1 201 /);
    ok.close();
    const stored = await t.call({ method: 'GET', url: '/api/v1/models/m/versions/1/artifacts/steady.bin' });
    expect(stored.statusCode).toBe(200);
    expect(stored.body.length).toBe(24_576);
    expect((await t.call({ method: 'GET', url: '/api/v1/models/m/versions/1/artifacts/trickled.bin' })).statusCode).toBe(404);
    expect((await t.call({ method: 'GET', url: '/api/v1/models' })).json().items.map((m: { name: string }) => m.name)).toEqual(['m']);
    await sleep(100);
    expect(readdirSync(join(t.dir, 'artifacts', '.tmp'))).toEqual([]);
  });
});

describe('load shedding', () => {
  it('answers 503 OVERLOADED with Retry-After while the event loop lags, and recovers', async () => {
    const t = await createTestApp({ env: { OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '30' } });
    try {
      expect((await t.call({ method: 'GET', url: '/api/v1/models' })).statusCode).toBe(200);
      // A lagging event loop: 100 ms of blocking work every ~110 ms for up to 3 s.
      let lagging = true;
      const lag = () => {
        if (!lagging) return;
        const until = Date.now() + 100;
        while (Date.now() < until);
        setTimeout(lag, 10);
      };
      lag();
      let shed;
      const giveUp = Date.now() + 3_000;
      while (!shed && Date.now() < giveUp) {
        const res = await t.call({ method: 'GET', url: '/api/v1/models' });
        if (res.statusCode === 503) shed = res;
        await sleep(20);
      }
      lagging = false;
      expect(shed?.json().code).toBe('OVERLOADED');
      expect(shed?.headers['retry-after']).toBe('10');
      expect(shed?.headers['content-type']).toContain('application/problem+json');
      let recovered = false;
      for (let i = 0; i < 20 && !recovered; i++) {
        await sleep(250);
        recovered = (await t.call({ method: 'GET', url: '/api/v1/models' })).statusCode === 200;
      }
      expect(recovered).toBe(true);
    } finally {
      await t.close();
    }
  });
});
