import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Actor } from '../actor.js';
import { ArtifactNotFoundError, type ArtifactStore } from '../artifacts/artifact-store.js';
import type { EventsService } from '../events/events.service.js';
import { AppError } from '../http/errors.js';
import { decodeCursor, toPage } from '../http/pagination.js';
import { ancestorsOf, validateArtifactPath } from './artifact-path.js';
import type { ArtifactRow, RegistryRepository } from './registry.repository.js';
import type { Artifact } from './registry.schemas.js';
import type { RegistryViews } from './views.js';

/**
 * Every upload gets a fresh, opaque storage key under this prefix; the user's path lives only in
 * the row. So an overwrite never touches the bytes the current row describes, and user paths can
 * never collide with each other as files and directories in the store.
 */
export const ARTIFACT_KEY_PREFIX = 'artifacts/';

const view = (row: ArtifactRow): Artifact => ({ path: row.path, size: row.size, sha256: row.sha256, contentType: row.contentType, createdAt: row.createdAt });

type Log = (msg: string, err: unknown) => void;

export function createArtifactsService(deps: {
  repo: RegistryRepository;
  views: RegistryViews;
  events: EventsService;
  store: ArtifactStore;
  now?: () => Date;
  log?: Log;
}) {
  const { repo, views, events, store } = deps;
  const now = deps.now ?? (() => new Date());
  const log: Log = deps.log ?? (() => undefined);

  async function assertNoPathConflict(versionId: number, path: string): Promise<void> {
    const other = await repo.findArtifactPathConflict(versionId, path, ancestorsOf(path));
    if (other !== undefined) {
      throw new AppError('ARTIFACT_PATH_CONFLICT', `"${path}" and the existing artifact "${other}" would be both a file and a directory`, [
        { path: 'path', message: `conflicts with "${other}"` },
      ]);
    }
  }

  return {
    /**
     * Integrity invariant: the row always describes the bytes under its storage key. So: stream
     * the body to a fresh key (no transaction spans network I/O), commit the row pointing at it,
     * and only then delete the previous object. A failed commit deletes the new object; a crash
     * at any point leaves at worst an unreferenced object, which the sweeper collects.
     */
    async upload(
      name: string,
      version: number,
      rawPath: string,
      body: Readable,
      contentType: string,
      actor: Actor | undefined,
      signal?: AbortSignal,
    ): Promise<Artifact> {
      const path = validateArtifactPath(rawPath);
      const model = await views.requireModel(name);
      const versionRow = await views.requireVersion(model, version);
      // Fail before streaming a possibly large body; re-checked in the transaction.
      await assertNoPathConflict(versionRow.id, path);
      const storageKey = `${ARTIFACT_KEY_PREFIX}${model.id}/${version}/${randomUUID()}`;
      const stored = await store.put(storageKey, body, { contentType, ...(signal ? { signal } : {}) });
      let result: { row: ArtifactRow; previousKey: string | undefined } | undefined;
      try {
        // The client gave up while the store was finishing: it was told nothing, so commit nothing.
        if (signal?.aborted) throw new AppError('VALIDATION_FAILED', 'the client closed the connection before the upload completed');
        result = await repo.transaction(async () => {
          // Re-check: the model may have been deleted while the bytes were streaming.
          const current = await repo.findModel(name);
          const currentVersion = current && current.id === model.id ? await repo.findVersion(model.id, version) : undefined;
          if (!currentVersion) return undefined;
          const other = await repo.findArtifactPathConflict(currentVersion.id, path, ancestorsOf(path));
          if (other !== undefined)
            throw new AppError('ARTIFACT_PATH_CONFLICT', `"${path}" and the existing artifact "${other}" would be both a file and a directory`, [
              { path: 'path', message: `conflicts with "${other}"` },
            ]);
          const previousKey = (await repo.findArtifact(currentVersion.id, path))?.storageKey;
          const createdAt = now().toISOString();
          await repo.upsertArtifact({ versionId: currentVersion.id, path, storageKey, size: stored.size, sha256: stored.sha256, contentType, createdAt });
          await events.record({ type: 'artifact.uploaded', model, data: { version, path, size: stored.size, sha256: stored.sha256 }, actor });
          return { row: (await repo.findArtifact(currentVersion.id, path))!, previousKey };
        });
      } catch (err) {
        await store.delete(storageKey).catch((e: unknown) => log(`could not delete uncommitted artifact object ${storageKey}`, e));
        throw err;
      }
      if (!result) {
        await store.delete(storageKey).catch((e: unknown) => log(`could not delete artifact object ${storageKey}`, e));
        throw new AppError('VERSION_NOT_FOUND', `model "${name}" version ${version} was deleted during the upload`);
      }
      if (result.previousKey !== undefined && result.previousKey !== storageKey) {
        // Unreferenced now; if this fails (or the process dies here) the sweeper removes it later.
        await store.delete(result.previousKey).catch((e: unknown) => log(`could not delete replaced artifact object ${result.previousKey}`, e));
      }
      return view(result.row);
    },

    async download(name: string, version: number, rawPath: string): Promise<{ artifact: Artifact; body: Readable }> {
      const path = validateArtifactPath(rawPath);
      const model = await views.requireModel(name);
      const versionRow = await views.requireVersion(model, version);
      let row = await repo.findArtifact(versionRow.id, path);
      // Two tries: an overwrite committed between reading the row and opening its object deletes
      // the old object; the second read sees the new row.
      for (let attempt = 0; row; attempt++) {
        try {
          const object = await store.get(row.storageKey);
          return { artifact: view(row), body: object.body };
        } catch (error) {
          if (!(error instanceof ArtifactNotFoundError)) throw error;
          const again = await repo.findArtifact(versionRow.id, path);
          if (attempt > 0 || !again || again.storageKey === row.storageKey) {
            throw new AppError('ARTIFACT_NOT_FOUND', `the bytes of "${path}" are missing from the artifact store`);
          }
          row = again;
        }
      }
      throw new AppError('ARTIFACT_NOT_FOUND', `version ${version} of "${name}" has no artifact "${path}"`);
    },

    async list(name: string, version: number, query: { limit: number; cursor?: string }) {
      const model = await views.requireModel(name);
      const versionRow = await views.requireVersion(model, version);
      const after = decodeCursor<string>(query.cursor, 'string');
      const page = toPage(await repo.listArtifacts(versionRow.id, query.limit + 1, after), query.limit, (r) => r.path);
      return { items: page.items.map(view), nextCursor: page.nextCursor };
    },

    /** What the sweeper must keep: every object a row points at. */
    async referencedStorageKeys(): Promise<Set<string>> {
      return new Set(await repo.allStorageKeys());
    },
  };
}
export type ArtifactsService = ReturnType<typeof createArtifactsService>;
