import { decodeBatch } from './batch-codec.js';
import type { DriftReportRow, MonitoringRepository, SampleLocation } from './monitoring.repository.js';

type CandidateReport = Pick<DriftReportRow, 'id' | 'kind' | 'seqFrom' | 'seqTo' | 'fromTime' | 'toTime' | 'dataCutoff'>;

/**
 * The reports (pending or done) whose window holds each labelled sample: a count window by the
 * sample's number (its batch's first number + its row), a time or range window by the row's time
 * among the batches received by the report's data cutoff — the same rule the drift job reads its
 * window by (window-data.ts), so a late label revises exactly the reports it is part of. Ids
 * indexed before rows were recorded fall back to every report their batch overlaps.
 */
export async function reportsHoldingSamples(
  repo: Pick<MonitoringRepository, 'reportsOverlapping' | 'batchPayload'>,
  locations: readonly SampleLocation[],
): Promise<number[]> {
  const byVersion = new Map<number, SampleLocation[]>();
  for (const l of locations) byVersion.set(l.versionId, [...(byVersion.get(l.versionId) ?? []), l]);
  const found = new Set<number>();
  const payloads = new Map<number, Float64Array | undefined>();
  const rowTime = async (l: SampleLocation): Promise<number | undefined> => {
    if (l.observedUntil === null) return Date.parse(l.observedAt);
    if (l.rowIndex === null) return undefined;
    if (!payloads.has(l.batchId)) {
      const payload = await repo.batchPayload(l.batchId);
      payloads.set(l.batchId, payload ? decodeBatch(payload).timestamps : undefined);
    }
    const t = payloads.get(l.batchId)?.[l.rowIndex];
    return t === undefined || Number.isNaN(t) ? Date.parse(l.observedAt) : t;
  };
  for (const [versionId, rows] of byVersion) {
    const candidates = await repo.reportsOverlapping(versionId, {
      seqFrom: Math.min(...rows.map((r) => r.seqStart)),
      seqTo: Math.max(...rows.map((r) => r.seqStart + r.rowCount)),
      // ISO-8601 UTC strings of one format sort as their instants.
      from: rows.map((r) => r.observedAt).sort()[0]!,
      to: rows
        .map((r) => r.observedUntil ?? r.observedAt)
        .sort()
        .at(-1)!,
    });
    for (const l of rows) {
      const t = candidates.some((r) => r.kind !== 'count') ? await rowTime(l) : undefined;
      for (const r of candidates) if (!found.has(r.id) && holds(r, l, t)) found.add(r.id);
    }
  }
  return [...found].sort((a, b) => a - b);
}

function holds(r: CandidateReport, l: SampleLocation, t: number | undefined): boolean {
  if (r.kind === 'count') {
    const from = Number(r.seqFrom);
    const to = Number(r.seqTo);
    if (l.rowIndex === null) return l.seqStart < to && l.seqStart + l.rowCount > from;
    const n = l.seqStart + l.rowIndex;
    return n >= from && n < to;
  }
  if (r.dataCutoff !== null && l.receivedAt > r.dataCutoff) return false;
  const from = Date.parse(r.fromTime ?? '1970-01-01T00:00:00Z');
  const to = r.toTime === null ? Number.POSITIVE_INFINITY : Date.parse(r.toTime);
  if (t === undefined) return Date.parse(l.observedAt) <= to && Date.parse(l.observedUntil ?? l.observedAt) >= from;
  return t >= from && t <= to;
}

/**
 * A time window's report takes rows received up to its end + allowed lateness. A report first
 * written after that (a backfill, or rows for a window the sweep had passed) takes rows for
 * another allowed lateness from its creation, so a backfill sent in several batches is whole.
 */
export function timeReportCutoff(windowEndMs: number, latenessMs: number, createdAt: string): string {
  const created = Date.parse(createdAt);
  return new Date(created <= windowEndMs + latenessMs ? windowEndMs + latenessMs : created + latenessMs).toISOString();
}
