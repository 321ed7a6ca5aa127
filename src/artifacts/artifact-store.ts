import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';

/** What a completed `put` wrote: the registry records both and sends them back as headers. */
export interface StoredObject {
  size: number;
  /** Lower-case hex. */
  sha256: string;
}

/**
 * Port for artifact bytes. Adapters: filesystem (embedded default) and S3.
 * Every method streams; nothing buffers a whole object in memory.
 */
export interface ArtifactStore {
  readonly kind: 'fs' | 's3';
  /**
   * Streams body to the store; computes size and sha256 while streaming; the object becomes
   * visible only once fully written (no half-written object on error/abort). Overwrites an
   * existing key; a failed overwrite leaves the previous object in place.
   */
  put(key: string, body: NodeJS.ReadableStream | Readable, opts?: PutOptions): Promise<StoredObject>;
  /**
   * Streams the object; throws ArtifactNotFoundError when absent. The caller must consume or
   * destroy `body` (for S3 it holds a pooled socket).
   */
  get(key: string): Promise<{ body: Readable; size: number }>;
  exists(key: string): Promise<boolean>;
  /** Idempotent: deleting a missing key succeeds. */
  delete(key: string): Promise<void>;
  /** Cheap reachability check for /readyz; throws when unreachable. */
  ping(): Promise<void>;
  /** Every complete object whose key starts with `prefix`, with when it was written (for garbage collection). */
  list(prefix: string): AsyncIterable<ListedObject>;
  /**
   * Removes what interrupted uploads left behind and started before `olderThan` (temp files,
   * S3 multipart uploads). Younger ones may still be in flight in this or another process.
   * Returns how many were removed.
   */
  sweepIncomplete(olderThan: Date): Promise<number>;
}

export interface PutOptions {
  contentType?: string;
  /** Aborting it (the client went away) abandons the upload: nothing becomes visible. */
  signal?: AbortSignal;
}

export interface ListedObject {
  key: string;
  lastModified: Date;
}

export class ArtifactNotFoundError extends Error {
  override readonly name = 'ArtifactNotFoundError';
  constructor(
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(`artifact not found: ${key}`, options);
  }
}

export class InvalidArtifactKeyError extends Error {
  override readonly name = 'InvalidArtifactKeyError';
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`invalid artifact key ${JSON.stringify(key)}: ${reason}`);
  }
}

/** Raised by `ping` so /readyz can report which dependency is down without leaking internals. */
export class ArtifactStoreUnavailableError extends Error {
  override readonly name = 'ArtifactStoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Defence in depth: callers validate paths already, but a key reaching an adapter must never be
 * able to address anything outside the store (`..`), an absolute path, or — via backslash on
 * Windows or NUL in C APIs — something other than what it looks like. Empty and `.` segments are
 * rejected too because S3 keeps them verbatim while a filesystem collapses them, so the two
 * adapters would otherwise disagree about which keys are the same object.
 */
export function assertSafeKey(key: string): void {
  if (key.length === 0) throw new InvalidArtifactKeyError(key, 'empty');
  // S3's limit is 1024 UTF-8 bytes; enforcing it in both adapters keeps them interchangeable.
  if (Buffer.byteLength(key, 'utf8') > 1024) throw new InvalidArtifactKeyError(key, 'longer than 1024 bytes');
  if (key.startsWith('/')) throw new InvalidArtifactKeyError(key, 'leading slash');
  if (key.includes('\\')) throw new InvalidArtifactKeyError(key, 'backslash');
  // Control characters include NUL; they also break HTTP headers and log lines.
  if (/[\u0000-\u001f\u007f]/.test(key)) throw new InvalidArtifactKeyError(key, 'control character');
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new InvalidArtifactKeyError(key, `path segment ${JSON.stringify(segment)}`);
    }
  }
}

/**
 * A pass-through that counts and hashes the bytes flowing to the store, so size and sha256 describe
 * exactly what was written, without a second read of the object.
 */
export class HashingPassThrough extends Transform {
  private readonly hash = createHash('sha256');
  private bytes = 0;

  override _transform(chunk: unknown, encoding: BufferEncoding, callback: TransformCallback): void {
    // Object-mode or string sources are normalised so the digest matches the bytes on the wire.
    const buf = Buffer.isBuffer(chunk)
      ? chunk
      : chunk instanceof Uint8Array
        ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
        : Buffer.from(String(chunk), encoding);
    this.hash.update(buf);
    this.bytes += buf.length;
    callback(null, buf);
  }

  /** Valid only after the stream has finished; calling it twice throws (digest is one-shot). */
  result(): StoredObject {
    return { size: this.bytes, sha256: this.hash.digest('hex') };
  }
}
