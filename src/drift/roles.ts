import type { FeatureRole } from './options.js';
import type { DatasetProfile } from './profile.js';

/** ISO-8601 date or date-time (2026-01-31, 2026-01-31T12:00, …:00.123Z, …+02:00, space for T). */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

export interface DetectedRole {
  name: string;
  role: 'id' | 'timestamp';
  why: string;
}

/**
 * Columns of a reference that are not features: a categorical column whose values are all
 * distinct (≥ `minRows` of them) is an identifier — every window brings only new values, so any
 * test flags it (issue 17: PSI 12.4) — and one whose values all parse as ISO dates or date-times
 * is a timestamp, which moves on by design. Numeric ids are not guessed (a continuous feature is
 * all-distinct too); mark them with a role. Pure; the caller decides what to do with it.
 */
export function detectRoles(reference: DatasetProfile, minRows = 30): DetectedRole[] {
  const out: DetectedRole[] = [];
  for (const [name, f] of reference.features) {
    if (f.kind !== 'categorical') continue;
    const present = f.count - f.missing;
    if (present < minRows) continue;
    let allDates = true;
    for (const k of f.counts.keys()) {
      if (!ISO_DATE.test(k)) {
        allDates = false;
        break;
      }
    }
    if (allDates) out.push({ name, role: 'timestamp', why: 'every value is an ISO date or date-time' });
    else if (f.counts.size === present) out.push({ name, role: 'id', why: `all ${present} values are distinct` });
  }
  return out;
}

/** Roles from detection, then explicit ones on top (an explicit `feature` undoes a detection). */
export function mergeRoles(detected: readonly DetectedRole[], explicit: Readonly<Record<string, FeatureRole>>): Record<string, FeatureRole> {
  const roles: Record<string, FeatureRole> = {};
  for (const d of detected) roles[d.name] = d.role;
  return { ...roles, ...explicit };
}
