import { describe, expect, it } from 'vitest';
import type { DatasetProfile } from '../../../src/drift/profile.js';
import { createProfileCache, profileBytes } from '../../../src/monitoring/profile-cache.js';

/** A one-feature profile holding `n` numeric values (8 n bytes). */
const profileOf = (n: number): DatasetProfile => ({
  rows: n,
  features: new Map([['x', { kind: 'numeric', count: n, missing: 0, values: new Float64Array(n) }]]),
});

describe('profile cache bounded in bytes (WORKER_PROFILE_CACHE_BYTES)', () => {
  const size = profileBytes(profileOf(1000));

  it('weighs profiles by the bytes their values hold, categories included', () => {
    expect(size).toBeGreaterThanOrEqual(8000);
    expect(size).toBeLessThan(8200);
    const cat: DatasetProfile = { rows: 2, features: new Map([['c', { kind: 'categorical', count: 2, missing: 0, counts: new Map([['a'.repeat(100), 2]]) }]]) };
    expect(profileBytes(cat)).toBeGreaterThan(200);
  });

  it('evicts the least recently used profiles to stay within its bytes, and decodes again on the next use', async () => {
    const cache = createProfileCache(2 * size + 10);
    const loads: string[] = [];
    const get = (key: string) =>
      cache.get(key, async () => {
        loads.push(key);
        return profileOf(1000);
      });
    await get('a');
    await get('b');
    await get('a'); // hit: a is now the most recently used
    await get('c'); // evicts b
    expect(cache.stats()).toEqual({ bytes: 2 * size, entries: 2 });
    await get('a');
    await get('b');
    expect(loads).toEqual(['a', 'b', 'c', 'b']);
    expect(cache.stats().bytes).toBeLessThanOrEqual(2 * size + 10);
  });

  it('never keeps a profile larger than the whole budget (decoded for each use)', async () => {
    const cache = createProfileCache(size - 1);
    let loads = 0;
    const load = async () => {
      loads++;
      return profileOf(1000);
    };
    await cache.get('big', load);
    await cache.get('big', load);
    expect(loads).toBe(2);
    expect(cache.stats()).toEqual({ bytes: 0, entries: 0 });
  });

  it('shares one decode between concurrent uses, and keeps no failure', async () => {
    const cache = createProfileCache(10 * size);
    let loads = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const load = async () => {
      loads++;
      await gate;
      return profileOf(1000);
    };
    const both = Promise.all([cache.get('k', load), cache.get('k', load)]);
    release();
    const [p1, p2] = await both;
    expect(p1).toBe(p2);
    expect(loads).toBe(1);
    await expect(cache.get('bad', async () => Promise.reject(new Error('store down')))).rejects.toThrow('store down');
    expect(await cache.get('bad', async () => profileOf(10))).toEqual(profileOf(10));
  });
});
