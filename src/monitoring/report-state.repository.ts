import { and, desc, eq, inArray, max } from 'drizzle-orm';
import type { Database } from '../db/client.js';

export interface FinishedReportRow {
  id: number;
  versionId: number;
  status: string;
  failureReason: string | null;
  error: string | null;
  completedAt: string | null;
}

/**
 * The read side of "is this model still being monitored?": the newest finished report of a model
 * and the time of its newest successful one, for the monitor status route and the scrape-time
 * gauge. Dialect-neutral; both queries ride the (model_id, id) and (status, created_at) indexes.
 */
export function createReportStateRepository(database: Database) {
  const { models, driftReports } = database.tables;
  const db = () => database.db();

  return {
    /** The model's newest report (by window order) that is not pending any more. */
    async newestFinished(modelId: number): Promise<FinishedReportRow | undefined> {
      const [row] = await db()
        .select({
          id: driftReports.id,
          versionId: driftReports.versionId,
          status: driftReports.status,
          failureReason: driftReports.failureReason,
          error: driftReports.error,
          completedAt: driftReports.completedAt,
        })
        .from(driftReports)
        .where(and(eq(driftReports.modelId, modelId), inArray(driftReports.status, ['done', 'failed'])))
        .orderBy(desc(driftReports.id))
        .limit(1);
      return row;
    },

    /** When the model's newest successful report finished (ISO), if it ever had one. */
    async lastDoneAt(modelId: number): Promise<string | undefined> {
      const [row] = await db()
        .select({ at: max(driftReports.completedAt) })
        .from(driftReports)
        .where(and(eq(driftReports.modelId, modelId), eq(driftReports.status, 'done')));
      return row?.at ?? undefined;
    },

    /**
     * Per model with at least one successful report: when the newest finished. Every such model,
     * not the most recent N: the ones a bound would cut are exactly the quiet ones an alert wants.
     */
    async lastDoneAtByModel(): Promise<{ model: string; at: string }[]> {
      const rows = await db()
        .select({ model: models.name, at: max(driftReports.completedAt) })
        .from(driftReports)
        .innerJoin(models, eq(models.id, driftReports.modelId))
        .where(eq(driftReports.status, 'done'))
        .groupBy(models.id, models.name);
      return rows.filter((r): r is { model: string; at: string } => r.at !== null);
    },
  };
}
export type ReportStateRepository = ReturnType<typeof createReportStateRepository>;
