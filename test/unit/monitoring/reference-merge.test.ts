import { describe, expect, it } from 'vitest';
import { decodeProfile, encodeProfile, openProfile, type ProfileReader } from '../../../src/drift/binary-codec.js';
import { buildProfile, type DatasetProfile, type FeatureProfile, mergeProfiles } from '../../../src/drift/profile.js';
import { mergedProfileFrames } from '../../../src/monitoring/reference-merge.js';
import { createRng } from '../../helpers/random.js';

async function* frames(p: DatasetProfile): AsyncGenerator<Uint8Array> {
  yield* encodeProfile(p);
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

async function* once(b: Buffer): AsyncGenerator<Uint8Array> {
  yield b;
}

describe('streamed reference merge', () => {
  const rng = createRng(8);
  const old = buildProfile(
    { a: rng.normals(3000), b: rng.normals(3000), gone: rng.normals(3000), c: Array.from({ length: 3000 }, (_, i) => ['x', 'y', null][i % 3]) },
    { c: 'categorical' },
  );
  const chunkColumns = new Map<string, Float64Array | (string | null)[]>([
    ['a', rng.normals(500)],
    ['b', rng.normals(500)],
    ['c', Array.from({ length: 500 }, (_, i) => ['y', 'z'][i % 2]!)],
    ['fresh', rng.normals(500)],
  ]);
  const types = new Map([['c', 'categorical' as const]]);

  it('gives the bytes of the whole profile built at once, features only on one side counted missing on the other', async () => {
    const summaries: string[] = [];
    const bytes = await collect(
      mergedProfileFrames({ old: await openProfile(frames(old)), rows: 500, columns: chunkColumns, types, cap: 0, onFeature: (n) => summaries.push(n) }),
    );
    const expected = mergeProfiles(old, buildProfile(chunkColumns, types));
    expect(bytes.equals(await collect(frames(expected)))).toBe(true);
    expect(summaries).toEqual(['a', 'b', 'gone', 'c', 'fresh']);
    const back = await decodeProfile(once(bytes));
    expect(back.features.get('gone')).toMatchObject({ count: 3500, missing: 500 });
    expect(back.features.get('fresh')).toMatchObject({ count: 3500, missing: 3000 });
  });

  it('reads the old profile one feature at a time: a feature is written before the next one is read', async () => {
    const reader = await openProfile(frames(old));
    const events: string[] = [];
    const source = reader.features;
    const traced: ProfileReader = {
      ...reader,
      features: (async function* (): AsyncGenerator<[string, FeatureProfile]> {
        for await (const [name, f] of source) {
          events.push(`read ${name}`);
          yield [name, f];
        }
      })(),
    };
    await collect(mergedProfileFrames({ old: traced, rows: 500, columns: chunkColumns, types, cap: 0, onFeature: (n) => events.push(`write ${n}`) }));
    expect(events).toEqual(['read a', 'write a', 'read b', 'write b', 'read gone', 'write gone', 'read c', 'write c', 'write fresh']);
  });

  it('a first chunk (no old profile) past the cap is sampled; the same chunk gives the same bytes', async () => {
    const big = new Map([['v', rng.normals(5000)]]);
    const run = () => collect(mergedProfileFrames({ old: undefined, rows: 5000, columns: big, types: new Map(), cap: 1000, onFeature: () => undefined }));
    const [one, two] = [await run(), await run()];
    expect(one.equals(two)).toBe(true);
    const p = await decodeProfile(once(one));
    expect(p.features.get('v')).toMatchObject({ count: 5000, missing: 0 });
    expect((p.features.get('v') as { values: Float64Array }).values.length).toBe(1000);
  });
});
