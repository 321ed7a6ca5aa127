import type { DatasetProfile } from '../drift/index.js';
import type { RegistryRepository, VersionRow } from '../registry/registry.repository.js';
import type { ReferenceService } from './reference.service.js';

export interface ResolvedReference {
  /** The version number whose profile this is: the report's own version or an ancestor. */
  version: number;
  profile: DatasetProfile;
}

/**
 * The reference a version's windows are compared with: its own profile, else the nearest
 * ancestor's, following `parentVersion` links (a version without a parent has no ancestor).
 * Undefined only when no version on the chain has one — the one case a report fails for.
 * Parents are registered before their children, so the chain ends; the visited set guards
 * against a hand-edited loop anyway.
 */
export async function nearestReference(
  deps: { registry: Pick<RegistryRepository, 'findVersion'>; references: Pick<ReferenceService, 'profileFor'> },
  version: VersionRow,
): Promise<ResolvedReference | undefined> {
  const seen = new Set<number>();
  for (let v: VersionRow | undefined = version; v && !seen.has(v.id); ) {
    seen.add(v.id);
    const own = await deps.references.profileFor(v.id);
    if (own) return { version: v.version, profile: v.id === version.id ? own.profile : comparable(own.profile, version.features) };
    v = v.parentVersion === null ? undefined : await deps.registry.findVersion(v.modelId, v.parentVersion);
  }
  return undefined;
}

/**
 * An ancestor's profile cut to the features the child declares with the same type. A feature
 * the child dropped would otherwise count as entirely missing in every window (a false
 * missing-rate drift), and one whose type changed cannot be compared at all.
 */
function comparable(profile: DatasetProfile, features: VersionRow['features']): DatasetProfile {
  const types = new Map(features.map((f) => [f.name, f.type]));
  const kept = [...profile.features].filter(([name, f]) => types.get(name) === f.kind);
  return kept.length === profile.features.size ? profile : { rows: profile.rows, features: new Map(kept) };
}
