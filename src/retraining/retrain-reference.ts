import { randomUUID } from 'node:crypto';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { Column } from '../drift/index.js';
import type { FeatureSpec } from '../monitoring/batch.js';
import { stageReferenceProfile, type StagedReference } from '../monitoring/reference.service.js';
import { readTable } from '../tabular/index.js';
import { type LabelledRow, trainColumns } from './dataset-export.js';
import type { StagedOutput } from './retrain-finish.js';

const REFERENCE_OUTPUT = /^reference\.(csv|arrow|parquet)$/;

/**
 * The reference profile a retrained version is registered with, uploaded now (before the
 * registration transaction): the trainer's `reference.csv|.arrow|.parquet` when it wrote one,
 * else the feature columns of the train.csv it was given. A reference output that cannot be read
 * falls back to the training data (and is logged): the version must not go unmonitored.
 */
export async function stageVersionReference(
  deps: { store: ArtifactStore; log: (message: string, error?: unknown) => void; maxValues?: number },
  input: { modelId: number; jobId: number; features: readonly FeatureSpec[]; outputs: readonly StagedOutput[]; train: readonly LabelledRow[]; at: string },
): Promise<StagedReference | undefined> {
  if (input.features.length === 0) return undefined;
  const storageKey = `references/${input.modelId}/job-${input.jobId}/${randomUUID()}.profile`;
  const cap = deps.maxValues !== undefined ? { maxValues: deps.maxValues } : {};
  const output = input.outputs.find((o) => REFERENCE_OUTPUT.test(o.path));
  if (output) {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of (await deps.store.get(output.storageKey)).body) chunks.push(chunk as Buffer);
      const format = REFERENCE_OUTPUT.exec(output.path)![1] as 'csv' | 'arrow' | 'parquet';
      const table = await readTable(new Uint8Array(Buffer.concat(chunks)), { format, types: new Map(input.features.map((f) => [f.name, f.type])) });
      const columns = new Map<string, Column>([...table.columns].map(([name, c]) => [name, c.values]));
      return await stageReferenceProfile(deps.store, { storageKey, features: input.features, columns, source: 'trainer-output', at: input.at, ...cap });
    } catch (error) {
      deps.log(`retrain job ${input.jobId}: ${output.path} could not be read as the reference; using train.csv's features`, error);
    }
  }
  if (input.train.length === 0) return undefined;
  return stageReferenceProfile(deps.store, {
    storageKey,
    features: input.features,
    columns: trainColumns(input.features, input.train),
    source: 'training-data',
    at: input.at,
    ...cap,
  });
}
