import { AppError } from '../http/errors.js';
import type { ModelRow, RegistryRepository, VersionRow } from './registry.repository.js';
import type { Model, Version } from './registry.schemas.js';

/** Lookups and read models shared by the registry services. */
export function createRegistryViews(repo: RegistryRepository) {
  function requireModel(name: string): ModelRow {
    const model = repo.findModel(name);
    if (!model) throw new AppError('MODEL_NOT_FOUND', `model "${name}" does not exist`);
    return model;
  }

  function requireVersion(model: ModelRow, version: number): VersionRow {
    const row = repo.findVersion(model.id, version);
    if (!row) throw new AppError('VERSION_NOT_FOUND', `model "${model.name}" has no version ${version}`);
    return row;
  }

  function modelViews(rows: ModelRow[]): Model[] {
    const tags = repo.modelTags(rows.map((r) => r.id));
    return rows.map((row) => ({
      name: row.name,
      description: row.description,
      tags: tags.get(row.id) ?? {},
      latestVersion: row.lastVersion > 0 ? row.lastVersion : null,
      aliases: Object.fromEntries(repo.aliasesOfModel(row.id).map((a) => [a.alias, a.version])),
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    }));
  }

  function versionView(model: ModelRow, row: VersionRow): Version {
    const details = repo.versionDetails(row.id);
    return {
      model: model.name,
      version: row.version,
      description: row.description,
      features: row.features,
      artifactUri: row.artifactUri,
      runId: row.runId,
      gitCommit: row.gitCommit,
      parentVersion: row.parentVersion,
      tags: details.tags,
      params: details.params,
      metrics: details.metrics,
      aliases: details.aliases,
      createdBy: row.createdBy,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }

  return { requireModel, requireVersion, modelView: (row: ModelRow) => modelViews([row])[0] as Model, modelViews, versionView };
}
export type RegistryViews = ReturnType<typeof createRegistryViews>;
