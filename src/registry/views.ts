import { AppError } from '../http/errors.js';
import type { ModelRow, RegistryRepository, VersionRow } from './registry.repository.js';
import type { Model, Version } from './registry.schemas.js';

/** Lookups and read models shared by the registry services. */
export function createRegistryViews(repo: RegistryRepository) {
  async function requireModel(name: string): Promise<ModelRow> {
    const model = await repo.findModel(name);
    if (!model) throw new AppError('MODEL_NOT_FOUND', `model "${name}" does not exist`);
    return model;
  }

  /** requireModel, with the row locked for the rest of the transaction (see repo.lockModel). */
  async function lockModel(name: string): Promise<ModelRow> {
    const model = await repo.lockModel(name);
    if (!model) throw new AppError('MODEL_NOT_FOUND', `model "${name}" does not exist`);
    return model;
  }

  async function requireVersion(model: ModelRow, version: number): Promise<VersionRow> {
    const row = await repo.findVersion(model.id, version);
    if (!row) throw new AppError('VERSION_NOT_FOUND', `model "${model.name}" has no version ${version}`);
    return row;
  }

  async function modelViews(rows: ModelRow[]): Promise<Model[]> {
    const tags = await repo.modelTags(rows.map((r) => r.id));
    const aliasLists = await Promise.all(rows.map((r) => repo.aliasesOfModel(r.id)));
    return rows.map((row, i) => ({
      name: row.name,
      description: row.description,
      tags: tags.get(row.id) ?? {},
      latestVersion: row.lastVersion > 0 ? row.lastVersion : null,
      aliases: Object.fromEntries(aliasLists[i]!.map((a) => [a.alias, a.version])),
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    }));
  }

  async function versionView(model: ModelRow, row: VersionRow): Promise<Version> {
    const [details, reference] = await Promise.all([repo.versionDetails(row.id), repo.referenceOf(row.id)]);
    return {
      model: model.name,
      version: row.version,
      description: row.description,
      features: row.features,
      artifactUri: row.artifactUri,
      runId: row.runId,
      gitCommit: row.gitCommit,
      parentVersion: row.parentVersion,
      task: row.task ?? null,
      tags: details.tags,
      params: details.params,
      metrics: details.metrics,
      aliases: details.aliases,
      reference: reference ? { ...reference, source: reference.source as 'uploaded' | 'trainer-output' | 'training-data' } : null,
      createdBy: row.createdBy,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }

  return { requireModel, lockModel, requireVersion, modelView: async (row: ModelRow) => (await modelViews([row]))[0] as Model, modelViews, versionView };
}
export type RegistryViews = ReturnType<typeof createRegistryViews>;
