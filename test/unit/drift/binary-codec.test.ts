import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeProfile, encodeProfile, openProfile, PROFILE_MAGIC, VALUES_PER_BLOCK } from '../../../src/drift/binary-codec.js';
import { serializeProfile } from '../../../src/drift/codec.js';
import { buildProfile, type DatasetProfile, type NumericFeatureProfile } from '../../../src/drift/profile.js';
import { createRng } from '../../helpers/random.js';

/** The frames of a profile as one buffer (tests only: the service streams them). */
const bytesOf = (p: DatasetProfile): Buffer => Buffer.concat([...encodeProfile(p)]);

/** `bytes` delivered in pieces of `size` (a network or file stream never aligns with frames). */
async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

function expectSame(a: DatasetProfile, b: DatasetProfile): void {
  expect(a.rows).toBe(b.rows);
  expect([...a.features.keys()]).toEqual([...b.features.keys()]);
  for (const [name, fa] of a.features) {
    const fb = b.features.get(name)!;
    expect({ kind: fa.kind, count: fa.count, missing: fa.missing }).toEqual({ kind: fb.kind, count: fb.count, missing: fb.missing });
    if (fa.kind === 'numeric' && fb.kind === 'numeric') {
      expect(fa.values.length).toBe(fb.values.length);
      for (let i = 0; i < fa.values.length; i++) if (!Object.is(fa.values[i], fb.values[i])) throw new Error(`${name}[${i}] differs`);
    }
    if (fa.kind === 'categorical' && fb.kind === 'categorical') expect([...fa.counts]).toEqual([...fb.counts]);
  }
}

describe('mlcycle.profile/2 binary codec', () => {
  const rng = createRng(5);
  const big = rng.normals(VALUES_PER_BLOCK * 2 + 17); // three values frames, the last one short
  big[3] = -0;
  big[4] = 0;
  big[5] = Number.MIN_VALUE;
  big[6] = -Number.MAX_VALUE;
  const profile = buildProfile(
    {
      x: big,
      withMissing: Array.from({ length: big.length }, (_, i) => (i % 7 === 0 ? null : i % 11 === 0 ? Number.NaN : i % 13 === 0 ? 'x' : i / 3)),
      allMissing: new Array(big.length).fill(null),
      plan: Array.from({ length: big.length }, (_, i) => (i % 5 === 0 ? null : ['free', 'pro', '__proto__', 'ünï', ''][i % 4])),
    },
    { x: 'numeric', withMissing: 'numeric', allMissing: 'numeric', plan: 'categorical' },
  );

  it('round-trips every bit (−0, subnormals, extremes), missing counts, empty and categorical features, from any stream split', async () => {
    const bytes = bytesOf(profile);
    expect(bytes.subarray(0, PROFILE_MAGIC.length).toString()).toBe('mlcycle.profile/2\n');
    for (const size of [1, 7, 4096, 65_536, bytes.length]) expectSame(await decodeProfile(pieces(bytes, size)), profile);
    const back = await decodeProfile(pieces(bytes, 1000));
    expect((back.features.get('x') as NumericFeatureProfile).values.some((v) => Object.is(v, -0))).toBe(true);
    expect((back.features.get('withMissing') as NumericFeatureProfile).missing).toBe((profile.features.get('withMissing') as NumericFeatureProfile).missing);
    expect((back.features.get('allMissing') as NumericFeatureProfile).values.length).toBe(0);
  });

  it('round-trips an empty profile and a profile of zero rows', async () => {
    for (const p of [buildProfile({}), buildProfile({ x: [] as number[], c: [] as string[] }, { x: 'numeric', c: 'categorical' })]) {
      expectSame(await decodeProfile(pieces(bytesOf(p), 3)), p);
    }
  });

  it('is deterministic: the same profile gives the same bytes and sha256', () => {
    const sha = (p: DatasetProfile) => createHash('sha256').update(bytesOf(p)).digest('hex');
    expect(sha(buildProfile({ x: big.slice() }))).toBe(sha(buildProfile({ x: big.slice() })));
    const flipped = big.slice();
    flipped[3] = 0; // −0 → +0: one bit
    expect(sha(buildProfile({ x: flipped }))).not.toBe(sha(buildProfile({ x: big.slice() })));
  });

  it('still reads a mlcycle.profile/1 JSON profile (stored before this format)', async () => {
    const legacy = Buffer.from(JSON.stringify(serializeProfile(profile)));
    const reader = await openProfile(pieces(legacy, 333));
    expect(reader.format).toBe('mlcycle.profile/1');
    const features = new Map();
    for await (const [n, f] of reader.features) features.set(n, f);
    expectSame({ rows: reader.rows, features }, profile);
  });

  it('rejects truncated, corrupted and trailing-garbage streams with TypeError', async () => {
    const bytes = bytesOf(buildProfile({ x: [3, 1, 2], c: ['a', 'b', 'a'] }, { c: 'categorical' }));
    await expect(decodeProfile(pieces(new Uint8Array(0), 1))).rejects.toThrow(TypeError);
    for (const cut of [5, PROFILE_MAGIC.length + 3, bytes.length - 1, bytes.length - 10]) {
      await expect(decodeProfile(pieces(bytes.subarray(0, cut), 4))).rejects.toThrow(TypeError);
    }
    await expect(decodeProfile(pieces(Buffer.concat([bytes, Buffer.from([0])]), 4))).rejects.toThrow(/trailing/);
    // The values of x are the 24 bytes after its V frame head: make them unsorted, then NaN.
    const at = bytes.indexOf(Buffer.from([0x56, 24, 0, 0, 0])) + 5;
    const unsorted = Buffer.from(bytes);
    unsorted.writeDoubleLE(9, at);
    await expect(decodeProfile(pieces(unsorted, 64))).rejects.toThrow(/unsorted/);
    const nan = Buffer.from(bytes);
    nan.writeDoubleLE(Number.NaN, at + 8);
    await expect(decodeProfile(pieces(nan, 64))).rejects.toThrow(/non-finite/);
    const wrongMagic = Buffer.from(bytes);
    wrongMagic[16] = 0x33; // "mlcycle.profile/3"
    await expect(decodeProfile(pieces(wrongMagic, 64))).rejects.toThrow(/not a mlcycle.profile\/2/);
  });
});
