import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ArtifactNotFoundError, type ArtifactStore } from '../artifacts/artifact-store.js';
import { AppError } from '../http/errors.js';
import { validateArtifactPath } from '../registry/artifact-path.js';
import type { TrackingRepository } from './tracking.repository.js';

/**
 * MLflow's proxied artifact store (`mlflow-artifacts:/<path>`) over mlcycle's ArtifactStore (fs or
 * S3). Same integrity rule as the registry's artifacts: stream the bytes to a fresh key (size and
 * sha256 computed on the way), commit the row, then delete the replaced object. Keys live under
 * `mlflow/`, a prefix with its own orphan sweeper (server.ts), apart from the registry's.
 */
export const MLFLOW_KEY_PREFIX = 'mlflow/';
const LIST_MAX = 10_000;

type Log = (msg: string, err: unknown) => void;

export function createMlflowArtifacts(deps: { repo: TrackingRepository; store: ArtifactStore; now?: () => Date; log?: Log }) {
  const { repo, store } = deps;
  const now = deps.now ?? (() => new Date());
  const log: Log = deps.log ?? (() => undefined);

  return {
    async upload(rawPath: string, body: Readable, contentType: string, signal?: AbortSignal): Promise<{ path: string; size: number; sha256: string }> {
      const path = validateArtifactPath(rawPath);
      const storageKey = `${MLFLOW_KEY_PREFIX}${randomUUID()}`;
      const stored = await store.put(storageKey, body, { contentType, ...(signal ? { signal } : {}) });
      let previous: string | undefined;
      try {
        if (signal?.aborted) throw new AppError('VALIDATION_FAILED', 'the client closed the connection before the upload completed');
        previous = await repo.transaction(async () => {
          const old = (await repo.artifact(path))?.storageKey;
          await repo.upsertArtifact({ path, storageKey, size: stored.size, sha256: stored.sha256, contentType, createdAt: now().toISOString() });
          return old;
        });
      } catch (error) {
        await store.delete(storageKey).catch((e: unknown) => log(`could not delete uncommitted MLflow artifact ${storageKey}`, e));
        throw error;
      }
      if (previous && previous !== storageKey)
        await store.delete(previous).catch((e: unknown) => log(`could not delete replaced MLflow artifact ${previous}`, e));
      return { path, size: stored.size, sha256: stored.sha256 };
    },

    async download(rawPath: string): Promise<{ body: Readable; size: number; sha256: string; contentType: string }> {
      const path = validateArtifactPath(rawPath);
      // Two tries: an overwrite may delete the object between reading the row and opening it.
      for (let attempt = 0; attempt < 2; attempt++) {
        const row = await repo.artifact(path);
        if (!row) break;
        try {
          const object = await store.get(row.storageKey);
          return { body: object.body, size: row.size, sha256: row.sha256, contentType: row.contentType };
        } catch (error) {
          if (!(error instanceof ArtifactNotFoundError) || attempt > 0) throw error;
        }
      }
      throw new AppError('ARTIFACT_NOT_FOUND', `no artifact at mlflow-artifacts:/${path}`);
    },

    /** The direct children of a directory: files with their size, directories without (MLflow's ListArtifacts). */
    async list(rawPath: string | undefined) {
      const prefix = rawPath === undefined || rawPath === '' || rawPath === '/' ? '' : validateArtifactPath(rawPath.replace(/\/+$/, ''));
      const rows = await repo.artifactsUnder(prefix, LIST_MAX);
      const start = prefix === '' ? 0 : prefix.length + 1;
      const files: { path: string; is_dir: boolean; file_size?: number }[] = [];
      const dirs = new Set<string>();
      for (const row of rows) {
        const rest = row.path.slice(start);
        const slash = rest.indexOf('/');
        if (slash < 0) files.push({ path: rest, is_dir: false, file_size: row.size });
        else if (!dirs.has(rest.slice(0, slash))) {
          dirs.add(rest.slice(0, slash));
          files.push({ path: rest.slice(0, slash), is_dir: true });
        }
      }
      files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      return { files };
    },

    async remove(rawPath: string): Promise<void> {
      const path = validateArtifactPath(rawPath);
      const under = await repo.artifactsUnder(path, LIST_MAX);
      const self = await repo.artifact(path);
      const rows = self ? [self, ...under] : under;
      if (rows.length === 0) throw new AppError('ARTIFACT_NOT_FOUND', `no artifact at mlflow-artifacts:/${path}`);
      await repo.transaction(async () => {
        for (const r of rows) await repo.deleteArtifact(r.path);
      });
      for (const r of rows) await store.delete(r.storageKey).catch((e: unknown) => log(`could not delete MLflow artifact ${r.storageKey}`, e));
    },

    /** What the `mlflow/` sweeper must keep: every object a row points at. */
    async referencedStorageKeys(): Promise<Set<string>> {
      return new Set(await repo.allArtifactKeys());
    },

    /** Bytes of a small file, or undefined (used to read a logged model's MLmodel signature). */
    async readSmall(path: string, maxBytes: number): Promise<Buffer | undefined> {
      const row = await repo.artifact(path);
      if (!row || row.size > maxBytes) return undefined;
      const { body } = await store.get(row.storageKey);
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
  };
}
export type MlflowArtifacts = ReturnType<typeof createMlflowArtifacts>;
