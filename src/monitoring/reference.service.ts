import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { quantileSorted } from 'simple-statistics';
import { ArtifactNotFoundError, type ArtifactStore } from '../artifacts/artifact-store.js';
import {
  buildProfile,
  type Column,
  capFeature,
  type DatasetProfile,
  DEFAULT_REFERENCE_MAX_VALUES,
  decodeProfile,
  encodeProfile,
  type FeatureProfile,
  type FeatureType,
  isSampled,
  openProfile,
  quantileEdges,
} from '../drift/index.js';
import { AppError, invalidField } from '../http/errors.js';
import type { ModelRow, RegistryRepository, VersionRow } from '../registry/registry.repository.js';
import type { FeatureSpec } from './batch.js';
import type { RegistryViews } from '../registry/views.js';
import type { SampleBatch } from './batch.js';
import type { MonitoringRepository, ReferenceProfileRow } from './monitoring.repository.js';
import { createProfileCache, DEFAULT_PROFILE_CACHE_BYTES } from './profile-cache.js';
import { mergedProfileFrames } from './reference-merge.js';

/** How stored profiles are written; `/1` (JSON) objects written before it stay readable. */
export const PROFILE_CONTENT_TYPE = 'application/vnd.mlcycle.profile.v2';
const MAX_APPEND_ATTEMPTS = 8;
const SUMMARY_QUANTILES = [0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1];

export function createReferenceService(deps: {
  repo: MonitoringRepository;
  views: RegistryViews;
  store: ArtifactStore;
  /** To declare the features of a version registered without any (its first reference upload does). */
  registry?: RegistryRepository;
  now?: () => Date;
  /** REFERENCE_MAX_VALUES: numeric values kept per feature before a seeded uniform sample takes over (0: no cap). */
  maxValues?: number;
  /** WORKER_PROFILE_CACHE_BYTES: decoded profiles kept for drift jobs, in bytes. */
  cacheBytes?: number;
}) {
  const { repo, views, store } = deps;
  const now = deps.now ?? (() => new Date());
  const cap = deps.maxValues ?? DEFAULT_REFERENCE_MAX_VALUES;
  const cache = createProfileCache(deps.cacheBytes ?? DEFAULT_PROFILE_CACHE_BYTES);

  /** The decoded profile of a row (either stored format), shared through the byte-bounded cache. */
  async function loadProfile(row: ReferenceProfileRow): Promise<DatasetProfile> {
    return cache.get(row.sha256, async () => {
      const { body } = await store.get(row.storageKey);
      try {
        return await decodeProfile(body);
      } finally {
        body.destroy();
      }
    });
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
    cacheStats: cache.stats,

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
     *
     * The merge streams (src/monitoring/reference-merge.ts): the old profile is read one feature
     * at a time while the new one is written, so an append holds one feature of each, whatever
     * the size of the reference. A chunk that fails half-way abandons its upload; the row keeps
     * pointing at the previous profile.
     */
    async append(name: string, versionNumber: number, batch: SampleBatch) {
      const model = await views.requireModel(name);
      const version = await views.requireVersion(model, versionNumber);
      const types = new Map<string, FeatureType>(version.features.map((f) => [f.name, f.type]));
      const columns = new Map<string, Column>([...batch.columns].map(([k, c]) => [k, c.values]));
      for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
        const current = await repo.referenceProfile(version.id);
        let source: Awaited<ReturnType<ArtifactStore['get']>> | undefined;
        try {
          source = current ? await store.get(current.storageKey) : undefined;
        } catch (err) {
          // A concurrent append switched the row and deleted this object meanwhile: build on its profile instead.
          if (err instanceof ArtifactNotFoundError && (await repo.referenceProfile(version.id))?.revision !== current?.revision) continue;
          throw err;
        }
        const features: Record<string, unknown>[] = [];
        const storageKey = `references/${model.id}/${version.id}/${randomUUID()}.profile`;
        let stored: { sha256: string; size: number };
        let rowCount: number;
        try {
          const old = source ? await openProfile(source.body) : undefined;
          rowCount = (old?.rows ?? 0) + batch.rowCount;
          const frames = mergedProfileFrames({ old, rows: batch.rowCount, columns, types, cap, onFeature: (n, f) => features.push(summarizeFeature(n, f)) });
          stored = await store.put(storageKey, Readable.from(frames), { contentType: PROFILE_CONTENT_TYPE });
        } finally {
          source?.body.destroy();
        }
        const row = {
          versionId: version.id,
          storageKey,
          sha256: stored.sha256,
          size: stored.size,
          rowCount,
          chunks: (current?.chunks ?? 0) + 1,
          revision: (current?.revision ?? 0) + 1,
          summary: { features },
          updatedAt: now().toISOString(),
          source: 'uploaded',
        };
        const switched = await repo.transaction(() => repo.replaceReferenceProfile(row, current?.revision ?? 0));
        if (switched) {
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
    /** REFERENCE_MAX_VALUES (default {@link DEFAULT_REFERENCE_MAX_VALUES}). */
    maxValues?: number;
  },
): Promise<StagedReference> {
  const types = new Map<string, FeatureType>(input.features.map((f) => [f.name, f.type]));
  const columns = new Map([...input.columns].filter(([name]) => types.has(name)));
  const built = buildProfile(columns, types);
  const cap = input.maxValues ?? DEFAULT_REFERENCE_MAX_VALUES;
  const profile: DatasetProfile = { rows: built.rows, features: new Map([...built.features].map(([n, f]) => [n, capFeature(n, f, cap)])) };
  const stored = await store.put(input.storageKey, Readable.from(encodeProfile(profile)), { contentType: PROFILE_CONTENT_TYPE });
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
  return [...profile.features].map(([name, f]) => summarizeFeature(name, f));
}

/** A sampled feature's quantiles and edges are its sample's; `sample` says how many values stand for how many. */
function summarizeFeature(name: string, f: FeatureProfile): Record<string, unknown> {
  if (f.kind === 'numeric') {
    const v = f.values;
    // numpy's default (linear) quantiles, as everywhere else in the drift core.
    const quantiles = Object.fromEntries(
      SUMMARY_QUANTILES.map((q) => [`p${Math.round(q * 100)}`, v.length ? quantileSorted(v as unknown as number[], q) : null]),
    );
    const sample = isSampled(f) ? { sample: { size: v.length, population: f.count - f.missing } } : {};
    return { name, type: 'numeric', count: f.count, missing: f.missing, ...sample, quantiles, binEdges: Array.from(quantileEdges(v, 10)) };
  }
  const top = [...f.counts].sort((a, b) => b[1] - a[1]).slice(0, 20);
  return { name, type: 'categorical', count: f.count, missing: f.missing, distinct: f.counts.size, frequencies: Object.fromEntries(top) };
}
