import { text } from 'node:stream/consumers';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { RegistryRepository, VersionRow } from '../registry/registry.repository.js';
import { readTable } from '../tabular/index.js';
import { holdoutTruthKey } from './dataset-export.js';
import { classKey } from './paired-tests.js';
import { decidePromotion, type HoldoutTruth } from './promotion.js';
import type { Evaluation, PromoteConfig } from './retrain.schemas.js';

export const HOLDOUT_PREDICTIONS = 'holdout-predictions.csv';

/**
 * `holdout-predictions.csv` (sample_id,prediction) as a map; a file that cannot be read as that
 * is a reason, not an exception: the version then becomes the challenger and the reason says why.
 */
export async function readHoldoutPredictions(bytes: Buffer): Promise<Map<string, string> | string> {
  try {
    const table = await readTable(new Uint8Array(bytes), {
      format: 'csv',
      types: new Map([
        ['sample_id', 'categorical'],
        ['prediction', 'categorical'],
      ]),
    });
    const ids = table.columns.get('sample_id');
    const predictions = table.columns.get('prediction');
    if (ids?.kind !== 'categorical' || predictions?.kind !== 'categorical') return `${HOLDOUT_PREDICTIONS} needs the columns sample_id and prediction`;
    const out = new Map<string, string>();
    for (let i = 0; i < table.rowCount; i++) {
      const id = ids.values[i];
      const p = predictions.values[i];
      if (id !== null && id !== undefined && p !== null && p !== undefined) out.set(id, classKey(p));
    }
    return out;
  } catch (error) {
    return `${HOLDOUT_PREDICTIONS} could not be read: ${(error as Error).message}`;
  }
}

/**
 * Scores the job's challenger (the version's `holdout-predictions.csv` artifact) against the
 * champion's posted predictions on the holdout kept at export time, and decides (promotion.ts).
 * Reads only the store and committed rows, so a rerun after a crash decides the same way.
 */
export async function evaluateJob(
  deps: { store: ArtifactStore; registry: RegistryRepository },
  input: { model: string; jobId: number; version: VersionRow; promote: PromoteConfig; championVersion: number | null },
): Promise<Evaluation> {
  const truth = JSON.parse(await text((await deps.store.get(holdoutTruthKey(input.model, input.jobId))).body)) as HoldoutTruth;
  const artifact = await deps.registry.findArtifact(input.version.id, HOLDOUT_PREDICTIONS);
  let predictions: Map<string, string> | string | undefined;
  if (artifact) {
    const chunks: Buffer[] = [];
    for await (const chunk of (await deps.store.get(artifact.storageKey)).body) chunks.push(chunk as Buffer);
    predictions = await readHoldoutPredictions(Buffer.concat(chunks));
  }
  if (typeof predictions === 'string' && truth.ids.length > 0) {
    const evaluation = decidePromotion(input.promote, truth, undefined, input.championVersion);
    return { ...evaluation, reason: predictions };
  }
  return decidePromotion(input.promote, truth, typeof predictions === 'string' ? undefined : predictions, input.championVersion);
}
