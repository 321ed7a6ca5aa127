import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { FeatureSpec } from '../monitoring/batch.js';
import type { MonitoringRepository } from '../monitoring/monitoring.repository.js';
import { assembleWindow } from '../monitoring/window-data.js';
import type { RetrainJobsRepository } from './retrain-jobs.repository.js';

/** How many drifted windows at most go into one training export (newest first). */
export const MAX_EXPORT_WINDOWS = 20;

export interface ManifestFile {
  path: string;
  rows: number | null;
  size: number;
  sha256: string;
}
export interface DatasetManifest {
  job: number;
  model: string;
  baseVersion: number | null;
  windows: number[];
  files: ManifestFile[];
}

/** RFC 4180: quote a cell when it holds a comma, quote or line break. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined || (typeof value === 'number' && Number.isNaN(value))) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const datasetPrefix = (model: string, jobId: number) => `datasets/${model}/${jobId}/`;

/**
 * Writes the job's training data to `localDir` and to the artifact store under
 * `datasets/{model}/{job}/`. The reference data is kept as a profile, not as rows, so what can be
 * exported is: the drifted windows' samples (`samples.csv`: window, sample id, the features, the
 * prediction, and the label — given with the batch or joined from delayed labels), the reference
 * profile's summary (`reference-summary.json`), and `manifest.json` (files, row counts, sha256).
 * Keys are deterministic, so a rerun of the job overwrites rather than adds.
 */
export async function exportTrainingData(
  deps: { repo: RetrainJobsRepository; monitoring: MonitoringRepository; store: ArtifactStore },
  job: {
    id: number;
    modelId: number;
    model: string;
    baseVersionId: number | null;
    baseVersion: number | null;
    features: FeatureSpec[];
    upToReportId: number | null;
  },
  localDir: string,
): Promise<{ manifest: DatasetManifest; uris: string[] }> {
  await mkdir(localDir, { recursive: true });
  const reports =
    job.baseVersionId === null ? [] : await deps.repo.driftedReports(job.modelId, job.baseVersionId, job.upToReportId ?? undefined, MAX_EXPORT_WINDOWS);
  const header = ['window', 'sample_id', ...job.features.map((f) => f.name), 'prediction', 'label'];
  const lines = [header.map(csvCell).join(',')];
  let rows = 0;
  for (const report of [...reports].reverse()) {
    const count = report.kind === 'count';
    const batches = count
      ? await deps.monitoring.batchesInSequence(report.versionId, Number(report.seqFrom), Number(report.seqTo))
      : await deps.monitoring.batchesInTime(report.versionId, report.fromTime ?? '', report.toTime ?? '');
    const data = assembleWindow(batches, job.features, count ? { from: Number(report.seqFrom), to: Number(report.seqTo) } : undefined);
    const missing = data.ids.filter((id, i): id is string => id !== null && data.labels[i] === null);
    const delayed = missing.length ? await deps.monitoring.labelsFor(job.modelId, missing) : new Map<string, number | string>();
    for (let i = 0; i < data.rows; i++) {
      const id = data.ids[i] ?? null;
      const cells: unknown[] = [report.id, id];
      for (const f of job.features) cells.push((data.columns.get(f.name) as ArrayLike<unknown>)[i]);
      cells.push(data.predictions[i], data.labels[i] ?? (id !== null ? delayed.get(id) : null));
      lines.push(cells.map(csvCell).join(','));
    }
    rows += data.rows;
  }
  const files: { path: string; body: Buffer; rows: number | null }[] = [{ path: 'samples.csv', body: Buffer.from(`${lines.join('\n')}\n`), rows }];
  const reference = job.baseVersionId === null ? undefined : await deps.monitoring.referenceProfile(job.baseVersionId);
  if (reference)
    files.push({ path: 'reference-summary.json', body: Buffer.from(JSON.stringify(reference.summary, null, 2)), rows: Number(reference.rowCount) });
  const manifest: DatasetManifest = {
    job: job.id,
    model: job.model,
    baseVersion: job.baseVersion,
    windows: reports.map((r) => r.id).reverse(),
    files: files.map((f) => ({ path: f.path, rows: f.rows, size: f.body.length, sha256: createHash('sha256').update(f.body).digest('hex') })),
  };
  files.push({ path: 'manifest.json', body: Buffer.from(JSON.stringify(manifest, null, 2)), rows: null });
  const prefix = datasetPrefix(job.model, job.id);
  const uris: string[] = [];
  for (const f of files) {
    const local = join(localDir, f.path);
    await writeFile(local, f.body);
    await deps.store.put(`${prefix}${f.path}`, createReadStream(local), { contentType: f.path.endsWith('.csv') ? 'text/csv' : 'application/json' });
    uris.push(`${prefix}${f.path}`);
  }
  return { manifest, uris };
}
