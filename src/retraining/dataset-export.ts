import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { Column } from '../drift/index.js';
import type { FeatureSpec } from '../monitoring/batch.js';
import type { MonitoringRepository } from '../monitoring/monitoring.repository.js';
import { loadReportWindow } from '../monitoring/window-data.js';
import { classKey } from './paired-tests.js';
import type { HoldoutTruth } from './promotion.js';
import type { RetrainJobsRepository } from './retrain-jobs.repository.js';

export interface ManifestFile {
  path: string;
  rows: number;
  size: number;
  sha256: string;
}
export interface DatasetManifest {
  job: number;
  model: string;
  baseVersion: number | null;
  windows: number[];
  files: ManifestFile[];
  split: { rule: string; holdoutShare: number; trainingWindows: number };
}

/** One labelled sample of the training windows. */
export interface LabelledRow {
  id: string | null;
  values: unknown[];
  prediction: number | string | null;
  label: number | string;
}

export interface TrainingRows {
  reportIds: number[];
  rows: LabelledRow[];
}

type ExportDeps = { repo: RetrainJobsRepository; monitoring: MonitoringRepository; store: ArtifactStore };
export interface TrainingSource {
  modelId: number;
  baseVersionId: number | null;
  features: readonly FeatureSpec[];
  upToReportId: number | null;
  trainingWindows: number;
}

/** RFC 4180: quote a cell when it holds a comma, quote or line break. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined || (typeof value === 'number' && Number.isNaN(value))) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const datasetPrefix = (model: string, jobId: number) => `datasets/${model}/${jobId}/`;
/** The holdout's labels and the champion's predictions: never under the dataset prefix a pipeline is handed. */
export const holdoutTruthKey = (model: string, jobId: number) => `evaluations/${model}/${jobId}/holdout-truth.json`;

export const SPLIT_RULE = 'holdout when the sample has an id and a posted prediction and uint32(sha256(sample_id)[0..4]) / 2^32 < holdoutShare';

/** The split is a function of the sample id alone, so a rerun of the job (or another job) cuts the same rows. */
export function inHoldout(id: string, share: number): boolean {
  return createHash('sha256').update(id).digest().readUInt32BE(0) / 4_294_967_296 < share;
}

/**
 * The labelled samples of the last `trainingWindows` finished windows of the base version, up to
 * the triggering report: the label given with the batch, else the delayed one joined by id.
 * Unlabelled samples are not training data and are left out.
 */
export async function collectTrainingRows(deps: Omit<ExportDeps, 'store'>, source: TrainingSource): Promise<TrainingRows> {
  if (source.baseVersionId === null) return { reportIds: [], rows: [] };
  const reports = await deps.repo.windowReports(source.modelId, source.baseVersionId, source.upToReportId ?? undefined, source.trainingWindows);
  const rows: LabelledRow[] = [];
  for (const report of [...reports].reverse()) {
    const data = await loadReportWindow(deps.monitoring, report, source.features);
    const missing = data.ids.filter((id, i): id is string => id !== null && data.labels[i] === null);
    const delayed = missing.length ? await deps.monitoring.labelsFor(source.modelId, missing) : new Map<string, number | string>();
    for (let i = 0; i < data.rows; i++) {
      const id = data.ids[i] ?? null;
      const label = data.labels[i] ?? (id !== null ? delayed.get(id) : undefined) ?? null;
      if (label === null) continue;
      const values = source.features.map((f) => (data.columns.get(f.name) as ArrayLike<unknown>)[i]);
      rows.push({ id, values, prediction: data.predictions[i] ?? null, label });
    }
  }
  return { reportIds: reports.map((r) => r.id).reverse(), rows };
}

/**
 * Writes the evaluation contract to `localDir` and to the store under `datasets/{model}/{job}/`:
 * `train.csv` (sample_id, features…, label) and `holdout.csv` (sample_id, features…; NO label),
 * cut by {@link inHoldout}; only samples with a posted prediction can be held out, so the
 * champion is scored on every holdout row. `manifest.json` lists files, rows, sha256 and the
 * rule. The holdout's labels and posted predictions go to {@link holdoutTruthKey}, which no
 * trainer is given. Keys are deterministic, so a rerun overwrites rather than adds.
 */
export async function exportTrainingData(
  deps: ExportDeps,
  job: { id: number; model: string; baseVersion: number | null; features: readonly FeatureSpec[]; holdoutShare: number; trainingWindows: number },
  data: TrainingRows,
  localDir: string,
): Promise<{ manifest: DatasetManifest; uris: string[]; train: LabelledRow[]; holdout: HoldoutTruth }> {
  await mkdir(localDir, { recursive: true });
  const names = job.features.map((f) => f.name);
  const train: LabelledRow[] = [];
  const held: LabelledRow[] = [];
  for (const row of data.rows) (row.id !== null && row.prediction !== null && inHoldout(row.id, job.holdoutShare) ? held : train).push(row);
  const csv = (header: string[], lines: unknown[][]) => Buffer.from(`${[header, ...lines].map((l) => l.map(csvCell).join(',')).join('\n')}\n`);
  const files = [
    {
      path: 'train.csv',
      rows: train.length,
      body: csv(
        ['sample_id', ...names, 'label'],
        train.map((r) => [r.id, ...r.values, r.label]),
      ),
    },
    {
      path: 'holdout.csv',
      rows: held.length,
      body: csv(
        ['sample_id', ...names],
        held.map((r) => [r.id, ...r.values]),
      ),
    },
  ];
  const manifest: DatasetManifest = {
    job: job.id,
    model: job.model,
    baseVersion: job.baseVersion,
    windows: data.reportIds,
    files: files.map((f) => ({ path: f.path, rows: f.rows, size: f.body.length, sha256: createHash('sha256').update(f.body).digest('hex') })),
    split: { rule: SPLIT_RULE, holdoutShare: job.holdoutShare, trainingWindows: job.trainingWindows },
  };
  const all = [...files, { path: 'manifest.json', rows: 0, body: Buffer.from(JSON.stringify(manifest, null, 2)) }];
  const prefix = datasetPrefix(job.model, job.id);
  const uris: string[] = [];
  for (const f of all) {
    const local = join(localDir, f.path);
    await writeFile(local, f.body);
    await deps.store.put(`${prefix}${f.path}`, createReadStream(local), { contentType: f.path.endsWith('.csv') ? 'text/csv' : 'application/json' });
    uris.push(`${prefix}${f.path}`);
  }
  const holdout: HoldoutTruth = {
    ids: held.map((r) => r.id!),
    labels: held.map((r) => classKey(r.label)),
    champion: held.map((r) => classKey(r.prediction)),
  };
  await deps.store.put(holdoutTruthKey(job.model, job.id), Readable.from([Buffer.from(JSON.stringify(holdout))]), { contentType: 'application/json' });
  return { manifest, uris, train, holdout };
}

/** The feature columns of train.csv, for the reference profile of a version trained on it. */
export function trainColumns(features: readonly FeatureSpec[], rows: readonly LabelledRow[]): Map<string, Column> {
  return new Map(
    features.map((f, j) => [
      f.name,
      f.type === 'numeric'
        ? Float64Array.from(rows, (r) => (typeof r.values[j] === 'number' ? (r.values[j] as number) : Number.NaN))
        : rows.map((r) => (r.values[j] === null || r.values[j] === undefined ? null : String(r.values[j]))),
    ]),
  );
}
