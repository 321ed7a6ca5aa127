import { and, asc, desc, eq, gt, inArray, lt } from 'drizzle-orm';
import type { Database, Tables } from '../db/client.js';

type T = Tables;
export type ExperimentRow = T['mlflowExperiments']['$inferSelect'];
export type RunRow = T['mlflowRuns']['$inferSelect'];
export type MetricRow = T['mlflowRunMetrics']['$inferSelect'];
export type LoggedModelRow = T['mlflowLoggedModels']['$inferSelect'];
export type MlflowArtifactRow = T['mlflowArtifacts']['$inferSelect'];

/** JSON columns arrive parsed from node-postgres and (with mode json) from drizzle on SQLite; raw text is parsed too. */
const json = <V>(value: unknown): V => (typeof value === 'string' ? JSON.parse(value) : value) as V;

/** Data access of the MLflow run store, dialect-neutral (see registry.repository.ts). Writes run inside `transaction`. */
export function createTrackingRepository(database: Database) {
  const { mlflowExperiments: exps, mlflowExperimentTags: expTags, mlflowRuns: runs, mlflowRunParams: params, mlflowRunTags: tags } = database.tables;
  const { mlflowRunMetrics: metrics, mlflowLoggedModels: logged, mlflowArtifacts: files } = database.tables;
  const db = () => database.db();
  const toRun = (r: RunRow | undefined) => (r ? { ...r, outputs: json<RunRow['outputs']>(r.outputs) } : undefined);
  const toLogged = (r: LoggedModelRow | undefined) =>
    r ? { ...r, tags: json<Record<string, string>>(r.tags), params: json<Record<string, string>>(r.params) } : undefined;

  return {
    transaction: <R>(fn: () => Promise<R>): Promise<R> => database.transaction(fn),

    // ---- experiments
    async insertExperiment(row: T['mlflowExperiments']['$inferInsert']): Promise<ExperimentRow> {
      const [inserted] = await db().insert(exps).values(row).returning();
      return inserted!;
    },
    async insertExperimentIfAbsent(row: T['mlflowExperiments']['$inferInsert']): Promise<void> {
      await db().insert(exps).values(row).onConflictDoNothing();
    },
    async experimentById(id: number): Promise<ExperimentRow | undefined> {
      const [row] = await db().select().from(exps).where(eq(exps.id, id));
      return row;
    },
    async experimentByName(name: string): Promise<ExperimentRow | undefined> {
      const [row] = await db().select().from(exps).where(eq(exps.name, name));
      return row;
    },
    listExperiments: (): Promise<ExperimentRow[]> => db().select().from(exps).orderBy(asc(exps.id)),
    async updateExperiment(id: number, patch: Partial<T['mlflowExperiments']['$inferInsert']>): Promise<void> {
      await db().update(exps).set(patch).where(eq(exps.id, id));
    },
    async experimentTags(ids: number[]): Promise<Map<number, Record<string, string>>> {
      const out = new Map<number, Record<string, string>>(ids.map((id) => [id, {}]));
      if (ids.length) for (const r of await db().select().from(expTags).where(inArray(expTags.experimentId, ids))) out.get(r.experimentId)![r.key] = r.value;
      return out;
    },
    async setExperimentTag(experimentId: number, key: string, value: string): Promise<void> {
      await db()
        .insert(expTags)
        .values({ experimentId, key, value })
        .onConflictDoUpdate({ target: [expTags.experimentId, expTags.key], set: { value } });
    },

    // ---- runs
    async insertRun(row: T['mlflowRuns']['$inferInsert']): Promise<void> {
      await db().insert(runs).values(row);
    },
    async run(runId: string) {
      const [row] = await db().select().from(runs).where(eq(runs.runId, runId));
      return toRun(row);
    },
    /** The run, locked until the transaction ends on PostgreSQL (SQLite's BEGIN IMMEDIATE already serialises writers). */
    async lockRun(runId: string) {
      if (database.dialect === 'sqlite') return toRun((await db().select().from(runs).where(eq(runs.runId, runId)))[0]);
      const [row] = await db().select().from(runs).where(eq(runs.runId, runId)).for('update');
      return toRun(row);
    },
    async runsOf(experimentIds: number[]) {
      if (!experimentIds.length) return [];
      const rows = await db().select().from(runs).where(inArray(runs.experimentId, experimentIds)).orderBy(desc(runs.startTime), asc(runs.runId));
      return rows.map((r) => toRun(r)!);
    },
    async updateRun(runId: string, patch: Partial<T['mlflowRuns']['$inferInsert']>): Promise<void> {
      await db().update(runs).set(patch).where(eq(runs.runId, runId));
    },
    async runParams(runId: string): Promise<Record<string, string>> {
      return Object.fromEntries((await db().select().from(params).where(eq(params.runId, runId))).map((r) => [r.key, r.value]));
    },
    async runParam(runId: string, key: string): Promise<string | undefined> {
      const [row] = await db()
        .select()
        .from(params)
        .where(and(eq(params.runId, runId), eq(params.key, key)));
      return row?.value;
    },
    async insertParams(rows: { runId: string; key: string; value: string }[]): Promise<void> {
      if (rows.length) await db().insert(params).values(rows).onConflictDoNothing();
    },
    async runTags(runId: string): Promise<Record<string, string>> {
      return Object.fromEntries((await db().select().from(tags).where(eq(tags.runId, runId))).map((r) => [r.key, r.value]));
    },
    async setRunTag(runId: string, key: string, value: string): Promise<void> {
      await db()
        .insert(tags)
        .values({ runId, key, value })
        .onConflictDoUpdate({ target: [tags.runId, tags.key], set: { value } });
    },
    async deleteRunTag(runId: string, key: string): Promise<void> {
      await db()
        .delete(tags)
        .where(and(eq(tags.runId, runId), eq(tags.key, key)));
    },

    // ---- metrics
    /**
     * A point identical to one already logged (same key, step, timestamp and value) is the same
     * point, as in MLflow's store: `log_model` re-logs the run's metrics with a model_id, which
     * then links the existing point to the model instead of doubling the history.
     */
    async insertMetrics(rows: T['mlflowRunMetrics']['$inferInsert'][]): Promise<void> {
      const fresh: T['mlflowRunMetrics']['$inferInsert'][] = [];
      for (const r of rows) {
        const [same] = await db()
          .select({ id: metrics.id, modelId: metrics.modelId })
          .from(metrics)
          .where(
            and(eq(metrics.runId, r.runId), eq(metrics.key, r.key), eq(metrics.step, r.step), eq(metrics.timestamp, r.timestamp), eq(metrics.value, r.value)),
          )
          .limit(1);
        if (!same) fresh.push(r);
        else if (r.modelId && !same.modelId) await db().update(metrics).set({ modelId: r.modelId }).where(eq(metrics.id, same.id));
      }
      for (let i = 0; i < fresh.length; i += 500)
        await db()
          .insert(metrics)
          .values(fresh.slice(i, i + 500));
    },
    runMetrics: (runId: string): Promise<MetricRow[]> => db().select().from(metrics).where(eq(metrics.runId, runId)).orderBy(asc(metrics.id)),
    metricHistory(runId: string, key: string, limit: number, afterId?: number): Promise<MetricRow[]> {
      return db()
        .select()
        .from(metrics)
        .where(and(eq(metrics.runId, runId), eq(metrics.key, key), afterId !== undefined ? gt(metrics.id, afterId) : undefined))
        .orderBy(asc(metrics.id))
        .limit(limit);
    },
    metricsOfModel: (modelId: string): Promise<MetricRow[]> => db().select().from(metrics).where(eq(metrics.modelId, modelId)).orderBy(asc(metrics.id)),

    // ---- logged models
    async insertLoggedModel(row: T['mlflowLoggedModels']['$inferInsert']): Promise<void> {
      await db().insert(logged).values(row);
    },
    async loggedModel(modelId: string) {
      const [row] = await db().select().from(logged).where(eq(logged.modelId, modelId));
      return toLogged(row);
    },
    async lockLoggedModel(modelId: string) {
      if (database.dialect === 'sqlite') return toLogged((await db().select().from(logged).where(eq(logged.modelId, modelId)))[0]);
      const [row] = await db().select().from(logged).where(eq(logged.modelId, modelId)).for('update');
      return toLogged(row);
    },
    async loggedModelsOf(experimentIds: number[]) {
      if (!experimentIds.length) return [];
      const rows = await db().select().from(logged).where(inArray(logged.experimentId, experimentIds)).orderBy(desc(logged.creationTime));
      return rows.map((r) => toLogged(r)!);
    },
    async updateLoggedModel(modelId: string, patch: Partial<T['mlflowLoggedModels']['$inferInsert']>): Promise<void> {
      await db().update(logged).set(patch).where(eq(logged.modelId, modelId));
    },
    async deleteLoggedModel(modelId: string): Promise<void> {
      await db().delete(logged).where(eq(logged.modelId, modelId));
    },

    // ---- mlflow-artifacts files
    async artifact(path: string): Promise<MlflowArtifactRow | undefined> {
      const [row] = await db().select().from(files).where(eq(files.path, path));
      return row;
    },
    async upsertArtifact(row: T['mlflowArtifacts']['$inferInsert']): Promise<void> {
      await db()
        .insert(files)
        .values(row)
        .onConflictDoUpdate({
          target: files.path,
          set: { storageKey: row.storageKey, size: row.size, sha256: row.sha256, contentType: row.contentType, createdAt: row.createdAt },
        });
    },
    async allArtifactKeys(): Promise<string[]> {
      return (await db().select({ key: files.storageKey }).from(files)).map((r) => r.key);
    },
    async deleteArtifact(path: string): Promise<void> {
      await db().delete(files).where(eq(files.path, path));
    },
    /** Every file under `prefix/` (all of them when prefix is empty), byte-wise ordered; '0' is the character after '/'. */
    artifactsUnder(prefix: string, limit: number): Promise<MlflowArtifactRow[]> {
      const range = prefix === '' ? undefined : and(gt(files.path, `${prefix}/`), lt(files.path, `${prefix}0`));
      return db().select().from(files).where(range).orderBy(asc(files.path)).limit(limit);
    },
  };
}
export type TrackingRepository = ReturnType<typeof createTrackingRepository>;
