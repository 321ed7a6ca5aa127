import { and, asc, desc, eq, gt, gte, inArray, isNotNull, lt, lte, ne, or, sql } from 'drizzle-orm';
import type BetterSqlite3 from 'better-sqlite3';
import type { Database, Tables } from '../db/client.js';
import type { PostgresDatabase } from '../db/postgres.js';
import type { SqliteDatabase } from '../db/sqlite.js';

type T = Tables;
export type ReferenceProfileRow = T['referenceProfiles']['$inferSelect'];
export type SampleBatchRow = T['sampleBatches']['$inferSelect'];
export type DriftReportRow = T['driftReports']['$inferSelect'];
export interface SampleLocation {
  sampleId: string;
  rowIndex: number | null;
  batchId: number;
  versionId: number;
  seqStart: number;
  rowCount: number;
  observedAt: string;
  observedUntil: string | null;
  receivedAt: string;
}

/** SQL's IN lists stay well under both dialects' parameter limits. */
const CHUNK = 500;
const chunks = <V>(values: V[]): V[][] => Array.from({ length: Math.ceil(values.length / CHUNK) }, (_, i) => values.slice(i * CHUNK, (i + 1) * CHUNK));

/** Data access for monitoring: monitors, reference profiles, sample batches, labels, drift reports. Dialect-neutral. */
export function createMonitoringRepository(database: Database) {
  const { models, monitors, referenceProfiles, sampleCounters, sampleBatches, sampleIds, sampleLabels, driftReports } = database.tables;
  const db = () => database.db();
  let insertIdStatement: BetterSqlite3.Statement | undefined;
  let claimStatement: BetterSqlite3.Statement | undefined;
  let insertBatchStatement: BetterSqlite3.Statement | undefined;
  /** A statement prepared once on SQLite's writer connection (the one every transaction runs on). */
  const writerStatement = (text: string) => (database as SqliteDatabase).connections.writer.prepare(text);
  const sqliteIdsStatement = () =>
    (insertIdStatement ??= writerStatement(
      'insert or ignore into sample_ids (model_id, sample_id, batch_id, row_index) select ?, value, ?, key from json_each(?) where value is not null',
    ));

  return {
    transaction: <R>(fn: () => Promise<R>): Promise<R> => database.transaction(fn),

    // --- monitor config
    async monitorConfig(modelId: number): Promise<Record<string, unknown> | undefined> {
      const [row] = await db().select().from(monitors).where(eq(monitors.modelId, modelId));
      return row?.config;
    },
    async putMonitorConfig(modelId: number, config: Record<string, unknown>, at: string): Promise<void> {
      await db()
        .insert(monitors)
        .values({ modelId, config, updatedAt: at })
        .onConflictDoUpdate({ target: monitors.modelId, set: { config, updatedAt: at } });
    },
    async monitoredModelIds(): Promise<number[]> {
      return (await db().select({ id: monitors.modelId }).from(monitors)).map((r) => r.id);
    },

    // --- reference profiles
    async referenceProfile(versionId: number): Promise<ReferenceProfileRow | undefined> {
      const [row] = await db().select().from(referenceProfiles).where(eq(referenceProfiles.versionId, versionId));
      return row;
    },
    /**
     * Writes a new profile revision only if the stored one is still `expectedRevision` (0: none
     * yet): compare-and-set, so two concurrent appends cannot both build on the same revision.
     */
    async replaceReferenceProfile(row: T['referenceProfiles']['$inferInsert'], expectedRevision: number): Promise<boolean> {
      if (expectedRevision === 0) {
        const inserted = await db().insert(referenceProfiles).values(row).onConflictDoNothing().returning({ v: referenceProfiles.versionId });
        return inserted.length === 1;
      }
      const updated = await db()
        .update(referenceProfiles)
        .set(row)
        .where(and(eq(referenceProfiles.versionId, row.versionId), eq(referenceProfiles.revision, expectedRevision)))
        .returning({ v: referenceProfiles.versionId });
      return updated.length === 1;
    },
    async deleteReferenceProfile(versionId: number): Promise<string | undefined> {
      const [row] = await db().delete(referenceProfiles).where(eq(referenceProfiles.versionId, versionId)).returning({ key: referenceProfiles.storageKey });
      return row?.key;
    },

    // --- samples
    /** Reserves `rows` sequence numbers for a version; returns the first. The counter row is locked until commit. */
    async claimSequence(versionId: number, rows: number): Promise<number> {
      // On the ingestion hot path: a prepared statement, not the query builder.
      if (database.dialect === 'sqlite') {
        claimStatement ??= writerStatement(
          'insert into sample_counters (version_id, total) values (?, ?) on conflict (version_id) do update set total = total + excluded.total returning total',
        );
        const row = claimStatement.get(versionId, rows) as { total: number };
        return Number(row.total) - rows;
      }
      const [row] = await (database as PostgresDatabase).prepared<{ total: string | number }>(
        'claim_sample_sequence',
        'insert into sample_counters (version_id, total) values ($1, $2) on conflict (version_id) do update set total = sample_counters.total + excluded.total returning total',
        [versionId, rows],
      );
      return Number(row!.total) - rows;
    },
    /**
     * Takes the version's counter row lock until commit (PostgreSQL; SQLite has one writer):
     * writing a time window's report under it orders it against every ingest of the version, so a
     * batch either commits first (and is received before the report's cutoff) or sees the report.
     */
    async lockSequence(versionId: number): Promise<void> {
      await db()
        .update(sampleCounters)
        .set({ total: sql`${sampleCounters.total}` })
        .where(eq(sampleCounters.versionId, versionId));
    },
    async sampleCount(versionId: number): Promise<number> {
      const [row] = await db().select().from(sampleCounters).where(eq(sampleCounters.versionId, versionId));
      return row ? Number(row.total) : 0;
    },
    async findBatchByKey(modelId: number, batchKey: string): Promise<Omit<SampleBatchRow, 'payload'> | undefined> {
      const [row] = await db()
        .select({
          id: sampleBatches.id,
          modelId: sampleBatches.modelId,
          versionId: sampleBatches.versionId,
          batchKey: sampleBatches.batchKey,
          requestHash: sampleBatches.requestHash,
          seqStart: sampleBatches.seqStart,
          rowCount: sampleBatches.rowCount,
          observedAt: sampleBatches.observedAt,
          observedUntil: sampleBatches.observedUntil,
          receivedAt: sampleBatches.receivedAt,
          predictionKind: sampleBatches.predictionKind,
        })
        .from(sampleBatches)
        .where(and(eq(sampleBatches.modelId, modelId), eq(sampleBatches.batchKey, batchKey)));
      return row;
    },
    /**
     * The ingestion hot path's write: a batch row and its sample-id index (see insertSampleIds) in
     * prepared statements — one statement on PostgreSQL (one round trip while the version's counter
     * row is locked), two on SQLite.
     */
    async storeBatch(row: Omit<T['sampleBatches']['$inferInsert'], 'id'>, ids: readonly (string | null)[] | undefined): Promise<number> {
      const withIds = ids?.some((id) => id !== null) === true;
      const values = [
        row.modelId,
        row.versionId,
        row.batchKey,
        row.requestHash,
        row.seqStart,
        row.rowCount,
        row.observedAt,
        row.observedUntil ?? null,
        row.receivedAt,
        row.payload,
        row.predictionKind ?? null,
      ];
      if (database.dialect === 'sqlite') {
        insertBatchStatement ??= writerStatement(
          'insert into sample_batches (model_id, version_id, batch_key, request_hash, seq_start, row_count, observed_at, observed_until, received_at, payload, prediction_kind) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id',
        );
        const { id } = insertBatchStatement.get(...values) as { id: number };
        if (withIds) sqliteIdsStatement().run(row.modelId, id, JSON.stringify(ids));
        return id;
      }
      const [inserted] = await (database as PostgresDatabase).prepared<{ id: number }>(
        'store_sample_batch',
        `with b as (
           insert into sample_batches (model_id, version_id, batch_key, request_hash, seq_start, row_count, observed_at, observed_until, received_at, payload, prediction_kind)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning id
         ), i as (
           insert into sample_ids (model_id, sample_id, batch_id, row_index)
           select $1, t.id, b.id, t.n - 1 from b, unnest($12::text[]) with ordinality as t(id, n) where t.id is not null
           on conflict do nothing
         )
         select id from b`,
        [...values, withIds ? ids : null],
      );
      return inserted!.id;
    },
    /**
     * Claims the batch's sample numbers and stores it (storeBatch) at once; returns its first
     * sample number. On PostgreSQL one statement: the counter row is locked only once all of it
     * (the payload included) has reached the server, until commit.
     */
    async claimAndStoreBatch(row: Omit<T['sampleBatches']['$inferInsert'], 'id' | 'seqStart'>, ids: readonly (string | null)[] | undefined): Promise<number> {
      if (database.dialect === 'sqlite') {
        const seqStart = await this.claimSequence(row.versionId, row.rowCount);
        await this.storeBatch({ ...row, seqStart }, ids);
        return seqStart;
      }
      const withIds = ids?.some((id) => id !== null) === true;
      const [stored] = await (database as PostgresDatabase).prepared<{ seq_start: string | number }>(
        'claim_and_store_sample_batch',
        `with c as (
           insert into sample_counters (version_id, total) values ($2, $5::int) on conflict (version_id)
           do update set total = sample_counters.total + excluded.total returning total - $5::int as seq_start
         ), b as (
           insert into sample_batches (model_id, version_id, batch_key, request_hash, seq_start, row_count, observed_at, observed_until, received_at, payload, prediction_kind)
           select $1, $2, $3, $4, c.seq_start, $5::int, $6, $7, $8, $9, $10 from c returning id, seq_start
         ), i as (
           insert into sample_ids (model_id, sample_id, batch_id, row_index)
           select $1, t.id, b.id, t.n - 1 from b, unnest($11::text[]) with ordinality as t(id, n) where t.id is not null
           on conflict do nothing
         )
         select seq_start from b`,
        [
          row.modelId,
          row.versionId,
          row.batchKey,
          row.requestHash,
          row.rowCount,
          row.observedAt,
          row.observedUntil ?? null,
          row.receivedAt,
          row.payload,
          row.predictionKind ?? null,
          withIds ? ids : null,
        ],
      );
      return Number(stored!.seq_start);
    },
    async insertBatch(row: T['sampleBatches']['$inferInsert']): Promise<number> {
      const [inserted] = await db().insert(sampleBatches).values(row).returning({ id: sampleBatches.id });
      return inserted!.id;
    },
    /**
     * Indexes a batch's sample ids (null where a row has none) with their row numbers, for label
     * matching; an id seen before keeps its first batch. On the ingestion hot path, so not through
     * the query builder (a 1 000-id batch cost ~30 ms there): one `json_each` statement on SQLite,
     * one `unnest … with ordinality` statement on PostgreSQL.
     */
    async insertSampleIds(modelId: number, batchId: number, ids: readonly (string | null)[]): Promise<void> {
      if (!ids.some((id) => id !== null)) return;
      if (database.dialect === 'sqlite') {
        // One statement: SQLite walks the JSON array itself (~40 % less than a run() per id); `key` is the row.
        sqliteIdsStatement().run(modelId, batchId, JSON.stringify(ids));
        return;
      }
      // node-postgres binds a JS array as one text[] parameter (drizzle's sql`` would spread it).
      await (database as PostgresDatabase).prepared(
        'insert_sample_ids_rows',
        'insert into sample_ids (model_id, sample_id, batch_id, row_index) select $1, t.id, $3, t.n - 1 from unnest($2::text[]) with ordinality as t(id, n) where t.id is not null on conflict do nothing',
        [modelId, ids, batchId],
      );
    },
    /** Batches of a version whose sample numbers overlap [from, to), in sequence order. */
    batchesInSequence(versionId: number, from: number, to: number): Promise<SampleBatchRow[]> {
      return db()
        .select()
        .from(sampleBatches)
        .where(
          and(eq(sampleBatches.versionId, versionId), lt(sampleBatches.seqStart, to), sql`${sampleBatches.seqStart} + ${sampleBatches.rowCount} > ${from}`),
        )
        .orderBy(asc(sampleBatches.seqStart));
    },
    /**
     * Batches of a version with rows observed in [from, to] (ISO timestamps; a batch spans
     * observed_at…observed_until), received by `receivedBy` when given, in sequence order.
     */
    batchesInTime(versionId: number, from: string, to: string, receivedBy?: string | null): Promise<SampleBatchRow[]> {
      return db()
        .select()
        .from(sampleBatches)
        .where(
          and(
            eq(sampleBatches.versionId, versionId),
            lte(sampleBatches.observedAt, to),
            gte(sql`coalesce(${sampleBatches.observedUntil}, ${sampleBatches.observedAt})`, from),
            receivedBy ? lte(sampleBatches.receivedAt, receivedBy) : undefined,
          ),
        )
        .orderBy(asc(sampleBatches.seqStart));
    },
    /** The end of the newest time-window report of a model, if any. */
    async lastTimeWindowEnd(modelId: number): Promise<string | undefined> {
      const [row] = await db()
        .select({ to: driftReports.toTime })
        .from(driftReports)
        .where(and(eq(driftReports.modelId, modelId), eq(driftReports.kind, 'time')))
        .orderBy(desc(driftReports.toTime))
        .limit(1);
      return row?.to ?? undefined;
    },
    /**
     * The earliest row time after `after` (ISO) of a model's batches, if any: the later of
     * `after` and the first batch that still has rows after it (a batch spans observed_at…observed_until).
     */
    async firstObservedAfter(modelId: number, after: string): Promise<string | undefined> {
      const [row] = await db()
        .select({ at: sampleBatches.observedAt })
        .from(sampleBatches)
        .where(and(eq(sampleBatches.modelId, modelId), gt(sql`coalesce(${sampleBatches.observedUntil}, ${sampleBatches.observedAt})`, after)))
        .orderBy(asc(sampleBatches.observedAt))
        .limit(1);
      if (!row) return undefined;
      return row.at > after ? row.at : new Date(Date.parse(after) + 1).toISOString();
    },
    /** Versions of a model with batches that have rows observed in [from, to]. */
    async versionsWithSamples(modelId: number, from: string, to: string): Promise<number[]> {
      const rows = await db()
        .selectDistinct({ v: sampleBatches.versionId })
        .from(sampleBatches)
        .where(
          and(
            eq(sampleBatches.modelId, modelId),
            lte(sampleBatches.observedAt, to),
            gte(sql`coalesce(${sampleBatches.observedUntil}, ${sampleBatches.observedAt})`, from),
          ),
        );
      return rows.map((r) => r.v);
    },
    /** Deletes batches received before `before`; returns how many. */
    async pruneBatches(before: string): Promise<number> {
      return (await db().delete(sampleBatches).where(lt(sampleBatches.receivedAt, before)).returning({ id: sampleBatches.id })).length;
    },

    // --- labels
    async knownSampleIds(modelId: number, ids: string[]): Promise<Set<string>> {
      const known = new Set<string>();
      for (const part of chunks(ids)) {
        const rows = await db()
          .select({ id: sampleIds.sampleId })
          .from(sampleIds)
          .where(and(eq(sampleIds.modelId, modelId), inArray(sampleIds.sampleId, part)));
        for (const r of rows) known.add(r.id);
      }
      return known;
    },
    /** The version and prediction type of the batch that holds each stored sample id: what a late label must fit. */
    async sampleOwners(modelId: number, ids: string[]): Promise<Map<string, { versionId: number; predictionKind: string | null }>> {
      const out = new Map<string, { versionId: number; predictionKind: string | null }>();
      for (const part of chunks(ids)) {
        const rows = await db()
          .select({ id: sampleIds.sampleId, versionId: sampleBatches.versionId, predictionKind: sampleBatches.predictionKind })
          .from(sampleIds)
          .innerJoin(sampleBatches, eq(sampleBatches.id, sampleIds.batchId))
          .where(and(eq(sampleIds.modelId, modelId), inArray(sampleIds.sampleId, part)));
        for (const r of rows) out.set(r.id, { versionId: r.versionId, predictionKind: r.predictionKind });
      }
      return out;
    },
    async upsertLabels(modelId: number, items: { id: string; label: number | string }[], at: string): Promise<void> {
      for (const part of chunks(items)) {
        await db()
          .insert(sampleLabels)
          .values(part.map((i) => ({ modelId, sampleId: i.id, label: i.label, createdAt: at })))
          .onConflictDoUpdate({ target: [sampleLabels.modelId, sampleLabels.sampleId], set: { label: sql`excluded.label`, createdAt: at } });
      }
    },
    /** Where labelled samples live: their batch (sequence start, observation span, receive time) and row. */
    async sampleLocations(modelId: number, ids: string[]): Promise<SampleLocation[]> {
      const out: SampleLocation[] = [];
      for (const part of chunks(ids)) {
        const rows = await db()
          .select({
            sampleId: sampleIds.sampleId,
            rowIndex: sampleIds.rowIndex,
            batchId: sampleBatches.id,
            versionId: sampleBatches.versionId,
            seqStart: sampleBatches.seqStart,
            rowCount: sampleBatches.rowCount,
            observedAt: sampleBatches.observedAt,
            observedUntil: sampleBatches.observedUntil,
            receivedAt: sampleBatches.receivedAt,
          })
          .from(sampleIds)
          .innerJoin(sampleBatches, eq(sampleBatches.id, sampleIds.batchId))
          .where(and(eq(sampleIds.modelId, modelId), inArray(sampleIds.sampleId, part)));
        out.push(...rows.map((r) => ({ ...r, seqStart: Number(r.seqStart) })));
      }
      return out;
    },
    async batchPayload(batchId: number): Promise<Buffer | undefined> {
      const [row] = await db().select({ payload: sampleBatches.payload }).from(sampleBatches).where(eq(sampleBatches.id, batchId));
      return row?.payload;
    },
    async labelsFor(modelId: number, ids: string[]): Promise<Map<string, number | string>> {
      const out = new Map<string, number | string>();
      for (const part of chunks(ids)) {
        const rows = await db()
          .select({ id: sampleLabels.sampleId, label: sampleLabels.label })
          .from(sampleLabels)
          .where(and(eq(sampleLabels.modelId, modelId), inArray(sampleLabels.sampleId, part)));
        for (const r of rows) out.set(r.id, r.label);
      }
      return out;
    },

    // --- drift reports (the outbox: pending rows are what still has to be computed)
    /** Inserts a pending report unless its window already has one; returns the new id or undefined. */
    async insertPendingReport(row: T['driftReports']['$inferInsert']): Promise<number | undefined> {
      const [inserted] = await db().insert(driftReports).values(row).onConflictDoNothing().returning({ id: driftReports.id });
      return inserted?.id;
    },
    async findReportByWindow(modelId: number, windowKey: string): Promise<DriftReportRow | undefined> {
      const [row] = await db()
        .select()
        .from(driftReports)
        .where(and(eq(driftReports.modelId, modelId), eq(driftReports.windowKey, windowKey)));
      return row;
    },
    async findReport(id: number): Promise<DriftReportRow | undefined> {
      const [row] = await db().select().from(driftReports).where(eq(driftReports.id, id));
      return row;
    },
    async updateReport(id: number, patch: Partial<T['driftReports']['$inferInsert']>): Promise<void> {
      await db().update(driftReports).set(patch).where(eq(driftReports.id, id));
    },
    /**
     * What the outbox sweeper (re-)enqueues: pending reports created before `before`, and done
     * reports whose revision (late labels or rows) was requested before it.
     */
    pendingReports(before: string, limit: number): Promise<{ id: number; generation: number }[]> {
      return db()
        .select({ id: driftReports.id, generation: driftReports.generation })
        .from(driftReports)
        .where(
          or(
            and(eq(driftReports.status, 'pending'), lt(driftReports.createdAt, before)),
            and(eq(driftReports.status, 'done'), isNotNull(driftReports.requestedAt), lt(driftReports.requestedAt, before)),
          ),
        )
        .orderBy(asc(driftReports.id))
        .limit(limit);
    },
    /**
     * Compare-and-set of the generation of a report that still waits for a job (pending, or a
     * revision due): true for the one caller that moved it from `from` to `from + 1`, false for
     * any racing sweep.
     */
    async bumpReportGeneration(id: number, from: number): Promise<boolean> {
      const rows = await db()
        .update(driftReports)
        .set({ generation: from + 1 })
        .where(
          and(
            eq(driftReports.id, id),
            or(eq(driftReports.status, 'pending'), and(eq(driftReports.status, 'done'), isNotNull(driftReports.requestedAt))),
            eq(driftReports.generation, from),
          ),
        )
        .returning({ id: driftReports.id });
      return rows.length === 1;
    },
    /**
     * Asks for a revision of a pending or done report, in the transaction that stored the late
     * data: one more request, a new generation (so the revision's job id is one no finished job
     * holds), and the scope (a full recompute wins over labels only). Returns the new generation,
     * or undefined for a failed or missing report.
     */
    async requestRevision(id: number, scope: 'labels' | 'full', at: string): Promise<number | undefined> {
      const [row] = await db()
        .update(driftReports)
        .set({
          requests: sql`${driftReports.requests} + 1`,
          generation: sql`${driftReports.generation} + 1`,
          recompute: scope === 'full' ? 'full' : sql`coalesce(${driftReports.recompute}, 'labels')`,
          requestedAt: at,
          ...(scope === 'labels' ? { labelsUpdatedAt: at } : {}),
        })
        .where(and(eq(driftReports.id, id), inArray(driftReports.status, ['pending', 'done'])))
        .returning({ generation: driftReports.generation });
      return row?.generation;
    },
    /** Reports of a version (pending or done) whose window may hold the given sample numbers or times. */
    reportsOverlapping(
      versionId: number,
      q: { seqFrom: number; seqTo: number; from: string; to: string },
    ): Promise<Pick<DriftReportRow, 'id' | 'kind' | 'seqFrom' | 'seqTo' | 'fromTime' | 'toTime' | 'dataCutoff'>[]> {
      return db()
        .select({
          id: driftReports.id,
          kind: driftReports.kind,
          seqFrom: driftReports.seqFrom,
          seqTo: driftReports.seqTo,
          fromTime: driftReports.fromTime,
          toTime: driftReports.toTime,
          dataCutoff: driftReports.dataCutoff,
        })
        .from(driftReports)
        .where(
          and(
            eq(driftReports.versionId, versionId),
            inArray(driftReports.status, ['pending', 'done']),
            or(
              and(eq(driftReports.kind, 'count'), lt(driftReports.seqFrom, q.seqTo), gt(driftReports.seqTo, q.seqFrom)),
              and(ne(driftReports.kind, 'count'), lte(driftReports.fromTime, q.to), gte(driftReports.toTime, q.from)),
            ),
          ),
        );
    },
    listReports(q: {
      modelId: number;
      versionId?: number;
      from?: string;
      to?: string;
      drifted?: boolean;
      limit: number;
      beforeId?: number;
    }): Promise<DriftReportRow[]> {
      return db()
        .select()
        .from(driftReports)
        .where(
          and(
            eq(driftReports.modelId, q.modelId),
            q.versionId !== undefined ? eq(driftReports.versionId, q.versionId) : undefined,
            q.from !== undefined ? gte(driftReports.toTime, q.from) : undefined,
            q.to !== undefined ? lte(driftReports.toTime, q.to) : undefined,
            q.drifted !== undefined ? eq(driftReports.drifted, q.drifted) : undefined,
            q.beforeId !== undefined ? lt(driftReports.id, q.beforeId) : undefined,
          ),
        )
        .orderBy(desc(driftReports.id))
        .limit(q.limit);
    },
    /** For /metrics: the newest finished report of each of the `limit` most recently reported models. */
    async latestFinishedReports(
      limit: number,
    ): Promise<{ model: string; drifted: boolean | null; driftShare: number | null; result: Record<string, unknown> | null }[]> {
      const newest = sql<number>`max(${driftReports.id})`;
      const ids = await db()
        .select({ id: newest })
        .from(driftReports)
        .where(eq(driftReports.status, 'done'))
        .groupBy(driftReports.modelId)
        .orderBy(desc(newest))
        .limit(limit);
      if (ids.length === 0) return [];
      return db()
        .select({ model: models.name, drifted: driftReports.drifted, driftShare: driftReports.driftShare, result: driftReports.result })
        .from(driftReports)
        .innerJoin(models, eq(models.id, driftReports.modelId))
        .where(
          inArray(
            driftReports.id,
            ids.map((r) => Number(r.id)),
          ),
        );
    },
  };
}
export type MonitoringRepository = ReturnType<typeof createMonitoringRepository>;
