import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArtifactStore } from '../../../src/artifacts/artifact-store.js';
import { ARTIFACT_KEY_PREFIX } from '../../../src/registry/artifacts.service.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { s3StoreFor, startS3rver, type S3rverHandle } from '../../helpers/s3rver.js';
import { expectMlflowError } from './shape.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const base = '/api/2.0/mlflow-artifacts/artifacts';

/** mlflow-artifacts over both ArtifactStore adapters: fs (embedded) and S3 (s3rver). */
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

describe.each(adapters)('mlflow-artifacts on the %s store', (_kind, setup) => {
  let t: TestApp;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    const s = await setup();
    stop = s.stop;
    t = await createTestApp(s.store ? { store: s.store } : {});
  });
  afterAll(async () => {
    await t.close();
    await stop();
  });

  it("streams a 3 MiB upload and download; size and sha256 recorded; the object lives outside the sweeper's prefix", async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const put = await t.call({
      method: 'PUT',
      url: `${base}/1/abc/artifacts/model/weights.bin`,
      payload: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toEqual({});
    const row = await t.container.mlflow.trackingRepo.artifact('1/abc/artifacts/model/weights.bin');
    expect(row).toMatchObject({ size: bytes.length, sha256: sha256(bytes) });
    expect(row!.storageKey.startsWith('mlflow/')).toBe(true);
    expect(row!.storageKey.startsWith(ARTIFACT_KEY_PREFIX)).toBe(false);
    const got = await t.call({ method: 'GET', url: `${base}/1/abc/artifacts/model/weights.bin` });
    expect(got.statusCode).toBe(200);
    expect(got.rawPayload.equals(bytes)).toBe(true);
    expect(got.headers['x-artifact-sha256']).toBe(sha256(bytes));
  });

  it('an overwrite serves the new bytes and deletes the old object', async () => {
    const path = '1/abc/artifacts/notes.txt';
    await t.call({ method: 'PUT', url: `${base}/${path}`, payload: Buffer.from('one'), headers: { 'content-type': 'text/plain' } });
    const first = (await t.container.mlflow.trackingRepo.artifact(path))!.storageKey;
    await t.call({ method: 'PUT', url: `${base}/${path}`, payload: Buffer.from('two!'), headers: { 'content-type': 'text/plain' } });
    const second = (await t.container.mlflow.trackingRepo.artifact(path))!;
    expect(second.storageKey).not.toBe(first);
    expect(second.size).toBe(4);
    expect(await t.container.store.exists(first)).toBe(false);
    expect((await t.call({ method: 'GET', url: `${base}/${path}` })).body).toBe('two!');
  });

  it('lists direct children relative to the directory; directories carry no size', async () => {
    const listing = await t.call({ method: 'GET', url: `${base}?path=1/abc/artifacts` });
    expect(listing.json()).toEqual({
      files: [
        { path: 'model', is_dir: true },
        { path: 'notes.txt', is_dir: false, file_size: 4 },
      ],
    });
    expect((await t.call({ method: 'GET', url: `${base}?path=1/abc/artifacts/model/` })).json().files).toEqual([
      { path: 'weights.bin', is_dir: false, file_size: 3 * 1024 * 1024 + 17 },
    ]);
    expect((await t.call({ method: 'GET', url: `${base}?path=nothing` })).json()).toEqual({ files: [] });
    expect((await t.call({ method: 'GET', url: base })).json()).toEqual({ files: [{ path: '1', is_dir: true }] });
  });

  it('deletes a directory and its files; a second delete is RESOURCE_DOES_NOT_EXIST', async () => {
    const key = (await t.container.mlflow.trackingRepo.artifact('1/abc/artifacts/model/weights.bin'))!.storageKey;
    expect((await t.call({ method: 'DELETE', url: `${base}/1/abc/artifacts/model` })).json()).toEqual({});
    expect(await t.container.store.exists(key)).toBe(false);
    expectMlflowError(await t.call({ method: 'GET', url: `${base}/1/abc/artifacts/model/weights.bin` }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectMlflowError(await t.call({ method: 'DELETE', url: `${base}/1/abc/artifacts/model` }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectMlflowError(await t.call({ method: 'POST', url: `${base}/x` }), 404, 'ENDPOINT_NOT_FOUND');
  });
});

describe('the mlflow/ sweeper', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  it('removes objects no row points at and keeps every referenced one, twice over', async () => {
    const { createArtifactSweeper } = await import('../../../src/artifacts/sweep.js');
    const { MLFLOW_KEY_PREFIX } = await import('../../../src/mlflow/artifacts.service.js');
    const { Readable } = await import('node:stream');
    await t.call({ method: 'PUT', url: `${base}/0/r/artifacts/kept.txt`, payload: Buffer.from('kept'), headers: { 'content-type': 'text/plain' } });
    await t.container.store.put(`${MLFLOW_KEY_PREFIX}orphan`, Readable.from([Buffer.from('orphan')]));
    const quiet = { info: () => undefined, warn: () => undefined };
    const sweeper = createArtifactSweeper({
      store: t.container.store,
      prefix: MLFLOW_KEY_PREFIX,
      referencedKeys: () => t.container.mlflow.artifacts.referencedStorageKeys(),
      graceMs: -1000,
      intervalMs: 60_000,
      log: quiet,
    });
    expect((await sweeper.sweep()).orphans).toBe(1);
    expect(await t.container.store.exists(`${MLFLOW_KEY_PREFIX}orphan`)).toBe(false);
    expect((await t.call({ method: 'GET', url: `${base}/0/r/artifacts/kept.txt` })).body).toBe('kept');
    expect((await sweeper.sweep()).orphans).toBe(0);
    expect((await t.call({ method: 'GET', url: `${base}/0/r/artifacts/kept.txt` })).body).toBe('kept');
  });
});
