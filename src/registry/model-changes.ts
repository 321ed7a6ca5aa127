import type { Database } from '../db/client.js';
import type { PostgresDatabase } from '../db/postgres.js';

/**
 * What lets a cached alias view be served without asking the database (PostgreSQL): changes of a
 * model row are pushed by the `mlcycle_model_changed` notification (migration 0009), and this
 * process's own writes move `stamp()` before their callers are answered.
 *
 * A cache entry remembers `stamp()` and `generation(modelId)` as they were *before* the read that
 * validated it; while both are unchanged no change committed after that read started has been
 * reported, so the entry may be served. `stamp()` is undefined while the LISTEN connection is
 * down (notifications sent meanwhile are lost): then every hit is checked with a round trip.
 */
export interface ModelChanges {
  stamp(): number | undefined;
  generation(modelId: number): number;
}

/** Past this many models with notifications, the table is dropped (and every entry distrusted once). */
const GENERATIONS_MAX = 100_000;

export function watchModelChanges(database: Database): ModelChanges | undefined {
  if (database.dialect !== 'postgres') return undefined;
  const pg = database as PostgresDatabase;
  let listening = false;
  // Bumped on every (re)connect and whenever the table is dropped: old stamps stop matching.
  let resets = 0;
  const generations = new Map<number, number>();
  pg.listen(
    'mlcycle_model_changed',
    (payload) => {
      const id = Number(payload);
      if (generations.size >= GENERATIONS_MAX) {
        generations.clear();
        resets++;
      }
      generations.set(id, (generations.get(id) ?? 0) + 1);
    },
    (up) => {
      listening = up;
      resets++;
    },
  );
  return {
    stamp: () => (listening ? pg.writeEpoch() + resets : undefined),
    generation: (modelId) => generations.get(modelId) ?? 0,
  };
}
