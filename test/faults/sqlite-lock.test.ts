import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { otherConnection } from '../helpers/db.js';

/**
 * Another process holds SQLite's write lock (a worker in a long transaction, a backup, an
 * operator's shell). Writers here must wait without freezing the process, then give up with a
 * 503 the client can retry; readers and health checks must not notice.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { DATABASE_LOCK_TIMEOUT_MS: '700' } });
  await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'locked' } });
});
afterAll(async () => t?.close());

const features = [{ name: 'x', type: 'numeric' }];

describe('a write lock held by another process', () => {
  it('keeps /healthz and reads fast, answers the waiting write 503 DATABASE_BUSY with Retry-After, and writes nothing', async () => {
    const other = await otherConnection(t);
    await other.exec('BEGIN IMMEDIATE');
    try {
      const started = Date.now();
      const write = t.call({ method: 'POST', url: '/api/v1/models/locked/versions', payload: { features } });
      // While the write waits, the event loop stays free.
      const latencies: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        expect((await t.call({ method: 'GET', url: '/healthz', token: null })).statusCode).toBe(200);
        latencies.push(performance.now() - t0);
        expect((await t.call({ method: 'GET', url: '/api/v1/models/locked' })).statusCode).toBe(200);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(Math.max(...latencies)).toBeLessThan(50);
      const res = await write;
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ code: 'DATABASE_BUSY' });
      expect(res.headers['retry-after']).toBeDefined();
      expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    } finally {
      await other.exec('ROLLBACK');
      await other.close();
    }
    expect((await t.call({ method: 'GET', url: '/api/v1/models/locked' })).json().latestVersion).toBeNull();
  });

  it('a write that gets the lock within the timeout succeeds', async () => {
    const other = await otherConnection(t);
    await other.exec('BEGIN IMMEDIATE');
    const write = t.call({ method: 'POST', url: '/api/v1/models/locked/versions', payload: { features } });
    await new Promise((r) => setTimeout(r, 200));
    await other.exec('COMMIT');
    await other.close();
    const res = await write;
    expect(res.statusCode).toBe(201);
    expect(res.json().version).toBe(1);
  });
});
