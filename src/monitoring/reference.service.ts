import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { quantileSorted } from 'simple-statistics';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import {
  buildProfile,
  type Column,
  type DatasetProfile,
  deserializeProfile,
  type FeatureType,
  mergeProfiles,
  quantileEdges,
  serializeProfile,
} from '../drift/index.js';
import { AppError, invalidField } from '../http/errors.js';
import type { ModelRow, RegistryRepository, VersionRow } from '../registry/registry.repository.js';
import type { FeatureSpec } from './batch.js';
import type { RegistryViews } from '../registry/views.js';
import type { SampleBatch } from './batch.js';
import type { MonitoringRepository, ReferenceProfileRow } from './monitoring.repository.js';

/** Decoded profiles are large (a 1 M-row column is 8 MB): a few, by sha256, so a revision is never served stale. */
const PROFILE_CACHE_MAX = 8;
const MAX_APPEND_ATTEMPTS = 8;
const SUMMARY_QUANTILES = [0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1];

export function createReferenceService(deps: {
  repo: MonitoringRepository;
  views: RegistryViews;
  store: ArtifactStore;
  /** To declare the features of a version registered without any (its first reference upload does). */
  registry?: RegistryRepository;
  now?: () => Date;
}) {
  const { repo, views, store } = deps;
  const now = deps.now ?? (() => new Date());
  const cache = new Map<string, DatasetProfile>();

  async function loadProfile(row: ReferenceProfileRow): Promise<DatasetProfile> {
    const hit = cache.get(row.sha256);
    if (hit) return hit;
    const { body } = await store.get(row.storageKey);
    const profile = deserializeProfile(JSON.parse(await text(body)));
    if (cache.size >= PROFILE_CACHE_MAX) cache.delete(cache.keys().next().value!);
    cache.set(row.sha256, profile);
    return profile;
  }

  function summary(model: ModelRow, version: VersionRow, row: ReferenceProfileRow) {
    return {
      model: model.name,
      version: version.version,
      rows: Number(row.rowCount),
      chunks: row.chunks,
      sha256: row.sha256,
      size: Number(row.size),
      updatedAt: row.updatedAt,
      features: (row.summary as { features: Record<string, unknown>[] }).features,
    };
  }

  return {
    loadProfile,

    /**
     * Declares the features of a version that has none, from its first reference body. Under the
     * model's lock and only while the version still has none, so two racing first uploads
     * declare once and the second one is checked against the first's features.
     */
    async declareFeatures(name: string, version: VersionRow, features: FeatureSpec[]): Promise<VersionRow> {
      const registry = deps.registry;
      if (!registry) throw new AppError('VALIDATION_FAILED', 'this version declares no features', [{ path: 'features', message: 'none declared' }]);
      if (features.length === 0) throw invalidField('body', "has no columns to declare the version's features from");
      return registry.transaction(async () => {
        const model = await views.lockModel(name);
        const current = await views.requireVersion(model, version.version);
        if (current.features.length > 0) return current;
        await registry.updateVersion(current.id, { features, updatedAt: now().toISOString() });
        return { ...current, features };
      });
    },

    /**
     * Merges a chunk of reference data into the version's profile. The new profile goes to the
     * store under a fresh key first; the row is then switched to it only if nobody else switched
     * it meanwhile (compare-and-set on the revision; a loser rebuilds on the winner's profile), and
     * only then is the old object deleted: the row always points at complete bytes.
     */
    async append(name: string, versionNumber: number, batch: SampleBatch) {
      const model = await views.requireModel(name);
      const version = await views.requireVersion(model, versionNumber);
      const types = new Map<string, FeatureType>(version.features.map((f) => [f.name, f.type]));
      const columns = new Map<string, Column>([...batch.columns].map(([k, c]) => [k, c.values]));
      const chunk = buildProfile(columns, types);
      for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
        const current = await repo.referenceProfile(version.id);
        const merged = current ? mergeProfiles(await loadProfile(current), chunk) : chunk;
        const bytes = Buffer.from(JSON.stringify(serializeProfile(merged)));
        const storageKey = `references/${model.id}/${version.id}/${randomUUID()}.json`;
        const stored = await store.put(storageKey, Readable.from([bytes]), { contentType: 'application/json' });
        const row = {
          versionId: version.id,
          storageKey,
          sha256: stored.sha256,
          size: stored.size,
          rowCount: merged.rows,
          chunks: (current?.chunks ?? 0) + 1,
          revision: (current?.revision ?? 0) + 1,
          summary: { features: summarize(merged) },
          updatedAt: now().toISOString(),
          source: 'uploaded',
        };
        const switched = await repo.transaction(() => repo.replaceReferenceProfile(row, current?.revision ?? 0));
        if (switched) {
          cache.set(stored.sha256, merged);
          if (current) await store.delete(current.storageKey).catch(() => undefined);
          return summary(model, version, row as ReferenceProfileRow);
        }
        await store.delete(storageKey).catch(() => undefined);
      }
      throw new AppError('DATABASE_BUSY', 'too many concurrent reference appends for this version; retry');
    },

    async get(name: string, versionNumber: number) {
      const model = await views.requireModel(name);
      const version = await views.requireVersion(model, versionNumber);
      const row = await repo.referenceProfile(version.id);
      if (!row) throw new AppError('REFERENCE_NOT_FOUND', `version ${versionNumber} of "${name}" has no reference data; POST it to …/reference`);
      return summary(model, version, row);
    },

    async clear(name: string, versionNumber: number): Promise<void> {
      const model = await views.requireModel(name);
      const version = await views.requireVersion(model, versionNumber);
      const key = await repo.transaction(() => repo.deleteReferenceProfile(version.id));
      if (!key) throw new AppError('REFERENCE_NOT_FOUND', `version ${versionNumber} of "${name}" has no reference data`);
      await store.delete(key).catch(() => undefined);
    },

    /** The profile drift jobs compare against (cached by sha256), or undefined when none was posted. */
    async profileFor(versionId: number): Promise<{ row: ReferenceProfileRow; profile: DatasetProfile } | undefined> {
      const row = await repo.referenceProfile(versionId);
      return row ? { row, profile: await loadProfile(row) } : undefined;
    },
  };
}
export type ReferenceService = ReturnType<typeof createReferenceService>;

export type ReferenceSource = 'uploaded' | 'trainer-output' | 'training-data';
export type StagedReference = Omit<ReferenceProfileRow, 'versionId'>;

/**
 * A whole reference profile built from `columns` and uploaded under `storageKey`, with no row
 * written: a retrain job stages it before the registration transaction, which then inserts the
 * row with the version (`repo.replaceReferenceProfile({ ...staged, versionId }, 0)`), so the
 * version never exists without its reference and no transaction waits on the store.
 */
export async function stageReferenceProfile(
  store: ArtifactStore,
  input: {
    storageKey: string;
    features: readonly { name: string; type: FeatureType }[];
    columns: ReadonlyMap<string, Column>;
    source: ReferenceSource;
    at: string;
  },
): Promise<StagedReference> {
  const types = new Map<string, FeatureType>(input.features.map((f) => [f.name, f.type]));
  const columns = new Map([...input.columns].filter(([name]) => types.has(name)));
  const profile = buildProfile(columns, types);
  const stored = await store.put(input.storageKey, Readable.from([Buffer.from(JSON.stringify(serializeProfile(profile)))]), {
    contentType: 'application/json',
  });
  return {
    storageKey: input.storageKey,
    sha256: stored.sha256,
    size: stored.size,
    rowCount: profile.rows,
    chunks: 1,
    revision: 1,
    summary: { features: summarize(profile) },
    updatedAt: input.at,
    source: input.source,
  };
}

/** Per feature: counts, and quantiles and bin edges (numeric) or the most frequent categories — never raw values. */
function summarize(profile: DatasetProfile): Record<string, unknown>[] {
  return [...profile.features].map(([name, f]) => {
    if (f.kind === 'numeric') {
      const v = f.values;
      // numpy's default (linear) quantiles, as everywhere else in the drift core.
      const quantiles = Object.fromEntries(
        SUMMARY_QUANTILES.map((q) => [`p${Math.round(q * 100)}`, v.length ? quantileSorted(v as unknown as number[], q) : null]),
      );
      return { name, type: 'numeric', count: f.count, missing: f.missing, quantiles, binEdges: Array.from(quantileEdges(v, 10)) };
    }
    const top = [...f.counts].sort((a, b) => b[1] - a[1]).slice(0, 20);
    return { name, type: 'categorical', count: f.count, missing: f.missing, distinct: f.counts.size, frequencies: Object.fromEntries(top) };
  });
}
