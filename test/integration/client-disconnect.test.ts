import { request } from 'node:http';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTestApp, type TestApp } from '../helpers/app.js';

/** Issue 8 item 9: a client that hangs up is logged once, at debug, with the request id. */
let t: TestApp;
let base: string;
const lines: Record<string, unknown>[] = [];
const stream = new Writable({
  write(chunk, _enc, cb) {
    for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
    cb();
  },
});
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

beforeAll(async () => {
  t = await createTestApp({ logger: { level: 'debug', stream } });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}/api/v1/models/m/versions/1/artifacts`;
  await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'm' } });
  await t.call({ method: 'POST', url: '/api/v1/models/m/versions', payload: { features: [{ name: 'a', type: 'numeric' }] } });
  const put = await t.call({
    method: 'PUT',
    url: '/api/v1/models/m/versions/1/artifacts/big.bin',
    payload: Buffer.alloc(32 * 1024 * 1024, 7),
    headers: { 'content-type': 'application/octet-stream' },
  });
  expect(put.statusCode).toBe(201);
});
afterAll(async () => t?.close());

const settle = () => new Promise((r) => setTimeout(r, 500));

/** What was logged for the request whose log lines mention `url`. */
function logsOf(method: string, url: string) {
  const ids = new Set(lines.filter((l) => l.url === url && l.method === method).map((l) => l.reqId));
  expect(ids.size).toBe(1);
  const reqId = [...ids][0];
  expect(reqId).toEqual(expect.any(String));
  return lines.filter((l) => l.reqId === reqId);
}

function expectOneDebugLine(method: string, url: string) {
  const logged = logsOf(method, url);
  const gone = logged.filter((l) => String(l.msg).includes('disconnected'));
  expect(gone).toHaveLength(1);
  expect(gone[0]).toMatchObject({ level: 20 });
  expect(
    logged.filter((l) => (l.level as number) >= 30),
    JSON.stringify(logged),
  ).toEqual([]);
  expect(lines.some((l) => l.msg === 'stream closed prematurely')).toBe(false);
}

describe('client disconnects', () => {
  it('a download cancelled after the first bytes', async () => {
    await new Promise<void>((resolve, reject) => {
      const req = request(`${base}/big.bin`, { headers: auth }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
      req.end();
    });
    await settle();
    expectOneDebugLine('GET', '/api/v1/models/m/versions/1/artifacts/big.bin');
  });

  it('an upload abandoned half-way', async () => {
    const req = request(`${base}/half.bin`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/octet-stream', 'content-length': '1000000' } });
    req.on('error', () => {});
    req.write(Buffer.alloc(1000));
    await new Promise((r) => setTimeout(r, 300));
    req.destroy();
    await settle();
    expectOneDebugLine('PUT', '/api/v1/models/m/versions/1/artifacts/half.bin');
  });
});
