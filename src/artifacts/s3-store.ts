import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable, pipeline } from 'node:stream';
import {
  ArtifactNotFoundError,
  ArtifactStoreUnavailableError,
  HashingPassThrough,
  assertSafeKey,
  type ArtifactStore,
  type StoredObject,
} from './artifact-store.js';

export interface S3ArtifactStoreOptions {
  endpoint?: string;
  bucket: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle: boolean;
  /** Prepended to every key, e.g. `mlcycle/` when the bucket is shared. */
  prefix?: string;
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

export function createS3ArtifactStore(opts: S3ArtifactStoreOptions): ArtifactStore {
  const { bucket } = opts;
  const prefix = normalisePrefix(opts.prefix);
  const client = new S3Client({
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
        // linger and no object appears. (Bucket lifecycle rules should still expire orphans from
        // a process killed mid-upload.)
        leavePartsOnError: false,
      });
      try {
        await upload.done();
      } catch (err) {
        // A failure on the S3 side leaves the source paused; destroy it so the client's socket
        // (e.g. an incoming HTTP request) is released.
        hasher.destroy();
        // When the source failed, that is the root cause to report. lib-storage would otherwise
        // surface the AbortMultipartUpload error instead if the abort itself fails (s3rver 3.7
        // does not implement it and answers 405 — the object still never becomes visible).
        throw sourceError ?? err;
      }
      return hasher.result();
    },

    async get(key) {
      const Key = objectKey(key);
      try {
        const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key }));
        if (!(res.Body instanceof Readable)) {
          throw new Error('S3 GetObject returned a non-Node body; expected a Node.js runtime');
        }
        return { body: res.Body, size: res.ContentLength ?? 0 };
      } catch (err) {
        if (isNotFound(err)) throw new ArtifactNotFoundError(key, { cause: err });
        throw err;
      }
    },

    async exists(key) {
      const Key = objectKey(key);
      try {
        await client.send(new HeadObjectCommand({ Bucket: bucket, Key }));
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    },

    async delete(key) {
      // S3 answers 204 for a missing key, which makes this idempotent without a HEAD first.
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
    },

    async ping() {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }), {
          abortSignal: AbortSignal.timeout(PING_TIMEOUT_MS),
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
