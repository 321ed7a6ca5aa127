/**
 * The fixed-seed data behind issue 17's table, shared by bench/verdicts.ts and the tests that hold
 * each row (unit, CLI, service). Each case is a reference plus windows; `sizes` scale it down
 * for tests (the bench runs the issue's sizes).
 */
import { createRng, type Rng } from './random.js';

export type CaseColumn = Float64Array | string[];
export interface DriftCase {
  name: string;
  kinds: Record<string, 'numeric' | 'categorical'>;
  reference: Record<string, CaseColumn>;
  windows: Record<string, CaseColumn>[];
}

/** Categories with two rare ones (2 % and 1 %), so small windows exercise χ² pooling. */
export const CATEGORIES: readonly [string, number][] = [
  ['a', 0.4],
  ['b', 0.3],
  ['c', 0.2],
  ['d', 0.07],
  ['e', 0.02],
  ['f', 0.01],
];
/** Three common and seven rare categories (0.5 % each): where raw χ² loses its level. */
export const RARE_CATEGORIES: readonly [string, number][] = [
  ['a', 0.45],
  ['b', 0.3],
  ['c', 0.215],
  ...['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'].map((k): [string, number] => [k, 0.005]),
];

export function categorical(rng: Rng, n: number, probs: readonly [string, number][]): string[] {
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    let u = rng.uniform();
    let k = probs.length - 1;
    for (let j = 0; j < probs.length; j++) {
      u -= probs[j]![1];
      if (u < 0) {
        k = j;
        break;
      }
    }
    out[i] = probs[k]![0];
  }
  return out;
}

/** Moves `pp` of probability from category "a" to category "b". */
export function moved(probs: readonly [string, number][], pp: number): [string, number][] {
  return probs.map(([k, p]) => [k, k === 'a' ? p - pp : k === 'b' ? p + pp : p]);
}

/** Row 1: mean +shift σ and `pp` of one category moved — significant at large n, irrelevant. */
export function tinyShiftCase(seed: number, ref: number, window: number, windows: number, shift = 0.01, pp = 0.005): DriftCase {
  const rng = createRng(seed);
  return {
    name: 'tiny shift, large n',
    kinds: { x: 'numeric', c: 'categorical' },
    reference: { x: rng.normals(ref), c: categorical(rng, ref, CATEGORIES) },
    windows: Array.from({ length: windows }, () => ({ x: rng.normals(window, shift), c: categorical(rng, window, moved(CATEGORIES, pp)) })),
  };
}

/** Row 2 and the null-rate sweep: `features` features (60 % numeric), windows from the reference's distribution. */
export function nullCase(seed: number, ref: number, window: number, windows: number, features = 10): DriftCase {
  const rng = createRng(seed);
  const kinds: DriftCase['kinds'] = {};
  for (let f = 0; f < features; f++) kinds[`f${f}`] = f < Math.round(features * 0.6) ? 'numeric' : 'categorical';
  const draw = (n: number): Record<string, CaseColumn> =>
    Object.fromEntries(Object.entries(kinds).map(([k, kind]) => [k, kind === 'numeric' ? rng.normals(n) : categorical(rng, n, CATEGORIES)]));
  return { name: 'null', kinds, reference: draw(ref), windows: Array.from({ length: windows }, () => draw(window)) };
}

/** Rows 3 and 4: numeric features x0…, the first `shifted` of them moved by `shift` σ. */
export function shiftCase(seed: number, ref: number, window: number, windows: number, shift: number, features: number, shifted: number): DriftCase {
  const rng = createRng(seed);
  const names = Array.from({ length: features }, (_, i) => `x${i}`);
  return {
    name: `${shift} σ shift of ${shifted} of ${features}`,
    kinds: Object.fromEntries(names.map((n) => [n, 'numeric' as const])),
    reference: Object.fromEntries(names.map((n) => [n, rng.normals(ref)])),
    windows: Array.from({ length: windows }, () => Object.fromEntries(names.map((n, i) => [n, rng.normals(window, i < shifted ? shift : 0)]))),
  };
}

/** Row 5: a unique id and an ISO date beside two stable features. */
export function idDateCase(seed: number, ref: number, window: number, windows: number): DriftCase {
  const rng = createRng(seed);
  let next = 0;
  const day0 = Date.UTC(2026, 0, 1);
  const side = (n: number, dayOffset: number): Record<string, CaseColumn> => ({
    id: Array.from({ length: n }, () => `u-${(next++).toString(36).padStart(6, '0')}`),
    day: Array.from({ length: n }, (_, i) => new Date(day0 + (dayOffset + Math.floor((i * 7) / n)) * 86_400_000).toISOString().slice(0, 10)),
    x: rng.normals(n),
    c: categorical(rng, n, CATEGORIES),
  });
  return {
    name: 'id and date columns',
    kinds: { id: 'categorical', day: 'categorical', x: 'numeric', c: 'categorical' },
    reference: side(ref, 0),
    windows: Array.from({ length: windows }, (_, w) => side(window, 30 + 7 * w)),
  };
}

/** Row 6: one categorical feature with seven rare categories, windows from its own distribution. */
export function rareCategoriesCase(seed: number, ref: number, window: number, windows: number): DriftCase {
  const rng = createRng(seed);
  return {
    name: 'rare categories',
    kinds: { c: 'categorical' },
    reference: { c: categorical(rng, ref, RARE_CATEGORIES) },
    windows: Array.from({ length: windows }, () => ({ c: categorical(rng, window, RARE_CATEGORIES) })),
  };
}

/** CSV text of one side (numbers printed in full precision, categories as they are). */
export function toCsv(columns: Record<string, CaseColumn>): string {
  const names = Object.keys(columns);
  const n = columns[names[0]!]!.length;
  const lines = [names.join(',')];
  for (let i = 0; i < n; i++) lines.push(names.map((k) => String(columns[k]![i])).join(','));
  return `${lines.join('\n')}\n`;
}
