import { and, asc, desc, eq, gt, inArray, lt, or, sql } from 'drizzle-orm';
import type { Database, Tables } from '../db/client.js';
import type { PostgresDatabase } from '../db/postgres.js';
import { createHotReads } from './registry.hot.js';

type T = Tables;
export type ModelRow = T['models']['$inferSelect'];
export type VersionRow = T['versions']['$inferSelect'];
export type MetricRow = T['versionMetrics']['$inferSelect'];
export type ArtifactRow = T['artifacts']['$inferSelect'];

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
/** JSON columns arrive parsed from node-postgres and as text from better-sqlite3. */
const parseJson = <V>(value: unknown): V => (typeof value === 'string' ? JSON.parse(value) : value) as V;

/**
 * Data access for the registry, dialect-neutral: every method returns a Promise and runs on the
 * handle the unit of work says is current, so it composes inside `transaction`. The hot reads
 * (alias resolution, version views) are dialect-specific prepared statements (registry.hot.ts).
 */
/** A version param: a JSON scalar, kept with the type it was sent as. */
export type ParamValue = string | number | boolean;

export function createRegistryRepository(database: Database) {
  const { models, modelTags, versions, versionTags, versionParams, versionMetrics, aliases, artifacts, idempotencyKeys, referenceProfiles } = database.tables;
  const db = () => database.db();
  const hot = createHotReads(database);
  const toVersionRow = (row: Record<string, unknown> | undefined): VersionRow | undefined =>
    row
      ? ({ ...row, features: parseJson(row.features), task: row.task === null || row.task === undefined ? null : parseJson(row.task) } as VersionRow)
      : undefined;

  return {
    transaction: <R>(fn: () => Promise<R>): Promise<R> => database.transaction(fn),
    inTransaction: () => database.inTransaction(),

    // --- models
    modelRevision: (name: string) => hot.modelRevision(name),
    async findModel(name: string): Promise<ModelRow | undefined> {
      return (await hot.modelByName(name)) as ModelRow | undefined;
    },
    /**
     * The model row, locked until the transaction ends (FOR UPDATE on PostgreSQL): writers of one
     * model queue on it instead of racing. On SQLite, BEGIN IMMEDIATE already holds the whole
     * database's write lock, which is stronger.
     */
    async lockModel(name: string): Promise<ModelRow | undefined> {
      if (database.dialect === 'sqlite') return (await hot.modelByName(name)) as ModelRow | undefined;
      const [row] = await db().select().from(models).where(eq(models.name, name)).for('update');
      return row;
    },
    async findModelById(id: number): Promise<ModelRow | undefined> {
      const [row] = await db().select().from(models).where(eq(models.id, id));
      return row;
    },
    async insertModel(row: T['models']['$inferInsert']): Promise<ModelRow> {
      const [inserted] = await db().insert(models).values(row).returning();
      return inserted!;
    },
    async updateModel(id: number, patch: Partial<T['models']['$inferInsert']>): Promise<void> {
      await db().update(models).set(patch).where(eq(models.id, id));
    },
    async deleteModel(id: number): Promise<void> {
      await db().delete(models).where(eq(models.id, id));
    },
    listModels(q: { limit: number; after?: string; text?: string; tags: [string, string][] }): Promise<ModelRow[]> {
      // SQLite's LIKE ignores ASCII case; PostgreSQL's needs ILIKE for the same search.
      const like = database.dialect === 'postgres' ? sql.raw('ilike') : sql.raw('like');
      const conditions = [
        q.after !== undefined ? gt(models.name, q.after) : undefined,
        q.text
          ? or(
              sql`${models.name} ${like} ${`%${escapeLike(q.text)}%`} escape '\\'`,
              sql`${models.description} ${like} ${`%${escapeLike(q.text)}%`} escape '\\'`,
            )
          : undefined,
        ...q.tags.map(
          ([k, v]) =>
            sql`exists (select 1 from ${modelTags} where ${modelTags.modelId} = ${models.id} and ${modelTags.key} = ${k} and ${modelTags.value} = ${v})`,
        ),
      ];
      return db()
        .select()
        .from(models)
        .where(and(...conditions))
        .orderBy(asc(models.name))
        .limit(q.limit);
    },
    /**
     * Bumps the model's version counter and returns the model row with it, in one statement that
     * also locks the row until the transaction ends (PostgreSQL), so registrations of one model
     * queue on it. Undefined when there is no such model.
     */
    async claimVersionNumber(name: string, at: string): Promise<ModelRow | undefined> {
      const [row] = await db()
        .update(models)
        .set({ lastVersion: sql`${models.lastVersion} + 1`, updatedAt: at })
        .where(eq(models.name, name))
        .returning();
      return row;
    },

    /**
     * PostgreSQL only (undefined on SQLite, whose registrations are local calls): the whole
     * registration as ONE statement — counter bump (which locks the model row), version, tags,
     * params, metrics, idempotency key and audit event — so the model's row lock is held for one
     * round trip instead of eight. The bump happens only when the key is unseen and the parent
     * exists; otherwise nothing is written and the result says why. A concurrent first use of the
     * same key fails on the key's primary key (the statement is atomic: nothing stays written).
     */
    registerVersion: database.dialect === 'postgres' ? (input: RegisterVersionInput) => registerVersionPg(database as PostgresDatabase, input) : undefined,

    // --- tags and params (replace-all semantics)
    async modelTags(modelIds: number[]): Promise<Map<number, Record<string, string>>> {
      const out = new Map<number, Record<string, string>>(modelIds.map((id) => [id, {}]));
      if (modelIds.length === 0) return out;
      for (const r of await db().select().from(modelTags).where(inArray(modelTags.modelId, modelIds))) out.get(r.modelId)![r.key] = r.value;
      return out;
    },
    async setModelTags(modelId: number, tags: Record<string, string>): Promise<void> {
      await db().delete(modelTags).where(eq(modelTags.modelId, modelId));
      const rows = Object.entries(tags).map(([key, value]) => ({ modelId, key, value }));
      if (rows.length) await db().insert(modelTags).values(rows);
    },
    async setVersionTags(versionId: number, tags: Record<string, string>): Promise<void> {
      await db().delete(versionTags).where(eq(versionTags.versionId, versionId));
      const rows = Object.entries(tags).map(([key, value]) => ({ versionId, key, value }));
      if (rows.length) await db().insert(versionTags).values(rows);
    },
    async insertVersionTags(versionId: number, tags: Record<string, string>): Promise<void> {
      const rows = Object.entries(tags).map(([key, value]) => ({ versionId, key, value }));
      if (rows.length) await db().insert(versionTags).values(rows);
    },
    /** Strings are stored as sent; numbers and booleans as their JSON text, with their type. */
    async insertVersionParams(versionId: number, params: Record<string, ParamValue>): Promise<void> {
      const rows = Object.entries(params).map(([key, value]) =>
        typeof value === 'string' ? { versionId, key, value, valueType: 'string' } : { versionId, key, value: JSON.stringify(value), valueType: typeof value },
      );
      if (rows.length) await db().insert(versionParams).values(rows);
    },

    // --- versions
    async insertVersion(row: T['versions']['$inferInsert']): Promise<VersionRow> {
      const [inserted] = await db().insert(versions).values(row).returning();
      return inserted!;
    },
    async findVersion(modelId: number, version: number): Promise<VersionRow | undefined> {
      const [row] = await db()
        .select()
        .from(versions)
        .where(and(eq(versions.modelId, modelId), eq(versions.version, version)));
      return row;
    },
    async findVersionById(id: number): Promise<VersionRow | undefined> {
      return toVersionRow(await hot.versionById(id));
    },
    /** The version's reference profile as the version view shows it (the profile itself lives in monitoring/). */
    async referenceOf(versionId: number): Promise<{ rows: number; source: string; sha256: string; updatedAt: string } | undefined> {
      const [row] = await database
        .db()
        .select({
          rows: referenceProfiles.rowCount,
          source: referenceProfiles.source,
          sha256: referenceProfiles.sha256,
          updatedAt: referenceProfiles.updatedAt,
        })
        .from(referenceProfiles)
        .where(eq(referenceProfiles.versionId, versionId));
      return row ? { ...row, rows: Number(row.rows) } : undefined;
    },
    async latestVersion(modelId: number): Promise<VersionRow | undefined> {
      const [row] = await db().select().from(versions).where(eq(versions.modelId, modelId)).orderBy(desc(versions.version)).limit(1);
      return row;
    },
    listVersions(modelId: number, limit: number, before?: number): Promise<VersionRow[]> {
      return db()
        .select()
        .from(versions)
        .where(and(eq(versions.modelId, modelId), before !== undefined ? lt(versions.version, before) : undefined))
        .orderBy(desc(versions.version))
        .limit(limit);
    },
    async deleteVersion(id: number): Promise<void> {
      await db().delete(versions).where(eq(versions.id, id));
    },
    /** What the store holds for one version: its artifacts' objects and its reference profile's. */
    async storageKeysOfVersion(versionId: number): Promise<string[]> {
      const keys = await db().select({ key: artifacts.storageKey }).from(artifacts).where(eq(artifacts.versionId, versionId));
      const refs = await db().select({ key: referenceProfiles.storageKey }).from(referenceProfiles).where(eq(referenceProfiles.versionId, versionId));
      return [...keys, ...refs].map((r) => r.key);
    },
    async updateVersion(id: number, patch: Partial<T['versions']['$inferInsert']>): Promise<void> {
      await db().update(versions).set(patch).where(eq(versions.id, id));
    },

    // --- metrics
    async insertMetrics(rows: T['versionMetrics']['$inferInsert'][]): Promise<void> {
      if (rows.length) await db().insert(versionMetrics).values(rows);
    },
    listMetrics(versionId: number, limit: number, afterId?: number, key?: string): Promise<MetricRow[]> {
      return db()
        .select()
        .from(versionMetrics)
        .where(
          and(
            eq(versionMetrics.versionId, versionId),
            afterId !== undefined ? gt(versionMetrics.id, afterId) : undefined,
            key ? eq(versionMetrics.key, key) : undefined,
          ),
        )
        .orderBy(asc(versionMetrics.id))
        .limit(limit);
    },

    // --- aliases
    aliasesOfModel: (modelId: number) => hot.aliasesOfModel(modelId),
    /** The version an alias points at, in one join. */
    async findAliasTarget(modelId: number, alias: string): Promise<VersionRow | undefined> {
      return toVersionRow(await hot.aliasTargetVersion(modelId, alias));
    },
    async versionDetails(
      versionId: number,
    ): Promise<{ tags: Record<string, string>; params: Record<string, ParamValue>; metrics: Record<string, number>; aliases: string[] }> {
      const row = await hot.versionDetails(versionId);
      return { tags: parseJson(row.tags), params: parseJson(row.params), metrics: parseJson(row.metrics), aliases: parseJson(row.aliases) };
    },
    async upsertAlias(modelId: number, alias: string, versionId: number, at: string): Promise<void> {
      await db()
        .insert(aliases)
        .values({ modelId, alias, versionId, updatedAt: at })
        .onConflictDoUpdate({ target: [aliases.modelId, aliases.alias], set: { versionId, updatedAt: at } });
    },
    async deleteAlias(modelId: number, alias: string): Promise<void> {
      await db()
        .delete(aliases)
        .where(and(eq(aliases.modelId, modelId), eq(aliases.alias, alias)));
    },

    // --- artifacts
    async upsertArtifact(row: T['artifacts']['$inferInsert']): Promise<void> {
      await db()
        .insert(artifacts)
        .values(row)
        .onConflictDoUpdate({
          target: [artifacts.versionId, artifacts.path],
          set: { storageKey: row.storageKey, size: row.size, sha256: row.sha256, contentType: row.contentType, createdAt: row.createdAt },
        });
    },
    async findArtifact(versionId: number, path: string): Promise<ArtifactRow | undefined> {
      const [row] = await db()
        .select()
        .from(artifacts)
        .where(and(eq(artifacts.versionId, versionId), eq(artifacts.path, path)));
      return row;
    },
    listArtifacts(versionId: number, limit: number, after?: string): Promise<ArtifactRow[]> {
      return db()
        .select()
        .from(artifacts)
        .where(and(eq(artifacts.versionId, versionId), after !== undefined ? gt(artifacts.path, after) : undefined))
        .orderBy(asc(artifacts.path))
        .limit(limit);
    },
    async storageKeysOfModel(modelId: number): Promise<string[]> {
      const rows = await db()
        .select({ key: artifacts.storageKey })
        .from(artifacts)
        .innerJoin(versions, eq(artifacts.versionId, versions.id))
        .where(eq(versions.modelId, modelId));
      return rows.map((r) => r.key);
    },

    // --- artifact integrity (issue 7): path conflicts and garbage collection
    /** An existing artifact of the version that is an ancestor of `path` or lies under it ("a" vs "a/b"). */
    async findArtifactPathConflict(versionId: number, path: string, ancestors: string[]): Promise<string | undefined> {
      // '0' is the character after '/', so [path/, path0) is exactly the paths under path/ in a
      // byte-wise order: SQLite's BINARY collation, and the "C" collation that
      // migrations/postgres/0001 gives artifacts.path.
      const under = and(eq(artifacts.versionId, versionId), gt(artifacts.path, `${path}/`), lt(artifacts.path, `${path}0`));
      const above = ancestors.length ? and(eq(artifacts.versionId, versionId), inArray(artifacts.path, ancestors)) : undefined;
      const [row] = await db().select({ path: artifacts.path }).from(artifacts).where(or(under, above)).limit(1);
      return row?.path;
    },
    /** Every storage key a row points at; the sweeper deletes only objects outside this set. */
    async allStorageKeys(): Promise<string[]> {
      return (await db().select({ key: artifacts.storageKey }).from(artifacts)).map((r) => r.key);
    },

    // --- idempotency
    async findIdempotencyKey(scope: string, key: string) {
      const [row] = await db()
        .select()
        .from(idempotencyKeys)
        .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
      return row;
    },
    async insertIdempotencyKey(row: T['idempotencyKeys']['$inferInsert']): Promise<void> {
      await db().insert(idempotencyKeys).values(row);
    },
  };
}
export type RegistryRepository = ReturnType<typeof createRegistryRepository>;

export interface RegisterVersionInput {
  name: string;
  at: string;
  idempotencyKey: string | null;
  requestHash: string;
  parentVersion: number | null;
  description: string | null;
  features: unknown;
  artifactUri: string | null;
  runId: string | null;
  gitCommit: string | null;
  task: unknown;
  createdBy: string | null;
  tags: Record<string, string>;
  params: Record<string, ParamValue>;
  metrics: Record<string, number>;
  actorKeyId: string | null;
  actorName: string | null;
}

export type RegisterVersionResult =
  | { kind: 'no-model' }
  | { kind: 'replay'; modelId: number; requestHash: string; resourceId: number }
  | { kind: 'no-parent'; modelId: number }
  | { kind: 'created'; modelId: number; versionId: number; version: number; deliveries: number };

const REGISTER_VERSION = `
with target as (select id from models where name = $1),
prior as (
  select k.request_hash, k.resource_id from idempotency_keys k, target
   where $3::text is not null and k.scope = 'version:' || target.id and k.key = $3::text),
parent_ok as (
  select ($4::int is null or exists (select 1 from versions v, target where v.model_id = target.id and v.version = $4::int)) as ok),
m as (
  update models set last_version = last_version + 1, updated_at = $2
   where id = (select id from target) and not exists (select 1 from prior) and (select ok from parent_ok)
   returning id, name, last_version),
ins as (
  insert into versions (model_id, version, description, features, artifact_uri, run_id, git_commit, parent_version, task, created_by, created_at, updated_at)
  select m.id, m.last_version, $5, $6::json, $7, $8, $9, $4::int, $10::json, $11, $2, $2 from m
  returning id, version),
t as (insert into version_tags (version_id, key, value) select ins.id, e.key, e.value from ins, json_each_text($12::json) e),
p as (
  insert into version_params (version_id, key, value, value_type)
  select ins.id, e->>0, e->>1, e->>2 from ins, json_array_elements($13::json) e),
mt as (
  insert into version_metrics (version_id, key, value, step, timestamp)
  select ins.id, e.key, e.value::double precision, 0, $2 from ins, json_each_text($14::json) e),
ik as (
  insert into idempotency_keys (scope, key, request_hash, resource_id, created_at)
  select 'version:' || m.id, $3::text, $15, ins.id, $2 from m, ins where $3::text is not null),
ev as (
  insert into events (model_id, model_name, type, data, actor_key_id, actor_name, created_at)
  select m.id, m.name, 'version.created', json_build_object('version', ins.version, 'parentVersion', $4::int, 'runId', $8::text), $16, $17, $2
    from m, ins),
wh as (
  -- The webhook outbox (webhooks.service fanOut): one pending delivery per active subscribed webhook.
  insert into webhook_deliveries (webhook_id, event_id, event_type, payload, status, attempts, created_at)
  select w.id, null, 'version.created',
         json_build_object('type', 'version.created', 'timestamp', $2::text,
           'data', json_build_object('model', m.name, 'version', ins.version, 'parentVersion', $4::int, 'runId', $8::text)),
         'pending', 0, $2
    from m, ins, webhooks w
   -- The audit name, or its deprecated alias in a subscription stored before (webhooks.schemas.ts).
   where w.disabled_at is null and w.event_types::jsonb ?| array['version.created', 'model_version.created']
   order by w.id
  returning 1)
select (select count(*)::int from wh) as "deliveries", target.id as "modelId", prior.request_hash as "priorHash", prior.resource_id as "priorId", (select ok from parent_ok) as "parentOk",
       ins.id as "versionId", ins.version as "version"
  from target left join prior on true left join ins on true`;

async function registerVersionPg(database: PostgresDatabase, input: RegisterVersionInput): Promise<RegisterVersionResult> {
  const params = Object.entries(input.params).map(([key, value]) =>
    typeof value === 'string' ? [key, value, 'string'] : [key, JSON.stringify(value), typeof value],
  );
  const [row] = await database.prepared<{
    modelId: number;
    priorHash: string | null;
    priorId: number | null;
    parentOk: boolean;
    versionId: number | null;
    version: number | null;
    deliveries: number;
  }>('register_version', REGISTER_VERSION, [
    input.name,
    input.at,
    input.idempotencyKey,
    input.parentVersion,
    input.description,
    JSON.stringify(input.features),
    input.artifactUri,
    input.runId,
    input.gitCommit,
    input.task === null || input.task === undefined ? null : JSON.stringify(input.task),
    input.createdBy,
    JSON.stringify(input.tags),
    JSON.stringify(params),
    JSON.stringify(input.metrics),
    input.requestHash,
    input.actorKeyId,
    input.actorName,
  ]);
  if (!row) return { kind: 'no-model' };
  if (row.priorId !== null) return { kind: 'replay', modelId: row.modelId, requestHash: row.priorHash!, resourceId: row.priorId };
  if (!row.parentOk) return { kind: 'no-parent', modelId: row.modelId };
  if (!database.inTransaction()) database.noteWrite();
  return { kind: 'created', modelId: row.modelId, versionId: row.versionId!, version: row.version!, deliveries: row.deliveries };
}
