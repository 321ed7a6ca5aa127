import { deserializeProfile } from './codec.js';
import type { CategoricalFeatureProfile, DatasetProfile, FeatureProfile } from './profile.js';

/**
 * `mlcycle.profile/2`: the stored reference profile as a stream of small frames, written and read
 * one feature at a time, so no single string or buffer ever holds a whole profile (`/1` was one
 * JSON string, which a few million rows × 20 features pushed past V8's 512 MB string limit).
 *
 *   magic   "mlcycle.profile/2\n"
 *   frame   tag (u8) · length (u32 LE) · payload
 *     H     {"rows":R}                                    once, first
 *     F     {"name","kind","count","missing",…}           per feature, then its values blocks
 *     V     ≤ 65 536 float64 LE values, ascending         numeric features only
 *     E     {"features":n}                                last; a stream without it is truncated
 *
 * Numeric values are raw little-endian float64: 8 bytes a value, every bit kept (−0 included),
 * and decoding is a copy — the `/1` key-delta varints were 35 % smaller but decoded at ~13 M
 * values/s, 3 s for a 2 M × 20 reference. Categorical features carry their counts in the F frame.
 * Frames are pure functions of the profile (no clock, no ids), so equal profiles give equal bytes.
 */

export const PROFILE_FORMAT_V2 = 'mlcycle.profile/2';
export const PROFILE_MAGIC = new TextEncoder().encode(`${PROFILE_FORMAT_V2}\n`);
export const VALUES_PER_BLOCK = 65_536;
const MAX_FRAME = 0xffff_ffff;
enum Tag {
  Header = 0x48,
  Feature = 0x46,
  Values = 0x56,
  End = 0x45,
}

if (new Uint8Array(Float64Array.of(1).buffer)[7] !== 0x3f) throw new Error('mlcycle.profile/2 needs a little-endian platform');

function frame(tag: Tag, payload: Uint8Array): Uint8Array[] {
  if (payload.length > MAX_FRAME) throw new RangeError('profile frame over 4 GiB');
  return [frameHead(tag, payload.length), payload];
}

function frameHead(tag: Tag, length: number): Uint8Array {
  const head = new Uint8Array(5);
  head[0] = tag;
  new DataView(head.buffer).setUint32(1, length, true);
  return head;
}

const json = (v: unknown): Uint8Array => Buffer.from(JSON.stringify(v));

export function headerFrames(rows: number): Uint8Array[] {
  return [PROFILE_MAGIC, ...frame(Tag.Header, json({ format: PROFILE_FORMAT_V2, rows }))];
}

export function endFrames(features: number): Uint8Array[] {
  return frame(Tag.End, json({ features }));
}

/** One feature's frames; numeric values are views of the profile's own array (no copy). */
export function* featureFrames(name: string, f: FeatureProfile): Generator<Uint8Array> {
  if (f.kind === 'numeric') {
    yield* frame(Tag.Feature, json({ name, kind: 'numeric', count: f.count, missing: f.missing, values: f.values.length, encoding: 'f64le' }));
    const v = f.values;
    for (let i = 0; i < v.length; i += VALUES_PER_BLOCK) {
      const n = Math.min(VALUES_PER_BLOCK, v.length - i);
      yield frameHead(Tag.Values, n * 8);
      yield new Uint8Array(v.buffer, v.byteOffset + i * 8, n * 8);
    }
  } else {
    const categories: string[] = [];
    const counts: number[] = [];
    for (const [k, n] of f.counts) {
      categories.push(k);
      counts.push(n);
    }
    yield* frame(Tag.Feature, json({ name, kind: 'categorical', count: f.count, missing: f.missing, categories, counts }));
  }
}

/** A whole in-memory profile as frames. */
export function* encodeProfile(profile: DatasetProfile): Generator<Uint8Array> {
  yield* headerFrames(profile.rows);
  for (const [name, f] of profile.features) yield* featureFrames(name, f);
  yield* endFrames(profile.features.size);
}

/** A stored profile being read: its row count, then its features one by one. */
export interface ProfileReader {
  format: typeof PROFILE_FORMAT_V2 | 'mlcycle.profile/1';
  rows: number;
  features: AsyncGenerator<[string, FeatureProfile]>;
}

/**
 * Opens a stored profile of either format: `/2` is decoded frame by frame (one feature in memory
 * at a time), `/1` (JSON, stored before this format existed) is parsed whole, as it always was.
 * Throws TypeError when malformed or truncated.
 */
export async function openProfile(chunks: AsyncIterable<Uint8Array>): Promise<ProfileReader> {
  const r = new ByteReader(chunks[Symbol.asyncIterator]());
  if (!(await r.fill(1))) throw new TypeError('empty profile');
  if (r.peek() !== PROFILE_MAGIC[0]) {
    const profile = deserializeProfile(JSON.parse(await r.rest()));
    return { format: 'mlcycle.profile/1', rows: profile.rows, features: fromMap(profile.features) };
  }
  const magic = await r.take(PROFILE_MAGIC.length);
  if (!magic.every((b, i) => b === PROFILE_MAGIC[i])) throw new TypeError(`not a ${PROFILE_FORMAT_V2} profile`);
  const head = (await r.jsonFrame(Tag.Header)) as { format?: unknown; rows?: unknown };
  if (head.format !== PROFILE_FORMAT_V2 || !isCount(head.rows)) throw new TypeError('bad profile header');
  return { format: PROFILE_FORMAT_V2, rows: head.rows, features: readFeatures(r, head.rows) };
}

/** Decodes a whole stored profile (either format). */
export async function decodeProfile(chunks: AsyncIterable<Uint8Array>): Promise<DatasetProfile> {
  const reader = await openProfile(chunks);
  const features = new Map<string, FeatureProfile>();
  for await (const [name, f] of reader.features) features.set(name, f);
  return { rows: reader.rows, features };
}

async function* fromMap(features: Map<string, FeatureProfile>): AsyncGenerator<[string, FeatureProfile]> {
  yield* features;
}

async function* readFeatures(r: ByteReader, rows: number): AsyncGenerator<[string, FeatureProfile]> {
  const seen = new Set<string>();
  for (;;) {
    const tag = await r.tag();
    if (tag === Tag.End) {
      const end = (await r.jsonPayload()) as { features?: unknown };
      if (end.features !== seen.size) throw new TypeError('profile end frame disagrees with its features');
      if (await r.fill(1)) throw new TypeError('trailing bytes after profile end');
      return;
    }
    if (tag !== Tag.Feature) throw new TypeError('malformed profile: feature frame expected');
    const f = (await r.jsonPayload()) as Loose;
    if (typeof f.name !== 'string' || !isCount(f.count) || !isCount(f.missing) || f.missing > f.count) throw new TypeError('malformed feature in profile');
    if (f.count !== rows) throw new TypeError(`feature "${f.name}" count ${f.count} differs from rows ${rows}`);
    if (seen.has(f.name)) throw new TypeError(`duplicate feature "${f.name}"`);
    seen.add(f.name);
    if (f.kind === 'numeric') {
      if (f.encoding !== 'f64le' || !isCount(f.values) || f.values > f.count - f.missing) throw new TypeError(`feature "${f.name}": bad values`);
      yield [f.name, { kind: 'numeric', count: f.count, missing: f.missing, values: await readValues(r, f.values) }];
    } else if (f.kind === 'categorical') {
      yield [f.name, categorical(f)];
    } else {
      throw new TypeError(`feature "${f.name}": unknown kind`);
    }
  }
}

async function readValues(r: ByteReader, n: number): Promise<Float64Array> {
  const values = new Float64Array(n);
  const bytes = new Uint8Array(values.buffer);
  for (let at = 0; at < n; ) {
    if ((await r.tag()) !== Tag.Values) throw new TypeError('malformed profile: values frame expected');
    const len = await r.length();
    if (len % 8 !== 0 || len === 0 || at + len / 8 > n) throw new TypeError('malformed profile values frame');
    await r.readInto(bytes, at * 8, len);
    const end = at + len / 8;
    // A corrupted stream could hold NaN/Infinity or unsorted values: checked as they land.
    let prev = at > 0 ? values[at - 1]! : -Infinity;
    for (let i = at; i < end; i++) {
      const v = values[i]!;
      if (!(v >= prev) || v === Infinity) throw new TypeError('profile values decode to a non-finite or unsorted value');
      prev = v;
    }
    at = end;
  }
  return values;
}

function categorical(f: Loose): CategoricalFeatureProfile {
  const { categories, counts } = f;
  const name = f.name as string;
  if (!Array.isArray(categories) || !Array.isArray(counts) || categories.length !== counts.length) throw new TypeError(`feature "${name}": bad categories`);
  const map = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < categories.length; i++) {
    const c = categories[i];
    const n = counts[i];
    if (typeof c !== 'string' || !isCount(n) || map.has(c)) throw new TypeError(`feature "${name}": bad category entry`);
    map.set(c, n);
    total += n;
  }
  if (total !== (f.count as number) - (f.missing as number)) throw new TypeError(`feature "${name}": category counts do not add up`);
  return { kind: 'categorical', count: f.count as number, missing: f.missing as number, counts: map };
}

interface Loose {
  name?: unknown;
  kind?: unknown;
  count?: unknown;
  missing?: unknown;
  values?: unknown;
  encoding?: unknown;
  categories?: unknown;
  counts?: unknown;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Exact-length reads over a chunk iterator, copying straight into the caller's array where it can. */
class ByteReader {
  private chunks: Uint8Array[] = [];
  private offset = 0;
  private available = 0;
  constructor(private readonly it: AsyncIterator<Uint8Array>) {}

  async fill(n: number): Promise<boolean> {
    while (this.available < n) {
      const next = await this.it.next();
      if (next.done) return false;
      const c = next.value;
      if (c.length === 0) continue;
      this.chunks.push(c);
      this.available += c.length;
    }
    return true;
  }

  peek(): number {
    return this.chunks[0]![this.offset]!;
  }

  async readInto(dest: Uint8Array, at: number, n: number): Promise<void> {
    let done = 0;
    while (done < n) {
      if (this.available === 0 && !(await this.fill(1))) throw new TypeError('truncated profile');
      const c = this.chunks[0]!;
      const take = Math.min(n - done, c.length - this.offset);
      dest.set(c.subarray(this.offset, this.offset + take), at + done);
      done += take;
      this.offset += take;
      this.available -= take;
      if (this.offset === c.length) {
        this.chunks.shift();
        this.offset = 0;
      }
    }
  }

  async take(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    await this.readInto(out, 0, n);
    return out;
  }

  async tag(): Promise<number> {
    if (!(await this.fill(1))) throw new TypeError('truncated profile: no end frame');
    return (await this.take(1))[0]!;
  }

  async length(): Promise<number> {
    const b = await this.take(4);
    return new DataView(b.buffer).getUint32(0, true);
  }

  async jsonPayload(): Promise<unknown> {
    const bytes = await this.take(await this.length());
    try {
      return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
    } catch {
      throw new TypeError('malformed profile frame');
    }
  }

  async jsonFrame(tag: Tag): Promise<unknown> {
    if ((await this.tag()) !== tag) throw new TypeError('malformed profile frame');
    return this.jsonPayload();
  }

  /** Everything left, as text (the legacy JSON form). */
  async rest(): Promise<string> {
    while (await this.fill(this.available + 1));
    const all = Buffer.concat(this.chunks);
    return all.subarray(this.offset).toString('utf8');
  }
}
