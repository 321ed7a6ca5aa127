import type { Actor } from '../actor.js';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { isUniqueViolation } from '../db/errors.js';
import type { EventsService } from '../events/events.service.js';
import { AppError } from '../http/errors.js';
import { decodeCursor, toPage } from '../http/pagination.js';
import type { RegistryRepository } from './registry.repository.js';
import type { CreateModelBody, ListModelsQuery, Model, PatchBody } from './registry.schemas.js';
import type { RegistryViews } from './views.js';

export function createModelsService(deps: { repo: RegistryRepository; views: RegistryViews; events: EventsService; store: ArtifactStore; now?: () => Date }) {
  const { repo, views, events, store } = deps;
  const now = deps.now ?? (() => new Date());

  return {
    async create(input: CreateModelBody, actor: Actor | undefined): Promise<Model> {
      const at = now().toISOString();
      try {
        const row = await repo.transaction(async () => {
          const model = await repo.insertModel({ name: input.name, description: input.description ?? null, createdAt: at, updatedAt: at });
          await repo.setModelTags(model.id, input.tags ?? {});
          await events.record({ type: 'model.created', model, data: { description: model.description, tags: input.tags ?? {} }, actor });
          return model;
        });
        return views.modelView(row);
      } catch (error) {
        // The unique index, not a prior SELECT, decides: two racing creates get one 201 and one 409.
        if (isUniqueViolation(error)) throw new AppError('MODEL_EXISTS', `model "${input.name}" already exists`);
        throw error;
      }
    },

    async get(name: string): Promise<Model> {
      return views.modelView(await views.requireModel(name));
    },

    async list(query: ListModelsQuery) {
      const after = decodeCursor<string>(query.cursor, 'string');
      const tags = (query.tag ?? []).map((t): [string, string] => {
        const i = t.indexOf(':');
        return [t.slice(0, i), t.slice(i + 1)];
      });
      const rows = await repo.listModels({ limit: query.limit + 1, after, text: query.q, tags });
      const page = toPage(rows, query.limit, (r) => r.name);
      return { items: await views.modelViews(page.items), nextCursor: page.nextCursor };
    },

    async events(name: string, query: { limit: number; cursor?: string; type?: string }) {
      return events.listForModel((await views.requireModel(name)).id, query);
    },

    async update(name: string, patch: PatchBody, actor: Actor | undefined): Promise<Model> {
      const row = await repo.transaction(async () => {
        const model = await views.lockModel(name);
        const changes: Record<string, unknown> = { updatedAt: now().toISOString() };
        if (patch.description !== undefined) changes.description = patch.description;
        await repo.updateModel(model.id, changes);
        if (patch.tags !== undefined) await repo.setModelTags(model.id, patch.tags);
        await events.record({ type: 'model.updated', model, data: { ...patch }, actor });
        return (await repo.findModel(name))!;
      });
      return views.modelView(row);
    },

    /** Deletes the model and, after the rows are gone, its stored artifacts (best effort). */
    async remove(name: string, actor: Actor | undefined, log: (msg: string, err: unknown) => void): Promise<void> {
      const keys = await repo.transaction(async () => {
        const model = await views.lockModel(name);
        const storageKeys = await repo.storageKeysOfModel(model.id);
        await repo.deleteModel(model.id);
        await events.record({ type: 'model.deleted', model, data: { versions: model.lastVersion, artifacts: storageKeys.length }, actor });
        return storageKeys;
      });
      // An orphaned object costs storage, a dangling row would serve 500s: delete rows first.
      for (const key of keys) {
        await store.delete(key).catch((err: unknown) => log(`could not delete artifact ${key}`, err));
      }
    },
  };
}
export type ModelsService = ReturnType<typeof createModelsService>;
