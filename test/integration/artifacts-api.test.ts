import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArtifactStore } from '../../src/artifacts/artifact-store.js';
import { query } from '../helpers/db.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { s3StoreFor, startS3rver, type S3rverHandle } from '../helpers/s3rver.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The same API round trip on both artifact adapters: fs (embedded) and S3 (s3rver on a free port). */
const adapters: [string, () => Promise<{ store?: ArtifactStore; stop: () => Promise<void> }>][] = [
  ['fs', async () => ({ stop: async () => undefined })],
  [
    's3',
    async () => {
      const s3: S3rverHandle = await startS3rver();
      return { store: s3StoreFor(s3), stop: () => s3.close() };
    },
  ],
];

describe.each(adapters)('artifacts through the API on the %s store', (_kind, setup) => {
  let t: TestApp;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    const s = await setup();
    stop = s.stop;
    t = await createTestApp(s.store ? { store: s.store } : {});
    await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'img' } });
    await t.call({ method: 'POST', url: '/api/v1/models/img/versions', payload: { features: [{ name: 'a', type: 'numeric' }] } });
  });
  afterAll(async () => {
    await t.close();
    await stop();
  });

  it('uploads, lists and downloads with size and sha256 checked', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const put = await t.call({
      method: 'PUT',
      url: '/api/v1/models/img/versions/1/artifacts/model/weights.bin',
      payload: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(put.statusCode).toBe(201);
    expect(put.json()).toMatchObject({ path: 'model/weights.bin', size: bytes.length, sha256: sha256(bytes) });

    const get = await t.call({ method: 'GET', url: '/api/v1/models/img/versions/1/artifacts/model/weights.bin' });
    expect(get.statusCode).toBe(200);
    expect(get.headers['x-artifact-sha256']).toBe(sha256(bytes));
    expect(Number(get.headers['content-length'])).toBe(bytes.length);
    expect(sha256(get.rawPayload)).toBe(sha256(bytes));

    await t.call({
      method: 'PUT',
      url: '/api/v1/models/img/versions/1/artifacts/README.md',
      payload: '# model card',
      headers: { 'content-type': 'text/markdown' },
    });
    const list = (await t.call({ method: 'GET', url: '/api/v1/models/img/versions/1/artifacts' })).json();
    expect(list.items.map((a: { path: string; size: number }) => [a.path, a.size])).toEqual([
      ['README.md', 12],
      ['model/weights.bin', bytes.length],
    ]);
    const card = await t.call({ method: 'GET', url: '/api/v1/models/img/versions/1/artifacts/README.md' });
    expect(card.headers['content-type']).toBe('application/octet-stream');
    expect(card.headers['x-artifact-content-type']).toBe('text/markdown');
    expect(card.body).toBe('# model card');

    const events = (await t.call({ method: 'GET', url: '/api/v1/models/img/events?type=artifact.uploaded' })).json();
    expect(events.items).toHaveLength(2);
  });

  it('serves uploaded HTML and SVG as attachments that no browser renders or sniffs', async () => {
    for (const [path, type, body] of [
      ['report.html', 'text/html', '<script>alert(document.cookie)</script>'],
      ['dir/café.svg', 'image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'],
    ] as const) {
      expect(
        (await t.call({ method: 'PUT', url: `/api/v1/models/img/versions/1/artifacts/${encodeURI(path)}`, payload: body, headers: { 'content-type': type } }))
          .statusCode,
      ).toBe(201);
      const get = await t.call({ method: 'GET', url: `/api/v1/models/img/versions/1/artifacts/${encodeURI(path)}` });
      expect(get.statusCode).toBe(200);
      expect(get.headers['content-type']).toBe('application/octet-stream');
      expect(get.headers['content-disposition']).toMatch(/^attachment; /);
      expect(get.headers['content-disposition']).toContain(`filename*=UTF-8''${encodeURIComponent(path.split('/').pop()!)}`);
      expect(get.headers['x-content-type-options']).toBe('nosniff');
      expect(get.headers['content-security-policy']).toContain("default-src 'none'");
      expect(get.headers['x-artifact-content-type']).toBe(type);
      expect(get.body).toBe(body);
    }
  });

  it('replaces an artifact on re-upload and deletes the bytes with the model', async () => {
    await t.call({ method: 'PUT', url: '/api/v1/models/img/versions/1/artifacts/x.txt', payload: 'one' });
    const second = await t.call({ method: 'PUT', url: '/api/v1/models/img/versions/1/artifacts/x.txt', payload: 'two!' });
    expect(second.json()).toMatchObject({ size: 4, sha256: sha256(Buffer.from('two!')) });
    expect((await t.call({ method: 'GET', url: '/api/v1/models/img/versions/1/artifacts/x.txt' })).body).toBe('two!');

    const [{ k: key }] = (await query<{ k: string }>(t.container.database, "select storage_key as k from artifacts where path = 'x.txt'")) as [{ k: string }];
    expect(await t.container.store.exists(key)).toBe(true);
    expect((await t.call({ method: 'DELETE', url: '/api/v1/models/img' })).statusCode).toBe(204);
    expect(await t.container.store.exists(key)).toBe(false);
  });
});
