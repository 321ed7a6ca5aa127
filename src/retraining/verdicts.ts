import type { ReportVerdict } from './policy.js';

interface StoredReport {
  id: number;
  drifted: boolean | null;
  result: Record<string, unknown> | null | string;
  completedAt: string | null;
  createdAt: string;
}

/**
 * What the policy needs from a finished drift report row (status `done`): dataset drift (the
 * `drifted` column), whether a feature the monitor marks critical drifted (from the stored
 * report's per-feature verdicts and options.critical), and the performance verdict.
 */
export function verdictOf(row: StoredReport): ReportVerdict {
  const result = (typeof row.result === 'string' ? JSON.parse(row.result) : row.result) as {
    report?: { options?: { critical?: string[] }; features?: { name: string; drifted: boolean }[] };
    performance?: { degraded?: boolean } | null;
  } | null;
  const critical = new Set(result?.report?.options?.critical ?? []);
  return {
    reportId: row.id,
    datasetDrift: row.drifted === true,
    criticalDrifted: (result?.report?.features ?? []).some((f) => f.drifted && critical.has(f.name)),
    performanceDegraded: result?.performance?.degraded === true,
    completedAt: row.completedAt ?? row.createdAt,
  };
}
