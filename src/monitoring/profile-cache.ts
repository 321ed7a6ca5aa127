import type { DatasetProfile } from '../drift/index.js';

/** Default WORKER_PROFILE_CACHE_BYTES: room for three capped 1 M-value × 20-feature references (160 MB each). */
export const DEFAULT_PROFILE_CACHE_BYTES = 512 * 1024 * 1024;

/** Bytes a decoded profile holds: 8 a numeric value, and a rough per-entry cost for category maps. */
export function profileBytes(profile: DatasetProfile): number {
  let bytes = 0;
  for (const [name, f] of profile.features) {
    bytes += 64 + name.length * 2;
    if (f.kind === 'numeric') bytes += f.values.byteLength;
    else for (const k of f.counts.keys()) bytes += 48 + k.length * 2;
  }
  return bytes;
}

/**
 * Decoded profiles by sha256 (so a new revision is never served stale), least recently used
 * first out, bounded by the bytes they hold rather than their number: one 10 M-row reference
 * weighs as much as a thousand small ones. A profile larger than the whole budget is decoded for
 * each use and never kept. Concurrent loads of one sha256 share one decode (two drift jobs on a
 * cold reference must not hold it twice).
 */
export function createProfileCache(maxBytes: number) {
  const entries = new Map<string, { profile: DatasetProfile; bytes: number }>();
  const loading = new Map<string, Promise<DatasetProfile>>();
  let used = 0;

  function keep(key: string, profile: DatasetProfile): void {
    const bytes = profileBytes(profile);
    if (bytes > maxBytes || entries.has(key)) return;
    for (const [k, e] of entries) {
      if (used + bytes <= maxBytes) break;
      entries.delete(k);
      used -= e.bytes;
    }
    entries.set(key, { profile, bytes });
    used += bytes;
  }

  return {
    async get(key: string, load: () => Promise<DatasetProfile>): Promise<DatasetProfile> {
      const hit = entries.get(key);
      if (hit) {
        entries.delete(key);
        entries.set(key, hit);
        return hit.profile;
      }
      const pending = loading.get(key);
      if (pending) return pending;
      const p = load().then(
        (profile) => {
          loading.delete(key);
          keep(key, profile);
          return profile;
        },
        (err: unknown) => {
          loading.delete(key);
          throw err;
        },
      );
      loading.set(key, p);
      return p;
    },
    /** Bytes held and entries, for tests and the bench. */
    stats: () => ({ bytes: used, entries: entries.size }),
  };
}
export type ProfileCache = ReturnType<typeof createProfileCache>;
