import {
  type Column,
  endFrames,
  type FeatureProfile,
  type FeatureType,
  featureFrames,
  featureProfile,
  headerFrames,
  mergeFeatureCapped,
  type ProfileReader,
} from '../drift/index.js';

/**
 * The frames of `old` ∪ `chunk`, produced one feature at a time: the old feature is read from
 * the stored profile, the chunk's column is profiled only then, the two are merged (capped at
 * `cap` values, see src/drift/sample.ts) and written, and both are dropped before the next
 * feature. Memory is one feature's worth, never the whole profile twice. Feature order is the old
 * profile's, then the chunk's new features, as `mergeProfiles` orders them, so the result equals
 * the profile of all rows built at once. `onFeature` sees each merged feature (the summary).
 */
export async function* mergedProfileFrames(input: {
  old: ProfileReader | undefined;
  rows: number;
  columns: ReadonlyMap<string, Column>;
  types: ReadonlyMap<string, FeatureType>;
  cap: number;
  onFeature: (name: string, f: FeatureProfile) => void;
}): AsyncGenerator<Uint8Array> {
  const { old, rows, columns, types, cap } = input;
  const oldRows = old?.rows ?? 0;
  yield* headerFrames(oldRows + rows);
  const done = new Set<string>();
  const emit = function* (name: string, merged: FeatureProfile) {
    input.onFeature(name, merged);
    done.add(name);
    yield* featureFrames(name, merged);
  };
  if (old) {
    for await (const [name, f] of old.features) {
      const column = columns.get(name);
      const part = column ? featureProfile(column, types.get(name)) : emptyLike(f, rows);
      yield* emit(name, mergeFeatureCapped(name, f, part, cap));
    }
  }
  for (const [name, column] of columns) {
    if (done.has(name)) continue;
    const part = featureProfile(column, types.get(name));
    yield* emit(name, mergeFeatureCapped(name, emptyLike(part, oldRows), part, cap));
  }
  yield* endFrames(done.size);
}

function emptyLike(f: FeatureProfile, rows: number): FeatureProfile {
  return f.kind === 'numeric'
    ? { kind: 'numeric', count: rows, missing: rows, values: new Float64Array(0) }
    : { kind: 'categorical', count: rows, missing: rows, counts: new Map() };
}
