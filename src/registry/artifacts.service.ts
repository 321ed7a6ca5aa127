import type { Readable } from 'node:stream';
import type { Actor } from '../auth/api-keys.service.js';
import { ArtifactNotFoundError, type ArtifactStore } from '../artifacts/artifact-store.js';
import type { EventsService } from '../events/events.service.js';
import { AppError } from '../http/errors.js';
import { decodeCursor, toPage } from '../http/pagination.js';
import { validateArtifactPath } from './artifact-path.js';
import type { ArtifactRow, RegistryRepository } from './registry.repository.js';
import type { Artifact } from './registry.schemas.js';
import type { RegistryViews } from './views.js';

const view = (row: ArtifactRow): Artifact => ({ path: row.path, size: row.size, sha256: row.sha256, contentType: row.contentType, createdAt: row.createdAt });

export function createArtifactsService(deps: { repo: RegistryRepository; views: RegistryViews; events: EventsService; store: ArtifactStore; now?: () => Date }) {
  const { repo, views, events, store } = deps;
  const now = deps.now ?? (() => new Date());

  return {
    /**
     * Streams the body into the store first, then records the row: a SQLite transaction must
     * not span network I/O, and a row must never point at bytes that are not there.
     */
    async upload(name: string, version: number, rawPath: string, body: Readable, contentType: string, actor: Actor | undefined): Promise<Artifact> {
      const path = validateArtifactPath(rawPath);
      const model = await views.requireModel(name);
      await views.requireVersion(model, version);
      const storageKey = `models/${model.id}/versions/${version}/${path}`;
      const stored = await store.put(storageKey, body, { contentType });
      const row = await repo.transaction(async () => {
        // Re-check: the model may have been deleted while the bytes were streaming.
        const current = await repo.findModel(name);
        const versionRow = current && current.id === model.id ? await repo.findVersion(model.id, version) : undefined;
        if (!versionRow) return undefined;
        const createdAt = now().toISOString();
        await repo.upsertArtifact({ versionId: versionRow.id, path, storageKey, size: stored.size, sha256: stored.sha256, contentType, createdAt });
        await events.record({ type: 'artifact.uploaded', model, data: { version, path, size: stored.size, sha256: stored.sha256 }, actor });
        return (await repo.findArtifact(versionRow.id, path))!;
      });
      if (!row) {
        await store.delete(storageKey).catch(() => undefined);
        throw new AppError('VERSION_NOT_FOUND', `model "${name}" version ${version} was deleted during the upload`);
      }
      return view(row);
    },

    async download(name: string, version: number, rawPath: string): Promise<{ artifact: Artifact; body: Readable }> {
      const path = validateArtifactPath(rawPath);
      const model = await views.requireModel(name);
      const versionRow = await views.requireVersion(model, version);
      const row = await repo.findArtifact(versionRow.id, path);
      if (!row) throw new AppError('ARTIFACT_NOT_FOUND', `version ${version} of "${name}" has no artifact "${path}"`);
      try {
        const object = await store.get(row.storageKey);
        return { artifact: view(row), body: object.body };
      } catch (error) {
        if (error instanceof ArtifactNotFoundError) throw new AppError('ARTIFACT_NOT_FOUND', `the bytes of "${path}" are missing from the artifact store`);
        throw error;
      }
    },

    async list(name: string, version: number, query: { limit: number; cursor?: string }) {
      const model = await views.requireModel(name);
      const versionRow = await views.requireVersion(model, version);
      const after = decodeCursor<string>(query.cursor, 'string');
      const page = toPage(await repo.listArtifacts(versionRow.id, query.limit + 1, after), query.limit, (r) => r.path);
      return { items: page.items.map(view), nextCursor: page.nextCursor };
    },
  };
}
export type ArtifactsService = ReturnType<typeof createArtifactsService>;
