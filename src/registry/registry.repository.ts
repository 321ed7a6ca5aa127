import { and, asc, desc, eq, gt, inArray, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { aliases, artifacts, idempotencyKeys, models, modelTags, versionMetrics, versionParams, versions, versionTags } from '../db/schema.js';

export type ModelRow = typeof models.$inferSelect;
export type VersionRow = typeof versions.$inferSelect;
export type MetricRow = typeof versionMetrics.$inferSelect;
export type ArtifactRow = typeof artifacts.$inferSelect;

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Data access for the registry. Synchronous (better-sqlite3), so it composes inside transactions.
 * The reads behind alias resolution and version views are the service's hot path: they are
 * prepared once as plain statements (drizzle's query builder costs ~0.1 ms per call there).
 */
export function createRegistryRepository(db: Db) {
  const hot = {
    // Raw rows: the cache check needs two integers, not a mapped object.
    modelRevision: db.$client.prepare<[string], [number, number]>('select id, revision from models where name = ?').raw(),
    modelByName: db.$client.prepare<[string], Record<string, unknown>>(
      'select id, name, description, last_version as lastVersion, revision, created_at as createdAt, updated_at as updatedAt from models where name = ?',
    ),
    versionById: db.$client.prepare<[number], Record<string, unknown>>(
      `select id, model_id as modelId, version, description, features, artifact_uri as artifactUri, run_id as runId, git_commit as gitCommit,
              parent_version as parentVersion, created_by as createdBy, created_at as createdAt, updated_at as updatedAt from versions where id = ?`,
    ),
    // Everything a version view adds (metrics: the latest point per key, by step then newest row) to the row, in one statement rather than four round trips.
    versionDetails: db.$client.prepare<[{ id: number }], { tags: string; params: string; metrics: string; aliases: string }>(
      `select
         (select json_group_object(key, value) from version_tags where version_id = @id) as tags,
         (select json_group_object(key, value) from version_params where version_id = @id) as params,
         (select json_group_object(key, value) from (
            select key, value, row_number() over (partition by key order by step desc, id desc) as rn
            from version_metrics where version_id = @id) where rn = 1) as metrics,
         (select json_group_array(alias) from (select alias from aliases where version_id = @id order by alias)) as aliases`,
    ),
    aliasTargetVersion: db.$client.prepare<[number, string], Record<string, unknown>>(
      `select v.id, v.model_id as modelId, v.version, v.description, v.features, v.artifact_uri as artifactUri, v.run_id as runId,
              v.git_commit as gitCommit, v.parent_version as parentVersion, v.created_by as createdBy, v.created_at as createdAt,
              v.updated_at as updatedAt
         from aliases a join versions v on v.id = a.version_id where a.model_id = ? and a.alias = ?`,
    ),
    aliasesOfModel: db.$client.prepare<[number], { alias: string; version: number }>(
      'select a.alias as alias, v.version as version from aliases a join versions v on v.id = a.version_id where a.model_id = ? order by a.alias',
    ),
  };
  const toVersionRow = (row: Record<string, unknown> | undefined): VersionRow | undefined =>
    row ? ({ ...row, features: JSON.parse(row.features as string) } as VersionRow) : undefined;

  return {
    transaction<T>(fn: () => T): T {
      // IMMEDIATE takes the write lock up front: two processes numbering versions queue, never deadlock.
      return db.transaction(() => fn(), { behavior: 'immediate' });
    },

    // --- models
    /** [id, revision] of a model: what a cached read is validated against. */
    modelRevision(name: string): [id: number, revision: number] | undefined {
      return hot.modelRevision.get(name);
    },
    findModel(name: string): ModelRow | undefined {
      return hot.modelByName.get(name) as ModelRow | undefined;
    },
    insertModel(row: typeof models.$inferInsert): ModelRow {
      return db.insert(models).values(row).returning().get();
    },
    updateModel(id: number, patch: Partial<typeof models.$inferInsert>): void {
      db.update(models).set(patch).where(eq(models.id, id)).run();
    },
    deleteModel(id: number): void {
      db.delete(models).where(eq(models.id, id)).run();
    },
    listModels(q: { limit: number; after?: string; text?: string; tags: [string, string][] }): ModelRow[] {
      const conditions = [
        q.after !== undefined ? gt(models.name, q.after) : undefined,
        q.text
          ? or(
              sql`${models.name} like ${`%${escapeLike(q.text)}%`} escape '\\'`,
              sql`${models.description} like ${`%${escapeLike(q.text)}%`} escape '\\'`,
            )
          : undefined,
        ...q.tags.map(
          ([k, v]) =>
            sql`exists (select 1 from ${modelTags} where ${modelTags.modelId} = ${models.id} and ${modelTags.key} = ${k} and ${modelTags.value} = ${v})`,
        ),
      ];
      return db.select().from(models).where(and(...conditions)).orderBy(asc(models.name)).limit(q.limit).all();
    },
    /** Bumps and returns the model's version counter; inside the caller's transaction. */
    nextVersionNumber(modelId: number): number {
      const row = db
        .update(models)
        .set({ lastVersion: sql`${models.lastVersion} + 1` })
        .where(eq(models.id, modelId))
        .returning({ lastVersion: models.lastVersion })
        .get();
      return row!.lastVersion;
    },

    // --- tags and params (replace-all semantics)
    modelTags(modelIds: number[]): Map<number, Record<string, string>> {
      const out = new Map<number, Record<string, string>>(modelIds.map((id) => [id, {}]));
      if (modelIds.length === 0) return out;
      for (const r of db.select().from(modelTags).where(inArray(modelTags.modelId, modelIds)).all()) out.get(r.modelId)![r.key] = r.value;
      return out;
    },
    setModelTags(modelId: number, tags: Record<string, string>): void {
      db.delete(modelTags).where(eq(modelTags.modelId, modelId)).run();
      const rows = Object.entries(tags).map(([key, value]) => ({ modelId, key, value }));
      if (rows.length) db.insert(modelTags).values(rows).run();
    },
    setVersionTags(versionId: number, tags: Record<string, string>): void {
      db.delete(versionTags).where(eq(versionTags.versionId, versionId)).run();
      const rows = Object.entries(tags).map(([key, value]) => ({ versionId, key, value }));
      if (rows.length) db.insert(versionTags).values(rows).run();
    },
    insertVersionParams(versionId: number, params: Record<string, string>): void {
      const rows = Object.entries(params).map(([key, value]) => ({ versionId, key, value }));
      if (rows.length) db.insert(versionParams).values(rows).run();
    },

    // --- versions
    insertVersion(row: typeof versions.$inferInsert): VersionRow {
      return db.insert(versions).values(row).returning().get();
    },
    findVersion(modelId: number, version: number): VersionRow | undefined {
      return db.select().from(versions).where(and(eq(versions.modelId, modelId), eq(versions.version, version))).get();
    },
    findVersionById(id: number): VersionRow | undefined {
      return toVersionRow(hot.versionById.get(id));
    },
    latestVersion(modelId: number): VersionRow | undefined {
      return db.select().from(versions).where(eq(versions.modelId, modelId)).orderBy(desc(versions.version)).limit(1).get();
    },
    listVersions(modelId: number, limit: number, before?: number): VersionRow[] {
      return db
        .select()
        .from(versions)
        .where(and(eq(versions.modelId, modelId), before !== undefined ? lt(versions.version, before) : undefined))
        .orderBy(desc(versions.version))
        .limit(limit)
        .all();
    },
    updateVersion(id: number, patch: Partial<typeof versions.$inferInsert>): void {
      db.update(versions).set(patch).where(eq(versions.id, id)).run();
    },

    // --- metrics
    insertMetrics(rows: (typeof versionMetrics.$inferInsert)[]): void {
      if (rows.length) db.insert(versionMetrics).values(rows).run();
    },
    listMetrics(versionId: number, limit: number, afterId?: number, key?: string): MetricRow[] {
      return db
        .select()
        .from(versionMetrics)
        .where(and(eq(versionMetrics.versionId, versionId), afterId !== undefined ? gt(versionMetrics.id, afterId) : undefined, key ? eq(versionMetrics.key, key) : undefined))
        .orderBy(asc(versionMetrics.id))
        .limit(limit)
        .all();
    },

    // --- aliases
    aliasesOfModel(modelId: number): { alias: string; version: number }[] {
      return hot.aliasesOfModel.all(modelId);
    },
    /** The version an alias points at, in one join. */
    findAliasTarget(modelId: number, alias: string): VersionRow | undefined {
      return toVersionRow(hot.aliasTargetVersion.get(modelId, alias));
    },
    versionDetails(versionId: number): { tags: Record<string, string>; params: Record<string, string>; metrics: Record<string, number>; aliases: string[] } {
      const row = hot.versionDetails.get({ id: versionId })!;
      return { tags: JSON.parse(row.tags), params: JSON.parse(row.params), metrics: JSON.parse(row.metrics), aliases: JSON.parse(row.aliases) };
    },
    upsertAlias(modelId: number, alias: string, versionId: number, at: string): void {
      db.insert(aliases)
        .values({ modelId, alias, versionId, updatedAt: at })
        .onConflictDoUpdate({ target: [aliases.modelId, aliases.alias], set: { versionId, updatedAt: at } })
        .run();
    },
    deleteAlias(modelId: number, alias: string): void {
      db.delete(aliases).where(and(eq(aliases.modelId, modelId), eq(aliases.alias, alias))).run();
    },

    // --- artifacts
    upsertArtifact(row: typeof artifacts.$inferInsert): void {
      db.insert(artifacts)
        .values(row)
        .onConflictDoUpdate({
          target: [artifacts.versionId, artifacts.path],
          set: { storageKey: row.storageKey, size: row.size, sha256: row.sha256, contentType: row.contentType, createdAt: row.createdAt },
        })
        .run();
    },
    findArtifact(versionId: number, path: string): ArtifactRow | undefined {
      return db.select().from(artifacts).where(and(eq(artifacts.versionId, versionId), eq(artifacts.path, path))).get();
    },
    listArtifacts(versionId: number, limit: number, after?: string): ArtifactRow[] {
      return db
        .select()
        .from(artifacts)
        .where(and(eq(artifacts.versionId, versionId), after !== undefined ? gt(artifacts.path, after) : undefined))
        .orderBy(asc(artifacts.path))
        .limit(limit)
        .all();
    },
    storageKeysOfModel(modelId: number): string[] {
      return db
        .select({ key: artifacts.storageKey })
        .from(artifacts)
        .innerJoin(versions, eq(artifacts.versionId, versions.id))
        .where(eq(versions.modelId, modelId))
        .all()
        .map((r) => r.key);
    },

    // --- artifact integrity (issue 7): path conflicts and garbage collection
    /** An existing artifact of the version that is an ancestor of `path` or lies under it ("a" vs "a/b"). */
    findArtifactPathConflict(versionId: number, path: string, ancestors: string[]): string | undefined {
      // '0' is the character after '/', so [path/, path0) is exactly the paths under path/ — under
      // SQLite's bytewise (BINARY) collation. On PostgreSQL use COLLATE "C" or starts_with():
      // linguistic collations do not order '/' and '0' this way.
      const under = and(eq(artifacts.versionId, versionId), gt(artifacts.path, `${path}/`), lt(artifacts.path, `${path}0`));
      const above = ancestors.length ? and(eq(artifacts.versionId, versionId), inArray(artifacts.path, ancestors)) : undefined;
      return db.select({ path: artifacts.path }).from(artifacts).where(or(under, above)).limit(1).get()?.path;
    },
    /** Every storage key a row points at; the sweeper deletes only objects outside this set. */
    allStorageKeys(): string[] {
      return db.select({ key: artifacts.storageKey }).from(artifacts).all().map((r) => r.key);
    },

    // --- idempotency
    findIdempotencyKey(scope: string, key: string) {
      return db.select().from(idempotencyKeys).where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key))).get();
    },
    insertIdempotencyKey(row: typeof idempotencyKeys.$inferInsert): void {
      db.insert(idempotencyKeys).values(row).run();
    },
  };
}
export type RegistryRepository = ReturnType<typeof createRegistryRepository>;
