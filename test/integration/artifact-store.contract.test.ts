import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactNotFoundError, InvalidArtifactKeyError, createArtifactStore, type ArtifactStore } from '../../src/artifacts/index.js';
import { s3StoreFor, startS3rver, type S3rverHandle } from '../helpers/s3rver.js';

const MiB = 1024 * 1024;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const sha256 = (buf: Buffer): string => createHash('sha256').update(buf).digest('hex');

/** Feeds a buffer in chunks so adapters see a real multi-chunk stream, not one big Buffer. */
function chunked(buf: Buffer, chunkSize = 1 * MiB): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < buf.length; i += chunkSize) yield buf.subarray(i, i + chunkSize);
    })(),
  );
}

/** Emits `okBytes` of data, then fails — what an aborted client upload looks like to a store. */
function failingAfter(okBytes: number): Readable {
  return Readable.from(
    (async function* () {
      for (let sent = 0; sent < okBytes; sent += MiB) yield randomBytes(Math.min(MiB, okBytes - sent));
      await new Promise((r) => setTimeout(r, 10));
      throw new Error('client went away');
    })(),
  );
}

async function collect(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const uniqueKey = (file = 'model.bin'): string => `models/contract/versions/1/${randomUUID()}/${file}`;

/**
 * One behavioural contract that every ArtifactStore adapter must satisfy.
 * `backendAtomicOverwrite`: whether the backend itself makes concurrent overwrites of one key
 * atomic. The fs adapter does (rename); for S3 it is the service's guarantee, which s3rver does
 * not provide (it writes the file in place: two racing puts interleaved and failed in CI), so the
 * race is only asserted where the backend under test can keep it.
 */
export function describeArtifactStoreContract(name: string, makeStore: () => Promise<ArtifactStore>, options: { backendAtomicOverwrite: boolean }): void {
  describe(`ArtifactStore contract: ${name}`, () => {
    let store: ArtifactStore;
    beforeAll(async () => {
      store = await makeStore();
    });

    it('pings', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('round-trips a small body with size and sha256', async () => {
      const key = uniqueKey();
      const data = Buffer.from('hello artifacts\n');
      const stored = await store.put(key, chunked(data), { contentType: 'text/plain' });
      expect(stored).toEqual({ size: data.length, sha256: sha256(data) });
      const got = await store.get(key);
      expect(got.size).toBe(data.length);
      expect((await collect(got.body)).equals(data)).toBe(true);
    });

    it('round-trips a ~20 MiB random body (multipart on S3)', async () => {
      const key = uniqueKey();
      // Not a multiple of the part size, so the last part is short.
      const data = randomBytes(20 * MiB + 12_345);
      const stored = await store.put(key, chunked(data, 64 * 1024));
      expect(stored).toEqual({ size: data.length, sha256: sha256(data) });
      const got = await store.get(key);
      expect(got.size).toBe(data.length);
      expect(sha256(await collect(got.body))).toBe(sha256(data));
    });

    it('stores an empty body', async () => {
      const key = uniqueKey('empty');
      expect(await store.put(key, Readable.from([]))).toEqual({ size: 0, sha256: EMPTY_SHA256 });
      expect(await store.exists(key)).toBe(true);
      const got = await store.get(key);
      expect(got.size).toBe(0);
      expect((await collect(got.body)).length).toBe(0);
    });

    it('overwrites an existing key', async () => {
      const key = uniqueKey();
      await store.put(key, chunked(Buffer.from('first version, longer than the second')));
      const second = Buffer.from('second');
      expect((await store.put(key, chunked(second))).sha256).toBe(sha256(second));
      const got = await store.get(key);
      expect(got.size).toBe(second.length);
      expect((await collect(got.body)).equals(second)).toBe(true);
    });

    if (options.backendAtomicOverwrite) {
      it('keeps one complete body when two puts race on a key', async () => {
        const key = uniqueKey();
        const a = randomBytes(3 * MiB);
        const b = randomBytes(2 * MiB);
        await Promise.all([store.put(key, chunked(a)), store.put(key, chunked(b))]);
        const digest = sha256(await collect((await store.get(key)).body));
        expect([sha256(a), sha256(b)]).toContain(digest);
      });
    }

    it('throws ArtifactNotFoundError for a missing key', async () => {
      const key = uniqueKey();
      const err = await store.get(key).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ArtifactNotFoundError);
      expect((err as ArtifactNotFoundError).key).toBe(key);
    });

    it('treats a key prefix ("directory") as absent', async () => {
      const key = uniqueKey('dir/file.txt');
      await store.put(key, chunked(Buffer.from('x')));
      const dirKey = key.slice(0, key.lastIndexOf('/'));
      expect(await store.exists(dirKey)).toBe(false);
      await expect(store.get(dirKey)).rejects.toBeInstanceOf(ArtifactNotFoundError);
      await expect(store.delete(dirKey)).resolves.toBeUndefined();
      expect(await store.exists(key)).toBe(true);
    });

    it('reports existence and deletes idempotently', async () => {
      const key = uniqueKey();
      expect(await store.exists(key)).toBe(false);
      await store.put(key, chunked(Buffer.from('bye')));
      expect(await store.exists(key)).toBe(true);
      await store.delete(key);
      expect(await store.exists(key)).toBe(false);
      await expect(store.delete(key)).resolves.toBeUndefined();
      await expect(store.delete(uniqueKey('never-written'))).resolves.toBeUndefined();
      await expect(store.get(key)).rejects.toBeInstanceOf(ArtifactNotFoundError);
    });

    // 1 MiB fails inside the first part (S3: before any request); 12 MiB fails after a multipart
    // upload has been created and part 1 sent, which must then be aborted.
    for (const okBytes of [1 * MiB, 12 * MiB]) {
      it(`leaves no object when the body errors after ${okBytes / MiB} MiB`, async () => {
        const key = uniqueKey();
        await expect(store.put(key, failingAfter(okBytes))).rejects.toThrow(/client went away/);
        expect(await store.exists(key)).toBe(false);
        await expect(store.get(key)).rejects.toBeInstanceOf(ArtifactNotFoundError);
      });
    }

    it('keeps the previous object when an overwrite fails midway', async () => {
      const key = uniqueKey();
      const original = Buffer.from('known good');
      await store.put(key, chunked(original));
      await expect(store.put(key, failingAfter(12 * MiB))).rejects.toThrow(/client went away/);
      expect((await collect((await store.get(key)).body)).equals(original)).toBe(true);
    });

    it('handles keys with unicode, spaces and URL-special characters', async () => {
      const names = ['dir with spaces/model file.bin', 'ünïcødé/模型 😀.onnx', 'a+b=c&d?e#f%20g.txt', "it's~(1)!*.json", '..dots../.hidden'];
      for (const name of names) {
        const key = uniqueKey(name);
        const data = Buffer.from(`content of ${name}`);
        expect((await store.put(key, chunked(data))).sha256).toBe(sha256(data));
        expect(await store.exists(key)).toBe(true);
        expect((await collect((await store.get(key)).body)).equals(data)).toBe(true);
        await store.delete(key);
        expect(await store.exists(key)).toBe(false);
      }
    });

    it('rejects keys that are not plain relative paths', async () => {
      const bad = ['', '../escape', 'models/../../escape', '/abs/path', 'a\\b', 'a\0b', 'a//b', './a', 'a/', 'x'.repeat(1025)];
      for (const key of bad) {
        await expect(store.put(key, Readable.from([Buffer.from('x')]))).rejects.toBeInstanceOf(InvalidArtifactKeyError);
        await expect(store.get(key)).rejects.toBeInstanceOf(InvalidArtifactKeyError);
        await expect(store.exists(key)).rejects.toBeInstanceOf(InvalidArtifactKeyError);
        await expect(store.delete(key)).rejects.toBeInstanceOf(InvalidArtifactKeyError);
      }
    });
  });
}

// Not under .tmp/test: global-setup wipes that folder whenever another vitest run starts.
const scratch = join(process.cwd(), '.tmp', 'artifacts', `contract-${randomUUID()}`);

describe('fs adapter', () => {
  const root = join(scratch, 'fs-root');
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  describeArtifactStoreContract('fs', async () => createArtifactStore({ kind: 'fs', root }), { backendAtomicOverwrite: true });

  it('never writes outside its root and reserves the temp directory', async () => {
    const store = createArtifactStore({ kind: 'fs', root });
    await expect(store.put('../outside.txt', Readable.from([Buffer.from('x')]))).rejects.toBeInstanceOf(InvalidArtifactKeyError);
    expect(existsSync(join(scratch, 'outside.txt'))).toBe(false);
    await expect(store.put('.tmp/x', Readable.from([Buffer.from('x')]))).rejects.toBeInstanceOf(InvalidArtifactKeyError);
  });

  it('leaves no temp files behind after failed uploads', async () => {
    mkdirSync(join(root, '.tmp'), { recursive: true });
    expect(readdirSync(join(root, '.tmp'))).toEqual([]);
  });

  it('ping fails when the root cannot be created', async () => {
    // A root beneath a regular file can never be a directory.
    const file = join(root, 'models', 'not-a-dir');
    const store = createArtifactStore({ kind: 'fs', root });
    await store.put('models/not-a-dir', Readable.from([Buffer.from('x')]));
    await expect(createArtifactStore({ kind: 'fs', root: join(file, 'sub') }).ping()).rejects.toThrow(/not readable and writable/);
  });
});

describe('s3 adapter (s3rver)', () => {
  let s3: S3rverHandle;
  beforeAll(async () => {
    s3 = await startS3rver();
  });
  afterAll(async () => {
    await s3?.close();
  });
  const s3Config = (overrides: { bucket?: string; endpoint?: string; prefix?: string } = {}) => s3StoreFor(s3, overrides);

  describeArtifactStoreContract('s3', async () => s3Config({ prefix: 'contract/' }), { backendAtomicOverwrite: false });

  it('ping throws for a bucket that does not exist', async () => {
    await expect(s3Config({ bucket: 'no-such-bucket' }).ping()).rejects.toThrow(/no-such-bucket.*not reachable/);
  });

  it('ping throws when the server is down', async () => {
    const other = await startS3rver();
    const store = s3Config({ endpoint: other.endpoint, bucket: other.bucket });
    await store.ping();
    await other.close();
    await expect(store.ping()).rejects.toThrow(/not reachable/);
  });
});
