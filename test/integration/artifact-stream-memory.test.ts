/**
 * Streaming proof for issue 2: a large artifact passes through `put` and then `get` while the
 * process's RSS grows by less than 100 MB. The body is generated on the fly and the download is
 * hashed chunk by chunk, so the test itself never holds more than one chunk.
 *
 * s3rver runs in this same process, so the S3 figure bounds client *and* server together.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArtifactStore, type ArtifactStore } from '../../src/artifacts/index.js';
import { s3StoreFor, startS3rver, type S3rverHandle } from '../helpers/s3rver.js';

const MiB = 1024 * 1024;
const RSS_BUDGET = 100 * 1000 * 1000; // "100 MB" as the issue states it
const FS_BYTES = 1024 * MiB;
/**
 * S3 runs 256 MiB by default, not 1 GiB: s3rver is the bottleneck, not the adapter. In-process it
 * is CPU-bound on hashing (md5 per part, then md5 + a full copy again on CompleteMultipartUpload,
 * besides the SDK's SigV4 payload sha256 and ours), measured at ~25 MB/s put / ~100 MB/s get on
 * 2 cores: 1 GiB took 56 s (RSS growth 69 MB, passing). 256 MiB is 32 parts, over 10× the
 * adapter's in-flight window (3 × 8 MiB), so any buffering proportional to size still shows.
 * Run the full GiB with ARTIFACT_S3_STREAM_MIB=1024.
 */
const S3_BYTES = Number(process.env.ARTIFACT_S3_STREAM_MIB ?? 256) * MiB;
const CHUNK = 64 * 1024; // what an HTTP request body typically delivers

/** Periodic RSS sampler; `max` also sees samples pushed from the hot path. */
function rssSampler() {
  let max = process.memoryUsage.rss();
  const sample = () => {
    const rss = process.memoryUsage.rss();
    if (rss > max) max = rss;
  };
  const timer = setInterval(sample, 25);
  return {
    sample,
    stop: () => {
      clearInterval(timer);
      sample();
      return max;
    },
  };
}

/**
 * A deterministic-length stream of fresh buffers (fresh, like network input, so garbage is
 * produced at the real rate). Its own sha256 is the reference the store must reproduce.
 */
function generated(total: number, onChunk: () => void): { stream: Readable; digest: () => string } {
  const template = randomBytes(CHUNK);
  const hash = createHash('sha256');
  let produced = 0;
  let n = 0;
  const stream = new Readable({
    highWaterMark: CHUNK,
    read() {
      if (produced >= total) return void this.push(null);
      const size = Math.min(CHUNK, total - produced);
      const chunk = Buffer.allocUnsafe(size);
      template.copy(chunk, 0, 0, size);
      chunk.writeUInt32LE(n++ >>> 0, 0); // distinct chunks, so reordering would change the hash
      hash.update(chunk);
      produced += size;
      if ((n & 255) === 0) onChunk();
      this.push(chunk);
    },
  });
  return { stream, digest: () => hash.digest('hex') };
}

async function hashStream(body: Readable, onChunk: () => void): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  let n = 0;
  for await (const chunk of body) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
    if ((++n & 255) === 0) onChunk();
  }
  return { size, sha256: hash.digest('hex') };
}

const gc = (globalThis as { gc?: () => void }).gc;

async function settle(): Promise<number> {
  gc?.();
  await new Promise((r) => setTimeout(r, 200));
  return process.memoryUsage.rss();
}

async function proveStreaming(store: ArtifactStore, total: number) {
  // Warm-up: loads code paths, SDK/socket pools and allocator arenas so they are not billed
  // to the transfer. Same size class of buffers as the real run.
  const warmKey = `models/mem/versions/1/${randomUUID()}/warmup.bin`;
  await store.put(warmKey, generated(48 * MiB, () => undefined).stream);
  await hashStream((await store.get(warmKey)).body, () => undefined);
  await store.delete(warmKey);

  const baseline = await settle();
  const sampler = rssSampler();
  const key = `models/mem/versions/1/${randomUUID()}/big.bin`;
  const src = generated(total, sampler.sample);

  const t0 = performance.now();
  const stored = await store.put(key, src.stream);
  const t1 = performance.now();
  const got = await store.get(key);
  const read = await hashStream(got.body, sampler.sample);
  const t2 = performance.now();
  const peak = sampler.stop();
  await store.delete(key);

  const mb = total / 1e6;
  const report = {
    adapter: store.kind,
    bytes: total,
    putMBs: +(mb / ((t1 - t0) / 1000)).toFixed(1),
    getMBs: +(mb / ((t2 - t1) / 1000)).toFixed(1),
    baselineMB: +(baseline / 1e6).toFixed(1),
    peakMB: +(peak / 1e6).toFixed(1),
    growthMB: +((peak - baseline) / 1e6).toFixed(1),
    gcExposed: gc !== undefined,
  };
  console.log(`[artifact-stream-memory] ${JSON.stringify(report)}`);

  const expected = { size: total, sha256: src.digest() };
  expect(stored).toEqual(expected);
  expect(got.size).toBe(total);
  expect(read).toEqual(expected);
  expect(peak - baseline).toBeLessThan(RSS_BUDGET);
}

// Not under .tmp/test: global-setup wipes that folder at the start of every vitest run, which
// pulls the floor from under a concurrent run (seen: ENOENT on rename mid-test).
const scratch = join(process.cwd(), '.tmp', 'artifacts', `memory-${randomUUID()}`);

describe('artifact streaming keeps memory bounded', () => {
  let s3: S3rverHandle | undefined;
  beforeAll(async () => {
    s3 = await startS3rver();
  });
  afterAll(async () => {
    await s3?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it(`fs adapter: ${FS_BYTES / MiB} MiB put+get`, { timeout: 180_000 }, async () => {
    await proveStreaming(createArtifactStore({ kind: 'fs', root: join(scratch, 'fs') }), FS_BYTES);
  });

  it(`s3 adapter via s3rver: ${S3_BYTES / MiB} MiB put+get`, { timeout: 300_000 }, async () => {
    if (!s3) throw new Error('s3rver did not start');
    const store = s3StoreFor(s3);
    await proveStreaming(store, S3_BYTES);
  });
});
