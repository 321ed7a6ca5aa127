import { createArtifactStore, type ArtifactStore } from '../../src/artifacts/index.js';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** The slice of s3rver 3.7's API we use; the package ships no type declarations. */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: Server;
}
type S3rverCtor = new (opts: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
  vhostBuckets: boolean;
}) => S3rverInstance;

const require = createRequire(import.meta.url);

export interface S3rverHandle {
  endpoint: string;
  bucket: string;
  region: string;
  /** s3rver's built-in account; it verifies SigV4 signatures against these. */
  accessKeyId: string;
  secretAccessKey: string;
  directory: string;
  close(): Promise<void>;
}

/**
 * A real S3 wire protocol in this process, on a free port, with its data under `.tmp/` so a run
 * never touches another run's buckets. Call `close()` in afterAll.
 */
export async function startS3rver(opts: { bucket?: string } = {}): Promise<S3rverHandle> {
  const S3rver = require('s3rver') as S3rverCtor;
  const bucket = opts.bucket ?? 'mlcycle-test';
  const directory = join(process.cwd(), '.tmp', 's3rver', randomUUID());
  mkdirSync(directory, { recursive: true });
  const server = new S3rver({
    // 127.0.0.1, not s3rver's default "localhost", which may resolve to ::1 while the SDK uses IPv4.
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
    // Path-style only: virtual-host buckets would need DNS for <bucket>.127.0.0.1.
    vhostBuckets: false,
  });
  const address = await server.run();
  let closed = false;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    bucket,
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    directory,
    async close() {
      if (closed) return;
      closed = true;
      // The SDK keeps sockets alive; without this, close() waits for them to time out.
      server.httpServer?.closeAllConnections();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** An S3 artifact store pointed at a running s3rver (one place for the connection settings). */
export function s3StoreFor(s3: S3rverHandle, overrides: { bucket?: string; endpoint?: string; prefix?: string } = {}): ArtifactStore {
  return createArtifactStore({
    kind: 's3',
    endpoint: s3.endpoint,
    bucket: s3.bucket,
    region: s3.region,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    forcePathStyle: true,
    ...overrides,
  });
}
