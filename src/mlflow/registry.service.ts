import type { Actor } from '../actor.js';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { isUniqueViolation } from '../db/errors.js';
import type { EventsService } from '../events/events.service.js';
import { AppError, invalidField } from '../http/errors.js';
import { NAME_PATTERN, NAME_RULE } from '../http/schemas.js';
import type { AliasesService } from '../registry/aliases.service.js';
import type { ModelsService } from '../registry/models.service.js';
import type { ModelRow, RegistryRepository } from '../registry/registry.repository.js';
import type { Model, Version } from '../registry/registry.schemas.js';
import type { VersionsService } from '../registry/versions.service.js';
import type { RegistryViews } from '../registry/views.js';
import { type ArtifactReader, createRegistryReads, type RunLookup } from './registry.reads.js';
import { type Clause, matches, maxResults, orderComparator, paginate, parseFilter, parseOrderBy } from './filter.js';
import { loggedModelIdOf, modelVersionJson, ms, registeredModelJson, STAGES, stageAlias, stageOf, type KeyValue, tagRecord, versionNumber } from './mapping.js';

const NAME = new RegExp(NAME_PATTERN);

function requireName(value: unknown, field = 'name'): string {
  if (typeof value !== 'string' || value === '') throw invalidField(field, 'is required');
  if (!NAME.test(value)) throw invalidField(field, `must be ${NAME_RULE} (mlcycle's name rule)`);
  return value;
}

function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw invalidField(field, 'is required');
  return value;
}

type Log = (msg: string, err: unknown) => void;

export type { ArtifactReader, RunLookup };

/**
 * MLflow's model registry over mlcycle's own services: every write goes through the native
 * service (same transactions, same audit events, same alias cache), so either API sees the other's
 * changes at once.
 */
export function createMlflowRegistry(deps: {
  models: ModelsService;
  versions: VersionsService;
  aliases: AliasesService;
  repo: RegistryRepository;
  views: RegistryViews;
  events: EventsService;
  store: ArtifactStore;
  runs?: RunLookup;
  artifacts?: ArtifactReader;
  now?: () => Date;
  log?: Log;
}) {
  const { models, versions, aliases, repo, views, events, store } = deps;
  const now = deps.now ?? (() => new Date());
  const log: Log = deps.log ?? (() => undefined);

  const { latestOf, resolveSource, signatureFeatures, allModelRows, allVersionsOf } = createRegistryReads(deps);
  const registered = async (model: Model) => registeredModelJson(model, await latestOf(model));

  /**
   * MLflow edits one tag; the native services replace the set. Read-modify-write under the
   * model's lock (nested transactions join), so racing set-tag calls never lose each other's tag.
   */
  async function setModelTags(name: string, change: (tags: Record<string, string>) => void, actor: Actor | undefined) {
    await repo.transaction(async () => {
      const row = await views.lockModel(requireName(name));
      const tags = { ...((await repo.modelTags([row.id])).get(row.id) ?? {}) };
      change(tags);
      await models.update(name, { tags }, actor);
    });
  }

  async function setVersionTags(name: string, version: unknown, change: (tags: Record<string, string>) => void, actor: Actor | undefined) {
    const n = versionNumber(version);
    await repo.transaction(async () => {
      const row = await views.requireVersion(await views.lockModel(requireName(name)), n);
      const tags = { ...(await repo.versionDetails(row.id)).tags };
      change(tags);
      await versions.update(name, n, { tags }, actor);
    });
  }

  return {
    // ---- registered models
    async createRegisteredModel(body: { name?: unknown; description?: unknown; tags?: KeyValue[] }, actor: Actor | undefined) {
      const name = requireName(body.name);
      const created = await models.create(
        { name, ...(typeof body.description === 'string' && body.description !== '' ? { description: body.description } : {}), tags: tagRecord(body.tags) },
        actor,
      );
      return { registered_model: await registered(created) };
    },

    async getRegisteredModel(name: unknown) {
      return { registered_model: await registered(await models.get(requireName(name))) };
    },

    async updateRegisteredModel(body: { name?: unknown; description?: unknown }, actor: Actor | undefined) {
      const name = requireName(body.name);
      const description = typeof body.description === 'string' ? body.description || null : null;
      return { registered_model: await registered(await models.update(name, { description }, actor)) };
    },

    async renameRegisteredModel(body: { name?: unknown; new_name?: unknown }, actor: Actor | undefined) {
      const name = requireName(body.name);
      const newName = requireName(body.new_name, 'new_name');
      try {
        await repo.transaction(async () => {
          const model = await views.lockModel(name);
          await repo.updateModel(model.id, { name: newName, updatedAt: now().toISOString() });
          await events.record({ type: 'model.updated', model: { ...model, name: newName }, data: { renamedFrom: name, name: newName }, actor });
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppError('MODEL_EXISTS', `model "${newName}" already exists`);
        throw error;
      }
      return { registered_model: await registered(await models.get(newName)) };
    },

    async deleteRegisteredModel(name: unknown, actor: Actor | undefined) {
      await models.remove(requireName(name), actor, log);
      return {};
    },

    async searchRegisteredModels(q: { filter?: string; max_results?: unknown; page_token?: string; order_by?: string[] }) {
      const clauses = parseFilter(q.filter, { attributes: ['name'] });
      const limit = maxResults(q.max_results, 100, 1000);
      const order = parseOrderBy(q.order_by, ['name', 'creation_timestamp', 'last_updated_timestamp', 'timestamp']);
      const all = await views.modelViews(await allModelRows());
      const hits = all.filter((m) => matches(clauses, { attributes: { name: m.name }, tags: m.tags }));
      hits.sort(
        orderComparator([...order, { key: 'name', descending: false }], (m, key) =>
          key === 'name' ? m.name : key === 'creation_timestamp' ? ms(m.createdAt) : ms(m.updatedAt),
        ),
      );
      const { page, nextPageToken } = paginate(hits, limit, q.page_token);
      return { registered_models: await Promise.all(page.map(registered)), ...(nextPageToken ? { next_page_token: nextPageToken } : {}) };
    },

    setRegisteredModelTag: (body: { name?: unknown; key?: unknown; value?: unknown }, actor: Actor | undefined) =>
      setModelTags(
        body.name as string,
        (tags) => {
          tags[requireString(body.key, 'key')] = body.value === undefined ? '' : String(body.value);
        },
        actor,
      ).then(() => ({})),

    deleteRegisteredModelTag: (body: { name?: unknown; key?: unknown }, actor: Actor | undefined) =>
      setModelTags(
        body.name as string,
        (tags) => {
          delete tags[requireString(body.key, 'key')];
        },
        actor,
      ).then(() => ({})),

    async setAlias(body: { name?: unknown; alias?: unknown; version?: unknown }, actor: Actor | undefined) {
      await aliases.set(requireName(body.name), requireName(body.alias, 'alias'), versionNumber(body.version), actor);
      return {};
    },

    async deleteAlias(body: { name?: unknown; alias?: unknown }, actor: Actor | undefined) {
      await aliases.remove(requireName(body.name), requireName(body.alias, 'alias'), actor);
      return {};
    },

    async getByAlias(name: unknown, alias: unknown) {
      return { model_version: modelVersionJson(await aliases.resolve(requireName(name), requireName(alias, 'alias'))) };
    },

    async getLatestVersions(body: { name?: unknown; stages?: unknown }) {
      const model = await models.get(requireName(body.name));
      const wanted = Array.isArray(body.stages) && body.stages.length > 0 ? body.stages.map((s) => stageAlias(String(s)) ?? 'none') : undefined;
      const latest = await latestOf(model);
      const picked = wanted ? latest.filter((v) => wanted.includes(stageOf(v.aliases).toLowerCase())) : latest;
      return { model_versions: picked.map((v) => modelVersionJson(v)) };
    },

    // ---- model versions
    async createModelVersion(
      body: { name?: unknown; source?: unknown; run_id?: unknown; model_id?: unknown; description?: unknown; tags?: KeyValue[] },
      actor: Actor | undefined,
    ) {
      const name = requireName(body.name);
      const modelId =
        typeof body.model_id === 'string' && body.model_id !== '' ? body.model_id : loggedModelIdOf(typeof body.source === 'string' ? body.source : null);
      let runId = typeof body.run_id === 'string' && body.run_id !== '' ? body.run_id : undefined;
      if (modelId && !runId) runId = (await deps.runs?.loggedModel(modelId))?.sourceRunId ?? undefined;
      const source = typeof body.source === 'string' && body.source !== '' ? body.source : modelId ? `models:/${modelId}` : undefined;
      if (source !== undefined && source.length > 2048) throw invalidField('source', 'must be at most 2048 characters');
      const fromRun = runId ? await deps.runs?.runData(runId) : undefined;
      const { version } = await versions.create(
        name,
        {
          features: await signatureFeatures(source),
          ...(source !== undefined ? { artifactUri: source } : {}),
          ...(runId ? { runId } : {}),
          ...(typeof body.description === 'string' && body.description !== '' ? { description: body.description } : {}),
          tags: tagRecord(body.tags),
          ...(fromRun ? { params: fromRun.params, metrics: fromRun.metrics } : {}),
        },
        actor,
      );
      return { model_version: modelVersionJson(version) };
    },

    async getModelVersion(name: unknown, version: unknown) {
      return { model_version: modelVersionJson(await versions.get(requireName(name), versionNumber(version))) };
    },

    async updateModelVersion(body: { name?: unknown; version?: unknown; description?: unknown }, actor: Actor | undefined) {
      const description = typeof body.description === 'string' ? body.description || null : null;
      const v = await versions.update(requireName(body.name), versionNumber(body.version), { description }, actor);
      return { model_version: modelVersionJson(v) };
    },

    /** Deletes the row (its tags, params, metrics, aliases, reference and artifact rows cascade), then its stored objects. */
    async deleteModelVersion(body: { name?: unknown; version?: unknown }, actor: Actor | undefined) {
      const name = requireName(body.name);
      const n = versionNumber(body.version);
      const keys = await repo.transaction(async () => {
        const model = await views.lockModel(name);
        const row = await views.requireVersion(model, n);
        const storageKeys = await repo.storageKeysOfVersion(row.id);
        await repo.deleteVersion(row.id);
        await events.record({ type: 'version.deleted', model, data: { version: n }, actor });
        return storageKeys;
      });
      for (const key of keys) await store.delete(key).catch((err: unknown) => log(`could not delete object ${key} of a deleted version`, err));
      return {};
    },

    async searchModelVersions(q: { filter?: string; max_results?: unknown; page_token?: string; order_by?: string[] }) {
      const clauses = parseFilter(q.filter, {
        attributes: ['name', 'run_id', 'version_number', 'source_path', 'source', 'current_stage'],
        numeric: ['version_number'],
      });
      const limit = maxResults(q.max_results, 10_000, 200_000);
      const order = parseOrderBy(q.order_by, ['name', 'version_number', 'creation_timestamp', 'last_updated_timestamp']);
      const byName = clauses.find((c: Clause) => c.kind === 'attribute' && c.key === 'name' && c.op === '=');
      const rows = byName ? [await repo.findModel(byName.value)].filter((r): r is ModelRow => r !== undefined) : await allModelRows();
      const hits: Version[] = [];
      for (const row of rows) {
        for (const v of await allVersionsOf(row)) {
          const attributes = {
            name: v.model,
            run_id: v.runId ?? '',
            version_number: v.version,
            source_path: v.artifactUri ?? '',
            source: v.artifactUri ?? '',
            current_stage: stageOf(v.aliases),
          };
          if (matches(clauses, { attributes, tags: v.tags })) hits.push(v);
        }
      }
      hits.sort(
        orderComparator([...order, { key: 'name', descending: false }, { key: 'version_number', descending: true }], (v, key) =>
          key === 'name' ? v.model : key === 'version_number' ? v.version : key === 'creation_timestamp' ? ms(v.createdAt) : ms(v.updatedAt),
        ),
      );
      const { page, nextPageToken } = paginate(hits, limit, q.page_token);
      return { model_versions: page.map((v) => modelVersionJson(v)), ...(nextPageToken ? { next_page_token: nextPageToken } : {}) };
    },

    setModelVersionTag: (body: { name?: unknown; version?: unknown; key?: unknown; value?: unknown }, actor: Actor | undefined) =>
      setVersionTags(
        body.name as string,
        body.version,
        (tags) => {
          tags[requireString(body.key, 'key')] = body.value === undefined ? '' : String(body.value);
        },
        actor,
      ).then(() => ({})),

    deleteModelVersionTag: (body: { name?: unknown; version?: unknown; key?: unknown }, actor: Actor | undefined) =>
      setVersionTags(
        body.name as string,
        body.version,
        (tags) => {
          delete tags[requireString(body.key, 'key')];
        },
        actor,
      ).then(() => ({})),

    /**
     * A stage is an alias named after it: Production → `production`. Moving a version into a
     * stage moves the alias (the previous holder leaves the stage, or goes to `archived` with
     * archive_existing_versions); `None` removes every stage alias from the version.
     */
    async transitionStage(body: { name?: unknown; version?: unknown; stage?: unknown; archive_existing_versions?: unknown }, actor: Actor | undefined) {
      const name = requireName(body.name);
      const n = versionNumber(body.version);
      const alias = stageAlias(requireString(body.stage, 'stage'));
      // One transaction: a failed step leaves no half-moved stage.
      await repo.transaction(async () => {
        await views.lockModel(name);
        const current = await versions.get(name, n);
        if (alias === null) {
          for (const stage of STAGES) if (current.aliases.includes(stage.toLowerCase())) await aliases.remove(name, stage.toLowerCase(), actor);
          return;
        }
        const moved = await aliases.set(name, alias, n, actor);
        const previous = moved.previousVersion;
        if (body.archive_existing_versions === true && alias !== 'archived' && previous !== null && previous !== n) {
          await aliases.set(name, 'archived', previous, actor);
        }
        for (const stage of STAGES) {
          const other = stage.toLowerCase();
          if (other !== alias && current.aliases.includes(other)) await aliases.remove(name, other, actor);
        }
      });
      return { model_version: modelVersionJson(await versions.get(name, n)) };
    },

    /** Where the client downloads the version from: a logged model's artifact root, else the source as registered. */
    async getDownloadUri(name: unknown, version: unknown) {
      const v = await versions.get(requireName(name), versionNumber(version));
      return { artifact_uri: await resolveSource(v.artifactUri) };
    },
  };
}
export type MlflowRegistry = ReturnType<typeof createMlflowRegistry>;
