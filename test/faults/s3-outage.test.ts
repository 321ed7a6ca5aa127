import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArtifactStore } from '../../src/artifacts/index.js';
import { createTestApp, ADMIN_TOKEN, type TestApp } from '../helpers/app.js';
import { startS3rverProcess, type S3rverProcess } from '../helpers/s3rver-process.js';
import { sleep } from '../helpers/wait.js';

const TIMEOUT_MS = 1_000;
const url = (path: string) => `/api/v1/models/m/versions/1/artifacts/${path}`;

/**
 * Issue 7, defect 2: a frozen (SIGSTOP) or stopped S3 server. Every request answers 503
 * ARTIFACT_STORE_UNAVAILABLE within the timeout instead of hanging; the service recovers without
 * a restart; an upload the client abandoned is never committed.
 */
describe('S3 store frozen or stopped', () => {
  let s3: S3rverProcess;
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    s3 = await startS3rverProcess();
    const store = createArtifactStore({
      kind: 's3',
      endpoint: s3.endpoint,
      bucket: s3.bucket,
      region: s3.region,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      forcePathStyle: true,
      requestTimeoutMs: TIMEOUT_MS,
    });
    t = await createTestApp({ store });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'm' } });
    await t.call({ method: 'POST', url: '/api/v1/models/m/versions', payload: { features: [{ name: 'a', type: 'numeric' }] } });
    expect((await t.call({ method: 'PUT', url: url('before.bin'), payload: 'stored before the outage' })).statusCode).toBe(201);
  });
  afterAll(async () => {
    s3.thaw();
    await t.close();
    await s3.close();
  });

  async function timed(fn: () => Promise<{ statusCode: number; headers: Record<string, unknown>; json: () => { code: string } }>) {
    const start = Date.now();
    const res = await fn();
    return { res, ms: Date.now() - start };
  }

  it('frozen: upload and download answer 503 within the timeout, then recover after SIGCONT', async () => {
    s3.freeze();
    try {
      const up = await timed(() => t.call({ method: 'PUT', url: url('frozen.bin'), payload: '0123456789' }));
      expect(up.res.statusCode).toBe(503);
      expect(up.res.json().code).toBe('ARTIFACT_STORE_UNAVAILABLE');
      expect(up.res.headers['retry-after']).toBeDefined();
      expect(up.ms).toBeLessThan(3 * TIMEOUT_MS);

      const down = await timed(() => t.call({ method: 'GET', url: url('before.bin') }));
      expect(down.res.statusCode).toBe(503);
      expect(down.res.json().code).toBe('ARTIFACT_STORE_UNAVAILABLE');
      expect(down.ms).toBeLessThan(3 * TIMEOUT_MS);
    } finally {
      s3.thaw();
    }
    // Recovery without a restart; the failed upload left no row.
    expect((await t.call({ method: 'GET', url: url('before.bin') })).body).toBe('stored before the outage');
    expect((await t.call({ method: 'PUT', url: url('after.bin'), payload: 'after' })).statusCode).toBe(201);
    await sleep(300);
    expect((await t.call({ method: 'GET', url: url('frozen.bin') })).statusCode).toBe(404);
  }, 20_000);

  it('an upload the client abandoned while the store was frozen is not committed after SIGCONT', async () => {
    s3.freeze();
    try {
      const abandoned = fetch(`${base}${url('abandoned.bin')}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/octet-stream' },
        body: '0123456789',
        signal: AbortSignal.timeout(300),
      });
      await expect(abandoned).rejects.toThrow();
      await sleep(100);
    } finally {
      // Thawed well within the server's own timeout: the store now completes the PUT it had received.
      s3.thaw();
    }
    await sleep(1_500);
    expect((await t.call({ method: 'GET', url: url('abandoned.bin') })).statusCode).toBe(404);
    const events = (await t.call({ method: 'GET', url: '/api/v1/models/m/events?type=artifact.uploaded' })).json<{ items: { data: { path: string } }[] }>();
    expect(events.items.map((e) => e.data.path)).not.toContain('abandoned.bin');
  }, 20_000);

  it('stopped: 503 at once while the store is down, served again once it is back', async () => {
    await s3.kill();
    try {
      const up = await timed(() => t.call({ method: 'PUT', url: url('down.bin'), payload: 'x' }));
      expect(up.res.statusCode).toBe(503);
      expect(up.res.json().code).toBe('ARTIFACT_STORE_UNAVAILABLE');
      expect(up.ms).toBeLessThan(3 * TIMEOUT_MS);
      const down = await t.call({ method: 'GET', url: url('before.bin') });
      expect(down.statusCode).toBe(503);
      expect(down.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|s3rver/i);
      expect((await t.call({ method: 'GET', url: '/readyz', token: null })).statusCode).toBe(503);
    } finally {
      await s3.restart();
    }
    expect((await t.call({ method: 'GET', url: url('before.bin') })).body).toBe('stored before the outage');
    expect((await t.call({ method: 'PUT', url: url('down.bin'), payload: 'x' })).statusCode).toBe(201);
  }, 20_000);
});
