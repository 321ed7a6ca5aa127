import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Readable, pipeline } from 'node:stream';
import {
  ArtifactNotFoundError,
  ArtifactStoreUnavailableError,
  HashingPassThrough,
  assertSafeKey,
  type ArtifactStore,
  type StoredObject,
} from './artifact-store.js';
import { asUnavailable, deadline } from './timeouts.js';

export interface S3ArtifactStoreOptions {
  endpoint?: string;
  bucket: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle: boolean;
  /** Prepended to every key, e.g. `mlcycle/` when the bucket is shared. */
  prefix?: string;
  /**
   * Connect, per-attempt request and socket-idle timeout, and the deadline for the store to
   * answer once a request's input is complete (S3_REQUEST_TIMEOUT_MS). Default 30 s.
   */
  requestTimeoutMs?: number;
}

/**
 * Memory bound of an upload ≈ (QUEUE_SIZE + 1) × PART_SIZE (lib-storage holds one part per
 * in-flight request plus the one being assembled), ~40 MiB here, well under the 100 MB budget.
 * 8 MiB parts allow objects up to 80 GiB within S3's 10 000-part limit.
 */
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 3;
/** /readyz must answer quickly even when the endpoint black-holes packets. */
const PING_TIMEOUT_MS = 5_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export function createS3ArtifactStore(opts: S3ArtifactStoreOptions): ArtifactStore {
  const { bucket } = opts;
  const prefix = normalisePrefix(opts.prefix);
  const timeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const client = new S3Client({
    // Without these a frozen store holds every request forever (the SDK default is no timeout).
    requestHandler: new NodeHttpHandler({
      connectionTimeout: Math.min(timeoutMs, 10_000),
      requestTimeout: timeoutMs,
      throwOnRequestTimeout: true,
      socketTimeout: timeoutMs,
    }),
    region: opts.region,
    forcePathStyle: opts.forcePathStyle,
    ...(opts.endpoint !== undefined && { endpoint: opts.endpoint }),
    // Without explicit keys the SDK's default chain (env, profile, IMDS/IRSA) applies.
    ...(opts.accessKeyId !== undefined &&
      opts.secretAccessKey !== undefined && {
        credentials: { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey },
      }),
    // SDK ≥ 3.729 adds CRC32 checksums (and aws-chunked trailers for streams) to every upload by
    // default; many S3-compatible servers (s3rver, older MinIO, Ceph) reject or mis-store those.
    // Integrity is covered by our own sha256, so only send checksums where S3 demands them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

  function objectKey(key: string): string {
    assertSafeKey(key);
    return prefix + key;
  }

  return {
    kind: 's3',

    async put(key, body, putOpts): Promise<StoredObject> {
      const Key = objectKey(key);
      const hasher = new HashingPassThrough();
      // pipeline (not .pipe) so an error or premature close of the source destroys the hasher,
      // which makes lib-storage's read loop throw and abort the multipart upload.
      let sourceError: unknown;
      pipeline(body, hasher, (err) => {
        if (err) sourceError = err;
      });
      const upload = new Upload({
        client,
        params: {
          Bucket: bucket,
          Key,
          Body: hasher,
          ...(putOpts?.contentType !== undefined && { ContentType: putOpts.contentType }),
        },
        partSize: PART_SIZE,
        queueSize: QUEUE_SIZE,
        // Default, stated for the reader: failed uploads send AbortMultipartUpload so no parts
        // linger and no object appears. A process killed mid-upload leaves parts behind for
        // sweepIncomplete (and bucket lifecycle rules) to remove.
        leavePartsOnError: false,
      });
      // The caller going away abandons the upload at once, even when the store is answering.
      const onAbort = () => void upload.abort().catch(() => undefined);
      putOpts?.signal?.addEventListener('abort', onAbort, { once: true });
      // Once the whole body is in, the store has S3_REQUEST_TIMEOUT_MS to finish; the time the
      // client takes to send it is not the store's to answer for.
      let finishTimer: NodeJS.Timeout | undefined;
      let timedOut = false;
      hasher.once('end', () => {
        finishTimer = setTimeout(() => {
          timedOut = true;
          onAbort();
        }, timeoutMs);
        finishTimer.unref();
      });
      try {
        if (putOpts?.signal?.aborted) onAbort();
        await upload.done();
      } catch (err) {
        // A failure on the S3 side leaves the source paused; destroy it so the client's socket
        // (e.g. an incoming HTTP request) is released.
        hasher.destroy();
        // When the source failed, that is the root cause to report. lib-storage would otherwise
        // surface the AbortMultipartUpload error instead if the abort itself fails (s3rver 3.7
        // does not implement it and answers 405 — the object still never becomes visible).
        if (sourceError) throw sourceError;
        if (timedOut) throw new ArtifactStoreUnavailableError(`S3 did not complete the upload within ${timeoutMs} ms`, { cause: err });
        if (putOpts?.signal?.aborted) throw putOpts.signal.reason ?? err;
        throw asUnavailable(err, 'upload');
      } finally {
        clearTimeout(finishTimer);
        putOpts?.signal?.removeEventListener('abort', onAbort);
      }
      return hasher.result();
    },

    async get(key) {
      const Key = objectKey(key);
      // The deadline covers the store answering (headers); the body then streams under the
      // handler's socket-idle timeout, so a large download is never cut off for being large.
      const limit = deadline(timeoutMs);
      try {
        const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key }), { abortSignal: limit.signal });
        if (!(res.Body instanceof Readable)) {
          throw new Error('S3 GetObject returned a non-Node body; expected a Node.js runtime');
        }
        return { body: res.Body, size: res.ContentLength ?? 0 };
      } catch (err) {
        if (isNotFound(err)) throw new ArtifactNotFoundError(key, { cause: err });
        throw asUnavailable(err, 'download');
      } finally {
        limit.clear();
      }
    },

    async exists(key) {
      const Key = objectKey(key);
      try {
        await client.send(new HeadObjectCommand({ Bucket: bucket, Key }), { abortSignal: AbortSignal.timeout(timeoutMs) });
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw asUnavailable(err, 'exists');
      }
    },

    async delete(key) {
      // S3 answers 204 for a missing key, which makes this idempotent without a HEAD first.
      const Key = objectKey(key);
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key }), { abortSignal: AbortSignal.timeout(timeoutMs) }).catch((err: unknown) => {
        throw asUnavailable(err, 'delete');
      });
    },

    async *list(listPrefix) {
      let ContinuationToken: string | undefined;
      do {
        const res = await client
          .send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix + listPrefix, ContinuationToken }), { abortSignal: AbortSignal.timeout(timeoutMs) })
          .catch((err: unknown) => {
            throw asUnavailable(err, 'list');
          });
        for (const o of res.Contents ?? []) {
          if (o.Key === undefined || !o.Key.startsWith(prefix)) continue;
          yield { key: o.Key.slice(prefix.length), lastModified: o.LastModified ?? new Date() };
        }
        ContinuationToken = res.IsTruncated ? res.NextContinuationToken : undefined;
      } while (ContinuationToken);
    },

    async sweepIncomplete(olderThan) {
      let removed = 0;
      let KeyMarker: string | undefined;
      let UploadIdMarker: string | undefined;
      do {
        const res = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker, UploadIdMarker }), {
          abortSignal: AbortSignal.timeout(timeoutMs),
        });
        for (const u of res.Uploads ?? []) {
          if (!u.Key || !u.UploadId || !u.Initiated || u.Initiated >= olderThan) continue;
          await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }), {
            abortSignal: AbortSignal.timeout(timeoutMs),
          });
          removed++;
        }
        [KeyMarker, UploadIdMarker] = res.IsTruncated ? [res.NextKeyMarker, res.NextUploadIdMarker] : [undefined, undefined];
      } while (KeyMarker !== undefined);
      return removed;
    },

    async ping() {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }), {
          abortSignal: AbortSignal.timeout(Math.min(PING_TIMEOUT_MS, timeoutMs)),
        });
      } catch (err) {
        throw new ArtifactStoreUnavailableError(`S3 bucket "${bucket}" is not reachable: ${describe(err)}`, {
          cause: err,
        });
      }
    },
  };
}

/** `mlcycle`, `/mlcycle/` and `mlcycle/` all mean the same folder-like prefix. */
function normalisePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}

/** GetObject reports NoSuchKey; HEAD responses have no body, so the SDK only knows "NotFound"/404. */
function isNotFound(err: unknown): boolean {
  if (err instanceof S3ServiceException) {
    return err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata.httpStatusCode === 404;
  }
  return false;
}

function describe(err: unknown): string {
  if (err instanceof S3ServiceException) return `${err.name} (HTTP ${err.$metadata.httpStatusCode ?? '?'})`;
  if (err instanceof Error) return err.name === 'Error' ? err.message : `${err.name}: ${err.message}`;
  return String(err);
}
