import type BetterSqlite3 from 'better-sqlite3';
import type { Database } from '../db/client.js';
import type { PostgresDatabase } from '../db/postgres.js';
import type { SqliteDatabase } from '../db/sqlite.js';

/**
 * The reads behind alias resolution and version views: the registry's hot path. They are the
 * only dialect-specific statements in the registry (JSON aggregation is spelled differently), so
 * they live here, one implementation per dialect behind one interface.
 *
 * On SQLite they are prepared once per connection (drizzle's query builder costs ~0.1 ms per
 * call there) and run on the connection the unit of work says is current.
 */
export interface HotReads {
  /** [id, revision] of a model: what a cached read is validated against. */
  modelRevision(name: string): Promise<[id: number, revision: number] | undefined>;
  modelByName(name: string): Promise<Record<string, unknown> | undefined>;
  versionById(id: number): Promise<Record<string, unknown> | undefined>;
  aliasTargetVersion(modelId: number, alias: string): Promise<Record<string, unknown> | undefined>;
  aliasesOfModel(modelId: number): Promise<{ alias: string; version: number }[]>;
  /** Tags, params, latest metric per key (by step, then newest row) and aliases of one version. */
  versionDetails(versionId: number): Promise<{ tags: unknown; params: unknown; metrics: unknown; aliases: unknown }>;
}

const MODEL_COLUMNS = 'id, name, description, last_version as "lastVersion", revision, created_at as "createdAt", updated_at as "updatedAt"';
const VERSION_COLUMNS = (p: string) =>
  `${p}id, ${p}model_id as "modelId", ${p}version, ${p}description, ${p}features, ${p}artifact_uri as "artifactUri", ${p}run_id as "runId",
   ${p}git_commit as "gitCommit", ${p}parent_version as "parentVersion", ${p}created_by as "createdBy", ${p}created_at as "createdAt",
   ${p}updated_at as "updatedAt", ${p}task`;
const ALIAS_TARGET = `select ${VERSION_COLUMNS('v.')} from aliases a join versions v on v.id = a.version_id where a.model_id = $1 and a.alias = $2`;
const ALIASES_OF_MODEL =
  'select a.alias as alias, v.version as version from aliases a join versions v on v.id = a.version_id where a.model_id = $1 order by a.alias';

function sqliteHotReads(database: SqliteDatabase): HotReads {
  const prepare = (conn: BetterSqlite3.Database) => ({
    modelRevision: conn.prepare<[string], [number, number]>('select id, revision from models where name = ?').raw(),
    modelByName: conn.prepare<[string], Record<string, unknown>>(`select ${MODEL_COLUMNS} from models where name = ?`),
    versionById: conn.prepare<[number], Record<string, unknown>>(`select ${VERSION_COLUMNS('')} from versions where id = ?`),
    aliasTarget: conn.prepare<[number, string], Record<string, unknown>>(ALIAS_TARGET.replace('$1', '?').replace('$2', '?')),
    aliasesOfModel: conn.prepare<[number], { alias: string; version: number }>(ALIASES_OF_MODEL.replace('$1', '?')),
    versionDetails: conn.prepare<[{ id: number }], { tags: string; params: string; metrics: string; aliases: string }>(
      `select
         (select json_group_object(key, value) from version_tags where version_id = @id) as tags,
         (select json_group_object(key, json(case value_type when 'string' then json_quote(value) else value end)) from version_params where version_id = @id) as params,
         (select json_group_object(key, value) from (
            select key, value, row_number() over (partition by key order by step desc, id desc) as rn
            from version_metrics where version_id = @id) where rn = 1) as metrics,
         (select json_group_array(alias) from (select alias from aliases where version_id = @id order by alias)) as aliases`,
    ),
  });
  const { writer, reader } = database.connections;
  const onWriter = prepare(writer);
  const onReader = writer === reader ? onWriter : prepare(reader);
  const stmts = () => (database.inTransaction() ? onWriter : onReader);
  return {
    async modelRevision(name) {
      return stmts().modelRevision.get(name);
    },
    async modelByName(name) {
      return stmts().modelByName.get(name);
    },
    async versionById(id) {
      return stmts().versionById.get(id);
    },
    async aliasTargetVersion(modelId, alias) {
      return stmts().aliasTarget.get(modelId, alias);
    },
    async aliasesOfModel(modelId) {
      return stmts().aliasesOfModel.all(modelId);
    },
    async versionDetails(versionId) {
      return stmts().versionDetails.get({ id: versionId })!;
    },
  };
}

function postgresHotReads(database: PostgresDatabase): HotReads {
  const one = async <T>(name: string, text: string, values: unknown[]) => (await database.prepared<T>(name, text, values))[0];
  return {
    async modelRevision(name) {
      const row = await one<{ id: number; revision: number }>('model_revision', 'select id, revision from models where name = $1', [name]);
      return row ? [row.id, row.revision] : undefined;
    },
    modelByName: (name) => one('model_by_name', `select ${MODEL_COLUMNS} from models where name = $1`, [name]),
    versionById: (id) => one('version_by_id', `select ${VERSION_COLUMNS('')} from versions where id = $1`, [id]),
    aliasTargetVersion: (modelId, alias) => one('alias_target', ALIAS_TARGET, [modelId, alias]),
    aliasesOfModel: (modelId) => database.prepared('aliases_of_model', ALIASES_OF_MODEL, [modelId]),
    async versionDetails(id) {
      return (await one<{ tags: unknown; params: unknown; metrics: unknown; aliases: unknown }>(
        'version_details',
        `select
         (select coalesce(json_object_agg(key, value), '{}') from version_tags where version_id = $1) as tags,
         (select coalesce(json_object_agg(key, case when value_type = 'string' then to_json(value) else value::json end), '{}') from version_params where version_id = $1) as params,
         (select coalesce(json_object_agg(key, value), '{}') from (
            select distinct on (key) key, value from version_metrics where version_id = $1 order by key, step desc, id desc) m) as metrics,
         (select coalesce(json_agg(alias order by alias), '[]') from aliases where version_id = $1) as aliases`,
        [id],
      ))!;
    },
  };
}

export function createHotReads(database: Database): HotReads {
  return database.dialect === 'sqlite' ? sqliteHotReads(database as SqliteDatabase) : postgresHotReads(database as PostgresDatabase);
}
