import { and, desc, eq, inArray, lt, lte, sql } from 'drizzle-orm';
import type { Database, Tables } from '../db/client.js';

type T = Tables;
export type RetrainJobRow = T['retrainJobs']['$inferSelect'];
/** JSON columns arrive parsed from node-postgres and as text from better-sqlite3 in raw rows. */
const parseJson = <V>(value: unknown): V => (typeof value === 'string' ? JSON.parse(value) : value) as V;

/** Data access for retrain jobs and version lineage; dialect-neutral, composes inside `transaction`. */
/**
 * `onStatus` hears every status a job is written into (insert and update), in the process that
 * wrote it: the container feeds `mlcycle_retrain_jobs_total{status}` from it.
 */
export function createRetrainJobsRepository(database: Database, onStatus: (status: string) => void = () => {}) {
  const { retrainJobs, versions, driftReports, models } = database.tables;
  const db = () => database.db();
  const fix = (row: RetrainJobRow | undefined) => (row ? { ...row, executor: parseJson<Record<string, unknown>>(row.executor) } : undefined);

  return {
    /** How many jobs sit in each status (for the metrics scrape). */
    async countByStatus(): Promise<Record<string, number>> {
      const rows = await database.db().select({ status: retrainJobs.status, n: sql<number>`count(*)` }).from(retrainJobs).groupBy(retrainJobs.status);
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    },
    transaction: <R>(fn: () => Promise<R>): Promise<R> => database.transaction(fn),

    /** Throws a unique violation when the model already has an active job (retrain_jobs_active_unique). */
    async insert(row: T['retrainJobs']['$inferInsert']): Promise<RetrainJobRow> {
      const [inserted] = await db().insert(retrainJobs).values(row).returning();
      onStatus(row.status);
      return fix(inserted)!;
    },
    async find(id: number): Promise<RetrainJobRow | undefined> {
      const [row] = await db().select().from(retrainJobs).where(eq(retrainJobs.id, id));
      return fix(row);
    },
    /** The job row, locked for the rest of the transaction on PostgreSQL (SQLite's write lock covers it). */
    async lock(id: number): Promise<RetrainJobRow | undefined> {
      const query = db().select().from(retrainJobs).where(eq(retrainJobs.id, id));
      const [row] = database.dialect === 'postgres' ? await query.for('update') : await query;
      return fix(row);
    },
    async latestForModel(modelId: number): Promise<RetrainJobRow | undefined> {
      const [row] = await db().select().from(retrainJobs).where(eq(retrainJobs.modelId, modelId)).orderBy(desc(retrainJobs.id)).limit(1);
      return fix(row);
    },
    /** Its own unit of work when called outside one (SQLite writes only inside a transaction). */
    async update(id: number, patch: Partial<T['retrainJobs']['$inferInsert']>): Promise<void> {
      await database.transaction(async () => void (await db().update(retrainJobs).set(patch).where(eq(retrainJobs.id, id))));
      if (patch.status !== undefined) onStatus(patch.status);
    },
    /**
     * The lease heartbeat: extends the lease only while the job is running under `attempt` (the
     * fencing token). False when another run took it over, or it was cancelled or finished.
     */
    async renewLease(id: number, attempt: number, leaseExpiresAt: string): Promise<boolean> {
      return database.transaction(async () => {
        const rows = await db()
          .update(retrainJobs)
          .set({ leaseExpiresAt })
          .where(and(eq(retrainJobs.id, id), eq(retrainJobs.status, 'running'), eq(retrainJobs.attempts, attempt)))
          .returning({ id: retrainJobs.id });
        return rows.length > 0;
      });
    },
    /** Compare-and-set of a queued job's generation (the sweep's re-enqueue): true for the one caller that moved it. */
    async bumpGeneration(id: number, from: number): Promise<boolean> {
      return database.transaction(async () => {
        const rows = await db()
          .update(retrainJobs)
          .set({ generation: from + 1 })
          .where(and(eq(retrainJobs.id, id), eq(retrainJobs.status, 'queued'), eq(retrainJobs.generation, from)))
          .returning({ id: retrainJobs.id });
        return rows.length === 1;
      });
    },
    async list(q: { modelId?: number; status?: string; beforeId?: number; limit: number }) {
      const rows = await db()
        .select({ job: retrainJobs, model: models.name })
        .from(retrainJobs)
        .innerJoin(models, eq(models.id, retrainJobs.modelId))
        .where(
          and(
            q.modelId !== undefined ? eq(retrainJobs.modelId, q.modelId) : undefined,
            q.status ? eq(retrainJobs.status, q.status) : undefined,
            q.beforeId !== undefined ? lt(retrainJobs.id, q.beforeId) : undefined,
          ),
        )
        .orderBy(desc(retrainJobs.id))
        .limit(q.limit);
      return rows.map((r) => ({ job: fix(r.job)!, model: r.model }));
    },
    async modelName(modelId: number): Promise<string | undefined> {
      const [row] = await db().select({ name: models.name }).from(models).where(eq(models.id, modelId));
      return row?.name;
    },
    async versionNumbers(ids: number[]): Promise<Map<number, number>> {
      if (ids.length === 0) return new Map();
      const rows = await db().select({ id: versions.id, version: versions.version }).from(versions).where(inArray(versions.id, ids));
      return new Map(rows.map((r) => [r.id, r.version]));
    },

    // --- lineage
    async versionOfJob(jobId: number) {
      const [row] = await db().select().from(versions).where(eq(versions.retrainJobId, jobId));
      return row;
    },
    async setLineage(versionId: number, retrainJobId: number, driftReportId: number | null): Promise<void> {
      await db().update(versions).set({ retrainJobId, driftReportId }).where(eq(versions.id, versionId));
    },
    async lineageRows(modelId: number, upTo: number) {
      return db()
        .select({
          version: versions.version,
          parentVersion: versions.parentVersion,
          driftReportId: versions.driftReportId,
          retrainJobId: versions.retrainJobId,
          createdAt: versions.createdAt,
        })
        .from(versions)
        .where(and(eq(versions.modelId, modelId), lte(versions.version, upTo)));
    },
    async jobsByIds(ids: number[]): Promise<RetrainJobRow[]> {
      if (ids.length === 0) return [];
      return (await db().select().from(retrainJobs).where(inArray(retrainJobs.id, ids))).map((r) => fix(r)!);
    },

    // --- drift reports (the monitoring tables, read-only here)
    /** The model's latest finished reports, newest first: what the policy decides on. */
    async latestDoneReports(modelId: number, limit: number) {
      return db()
        .select()
        .from(driftReports)
        .where(and(eq(driftReports.modelId, modelId), eq(driftReports.status, 'done')))
        .orderBy(desc(driftReports.id))
        .limit(limit);
    },
    /** The last `limit` finished windows of a version up to (and including) report `upToId`, newest first. */
    async windowReports(modelId: number, versionId: number, upToId: number | undefined, limit: number) {
      return db()
        .select()
        .from(driftReports)
        .where(
          and(
            eq(driftReports.modelId, modelId),
            eq(driftReports.versionId, versionId),
            eq(driftReports.status, 'done'),
            upToId !== undefined ? lte(driftReports.id, upToId) : undefined,
          ),
        )
        .orderBy(desc(driftReports.id))
        .limit(limit);
    },
    async reportVersionId(reportId: number): Promise<number | undefined> {
      const [row] = await db().select({ versionId: driftReports.versionId }).from(driftReports).where(eq(driftReports.id, reportId));
      return row?.versionId ?? undefined;
    },
  };
}
export type RetrainJobsRepository = ReturnType<typeof createRetrainJobsRepository>;
