import { createHash } from 'node:crypto';
import { readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArtifactStore } from '../../src/artifacts/artifact-store.js';
import { createArtifactSweeper } from '../../src/artifacts/sweep.js';
import { ARTIFACT_KEY_PREFIX } from '../../src/registry/artifacts.service.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { s3StoreFor, startS3rver } from '../helpers/s3rver.js';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const silent = { info: () => undefined, warn: () => undefined };
const url = (path: string) => `/api/v1/models/m/versions/1/artifacts/${path}`;

const adapters: [string, () => Promise<{ store?: ArtifactStore; stop: () => Promise<void> }>][] = [
  ['fs', async () => ({ stop: async () => undefined })],
  [
    's3',
    async () => {
      const s3 = await startS3rver();
      return { store: s3StoreFor(s3), stop: () => s3.close() };
    },
  ],
];

/**
 * Issue 7, defect 1: an overwrite whose commit fails must leave the old row AND the old bytes.
 * On the old code the file was renamed over the old one before the transaction, so afterwards the
 * row said sha(A) while B was served.
 */
describe.each(adapters)('artifact overwrite integrity on the %s store', (_kind, setup) => {
  let t: TestApp;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    const s = await setup();
    stop = s.stop;
    // The busy wait blocks the event loop (defect 4, handled elsewhere); load shedding would then
    // answer the follow-up reads with 503, which is not what this test is about.
    t = await createTestApp({ ...(s.store ? { store: s.store } : {}), env: { OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0' } });
    await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'm' } });
    await t.call({ method: 'POST', url: '/api/v1/models/m/versions', payload: { features: [{ name: 'a', type: 'numeric' }] } });
  });
  afterAll(async () => {
    await t.close();
    await stop();
  });

  it('an overwrite that cannot commit (database write lock held elsewhere) leaves the served bytes matching the recorded sha256', async () => {
    const a = Buffer.from('version A of the weights');
    const b = Buffer.from('version B, which never got committed');
    expect((await t.call({ method: 'PUT', url: url('w.bin'), payload: a })).statusCode).toBe(201);

    // A second connection (another process, in the fault run) holds the write lock past the busy timeout.
    const other = new Database(t.container.config.database.kind === 'sqlite' ? t.container.config.database.path : '');
    other.exec('BEGIN IMMEDIATE');
    let failed;
    try {
      failed = await t.call({ method: 'PUT', url: url('w.bin'), payload: b });
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(failed.statusCode).toBeGreaterThanOrEqual(500);
    expect(failed.body).not.toMatch(/SQLITE|database is locked/i);

    const get = await t.call({ method: 'GET', url: url('w.bin') });
    expect(get.statusCode).toBe(200);
    expect(get.headers['x-artifact-sha256']).toBe(sha256(a));
    expect(sha256(get.rawPayload)).toBe(sha256(a));
    expect(Number(get.headers['content-length'])).toBe(a.length);

    // The uncommitted object was deleted; only the committed one is in the store.
    const keys: string[] = [];
    for await (const o of t.container.store.list(ARTIFACT_KEY_PREFIX)) keys.push(o.key);
    expect(keys).toEqual([...(await t.container.artifacts.referencedStorageKeys())]);

    // And the next overwrite works and replaces the bytes (old object deleted after the commit).
    expect((await t.call({ method: 'PUT', url: url('w.bin'), payload: b })).json()).toMatchObject({ sha256: sha256(b) });
    const after = await t.call({ method: 'GET', url: url('w.bin') });
    expect(sha256(after.rawPayload)).toBe(after.headers['x-artifact-sha256']);
    expect(sha256(after.rawPayload)).toBe(sha256(b));
    const keysAfter: string[] = [];
    for await (const o of t.container.store.list(ARTIFACT_KEY_PREFIX)) keysAfter.push(o.key);
    expect(keysAfter).toHaveLength(1);
  }, 20_000);

  it('the sweeper deletes unreferenced objects older than the grace period, never referenced or young ones', async () => {
    const { store } = t.container;
    expect((await t.call({ method: 'PUT', url: url('kept.bin'), payload: 'kept' })).statusCode).toBe(201);
    const orphan = `${ARTIFACT_KEY_PREFIX}999/1/orphan`;
    await store.put(orphan, Readable.from([Buffer.from('left by a crash')]));
    // S3 timestamps have one-second resolution (an object may look up to 1 s older than it is):
    // the orphan ages ≥ 2.1 s, the young object looks ≤ ~1 s old, and the grace period sits between.
    await new Promise((r) => setTimeout(r, 2_100));
    // An upload whose row is not committed yet: written just now, so within the grace period.
    const young = `${ARTIFACT_KEY_PREFIX}999/1/in-flight`;
    await store.put(young, Readable.from([Buffer.from('still uploading')]));
    const sweeper = createArtifactSweeper({
      store,
      prefix: ARTIFACT_KEY_PREFIX,
      referencedKeys: () => t.container.artifacts.referencedStorageKeys(),
      graceMs: 1_600,
      intervalMs: 60_000,
      log: silent,
    });
    const result = await sweeper.sweep();
    expect(result.orphans).toBe(1);
    expect(await store.exists(orphan)).toBe(false);
    expect(await store.exists(young)).toBe(true);
    for (const key of await t.container.artifacts.referencedStorageKeys()) expect(await store.exists(key)).toBe(true);
    expect((await t.call({ method: 'GET', url: url('kept.bin') })).body).toBe('kept');
    await store.delete(young);
  });
});

describe('temp files of interrupted uploads', () => {
  it('are swept once older than the grace period; younger ones (in flight) stay', async () => {
    const t = await createTestApp();
    try {
      await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'm' } });
      await t.call({ method: 'POST', url: '/api/v1/models/m/versions', payload: { features: [{ name: 'a', type: 'numeric' }] } });
      // An upload whose client dies mid-body leaves nothing behind by itself…
      const dying = new Readable({ read() {} });
      dying.push(Buffer.alloc(4096, 1));
      setTimeout(() => dying.destroy(new Error('client went away')), 50);
      await expect(t.container.store.put(`${ARTIFACT_KEY_PREFIX}1/1/x`, dying)).rejects.toThrow();
      const tmp = join(t.dir, 'artifacts', '.tmp');
      expect(readdirSync(tmp)).toEqual([]);
      // …but a kill -9 does (simulated: two files, one stale, one fresh).
      writeFileSync(join(tmp, 'stale'), 'x');
      writeFileSync(join(tmp, 'fresh'), 'y');
      const old = new Date(Date.now() - 3_600_000);
      utimesSync(join(tmp, 'stale'), old, old);
      expect(await t.container.store.sweepIncomplete(new Date(Date.now() - 60_000))).toBe(1);
      expect(readdirSync(tmp)).toEqual(['fresh']);
    } finally {
      await t.close();
    }
  });
});
