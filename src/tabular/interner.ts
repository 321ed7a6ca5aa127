/**
 * Category labels straight from bytes: a cell whose bytes were seen before gets the same string
 * back without decoding or allocating one, so a 1 M-row categorical column of a few dozen labels
 * costs a hash per cell, not a string. NA tokens are recognised once per distinct spelling.
 */
export interface Interner {
  /** The label of bytes [start, end) of `b`, or null when they spell a missing value. */
  intern(b: Uint8Array, start: number, end: number): string | null;
  /** The same, with the FNV-1a hash of the bytes already computed by the caller's scan. */
  internHashed(b: Uint8Array, start: number, end: number, hash: number): string | null;
  /** The same for an already decoded string (quoted cells with "" escapes). */
  internString(text: string): string | null;
}

export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 16777619;

export function createInterner(isNa: (text: string) => boolean): Interner {
  let slots = new Int32Array(1024).fill(-1);
  let mask = slots.length - 1;
  let pool = new Uint8Array(4096);
  let poolUsed = 0;
  const offsets: number[] = [];
  const lengths: number[] = [];
  const hashes: number[] = [];
  const labels: (string | null)[] = [];
  const byString = new Map<string, string | null>();

  const grow = (): void => {
    slots = new Int32Array(slots.length * 2).fill(-1);
    mask = slots.length - 1;
    for (let id = 0; id < hashes.length; id++) {
      let slot = hashes[id]! & mask;
      while (slots[slot] !== -1) slot = (slot + 1) & mask;
      slots[slot] = id;
    }
  };

  const add = (b: Uint8Array, start: number, end: number, hash: number, slot: number): string | null => {
    const length = end - start;
    if (poolUsed + length > pool.length) {
      const next = new Uint8Array(Math.max(pool.length * 2, poolUsed + length));
      next.set(pool.subarray(0, poolUsed));
      pool = next;
    }
    pool.set(b.subarray(start, end), poolUsed);
    const text = Buffer.from(b.buffer, b.byteOffset + start, length).toString('utf8');
    const label = isNa(text) ? null : text;
    const id = hashes.length;
    offsets.push(poolUsed);
    lengths.push(length);
    hashes.push(hash);
    labels.push(label);
    poolUsed += length;
    slots[slot] = id;
    if (hashes.length * 2 > slots.length) grow();
    return label;
  };

  return {
    intern(b, start, end) {
      // FNV-1a: cheap, and good enough for short labels with linear probing.
      let hash = FNV_OFFSET;
      for (let i = start; i < end; i++) hash = Math.imul(hash ^ b[i]!, FNV_PRIME);
      return this.internHashed(b, start, end, hash);
    },
    internHashed(b, start, end, hash) {
      let slot = hash & mask;
      const length = end - start;
      for (;;) {
        const id = slots[slot]!;
        if (id === -1) return add(b, start, end, hash, slot);
        if (hashes[id] === hash && lengths[id] === length) {
          const offset = offsets[id]!;
          let same = true;
          for (let k = 0; k < length; k++) {
            if (pool[offset + k] !== b[start + k]) {
              same = false;
              break;
            }
          }
          if (same) return labels[id]!;
        }
        slot = (slot + 1) & mask;
      }
    },
    internString(text) {
      let label = byString.get(text);
      if (label === undefined) {
        label = isNa(text) ? null : text;
        byString.set(text, label);
      }
      return label;
    },
  };
}
