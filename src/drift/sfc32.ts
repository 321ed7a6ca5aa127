/**
 * sfc32, Doty-Humphrey's Small Fast Counting generator (PractRand-clean): the one seeded source of
 * randomness in mlcycle (reference sampling, paired bootstraps, the tests' data). Each caller keeps
 * its own initial state and warm-up, so its streams — and what they feed, such as a sampled
 * profile's sha256 — stay what they were.
 * @returns the next 32-bit unsigned output on each call, after `warmUp` outputs were discarded.
 */
export function sfc32(seedA: number, seedB: number, seedC: number, seedD: number, warmUp = 12): () => number {
  let a = seedA | 0;
  let b = seedB | 0;
  let c = seedC | 0;
  let d = seedD | 0;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < warmUp; i++) next();
  return next;
}
