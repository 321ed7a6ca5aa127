import { readdirSync } from 'node:fs';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTestApp, type TestApp } from '../helpers/app.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
  afterAll(() => t.close());

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

  it('failed authentication is rate-limited per client: 429 + Retry-After, even for a right token, other clients unaffected', async () => {
    const attacker = '203.0.113.7';
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push((await t.call({ method: 'GET', url: '/api/v1/models', token: `wrong-token-${i}`, remoteAddress: attacker })).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    const limited = await t.call({ method: 'GET', url: '/api/v1/models', remoteAddress: attacker });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('TOO_MANY_REQUESTS');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await t.call({ method: 'GET', url: '/api/v1/models', remoteAddress: '198.51.100.1' })).statusCode).toBe(200);
    // X-Forwarded-For is not trusted by default: it cannot be used to dodge the limit.
    expect(
      (await t.call({ method: 'GET', url: '/api/v1/models', token: 'wrong', remoteAddress: attacker, headers: { 'x-forwarded-for': '192.0.2.99' } }))
        .statusCode,
    ).toBe(429);
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
