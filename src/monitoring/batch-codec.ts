import { endianness } from 'node:os';
import { crc32 } from 'node:zlib';
import type { BatchScores, FeatureColumn, OutcomeValues, SampleBatch } from './batch.js';

/**
 * Binary form of one sample batch: how a batch is stored (one record per batch, never one row per
 * sample) and what a drift worker on another host reads back.
 *
 * Layout, little-endian:
 *   header   "MLCB" · u16 version (1) · u16 flags (1 ids, 2 predictions, 4 labels, 8 timestamps, 16 scores)
 *            · u32 rowCount · u32 featureCount
 *   feature  str name · u8 kind (0 numeric, 1 categorical) · column
 *   column   numeric:     f64 × rowCount (NaN = missing, bits copied as they are)
 *            categorical: u32 dictionary size · str × size · i32 code × rowCount (−1 = missing)
 *   ids      categorical column
 *   outcome  u8 kind (0 numeric, 1 string) · column            (predictions, then labels)
 *   times    f64 × rowCount (epoch ms, NaN = none)
 *   scores   u8 classes kind (0 none: binary, 1 numbers, 2 strings) · u32 k · k classes (f64 or str)
 *            · f64 × rowCount × max(k, 1), row-major (NaN = none)
 *   trailer  u32 CRC-32 of every byte before it
 *   str      u32 byte length · UTF-8
 *
 * Raw float64 rather than a varint or compressed form: 1 000 × 20 numbers take 160 KB, encoding
 * and decoding are memory copies, and the CRC catches a truncated or altered record before a
 * report is computed from it.
 */

export const BATCH_MAGIC = 'MLCB';
export const BATCH_FORMAT_VERSION = 1;

const FLAG_IDS = 1;
const FLAG_PREDICTIONS = 2;
const FLAG_LABELS = 4;
const FLAG_TIMESTAMPS = 8;
const FLAG_SCORES = 16;
const KIND_NUMERIC = 0;
const KIND_STRING = 1;

/** The bytes are not a batch this code can read: truncated, altered, or another format/version. */
export class BatchCodecError extends Error {
  constructor(message: string) {
    super(`sample batch: ${message}`);
    this.name = 'BatchCodecError';
  }
}

if (endianness() !== 'LE') {
  // Float64Array bytes are copied as they are in memory; the format is little-endian.
  throw new Error('batch-codec: big-endian hosts are not supported');
}

class Writer {
  private readonly chunks: Buffer[] = [];
  size = 0;
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
  }
  u8(v: number): void {
    const b = Buffer.allocUnsafe(1);
    b.writeUInt8(v);
    this.push(b);
  }
  u32(v: number): void {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  str(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.u32(bytes.length);
    this.push(bytes);
  }
  f64s(values: Float64Array): void {
    this.push(Buffer.from(values.buffer, values.byteOffset, values.byteLength));
  }
  strings(values: readonly (string | null)[]): void {
    const dictionary = new Map<string, number>();
    const codes = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null || v === undefined) {
        codes[i] = -1;
        continue;
      }
      let code = dictionary.get(v);
      if (code === undefined) dictionary.set(v, (code = dictionary.size));
      codes[i] = code;
    }
    this.u32(dictionary.size);
    for (const entry of dictionary.keys()) this.str(entry);
    this.push(Buffer.from(codes.buffer, codes.byteOffset, codes.byteLength));
  }
  finish(): Buffer {
    const body = Buffer.concat(this.chunks, this.size);
    const trailer = Buffer.allocUnsafe(4);
    trailer.writeUInt32LE(crc32(body));
    return Buffer.concat([body, trailer]);
  }
}

class Reader {
  offset = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly end: number,
  ) {}
  private need(n: number, what: string): void {
    if (n < 0 || this.offset + n > this.end) throw new BatchCodecError(`truncated while reading ${what} at byte ${this.offset}`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf.readUInt8(this.offset++);
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.buf.readUInt16LE(this.offset);
    this.offset += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32LE(this.offset);
    this.offset += 4;
    return v;
  }
  str(what: string): string {
    const length = this.u32(what);
    this.need(length, what);
    const s = this.buf.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return s;
  }
  f64s(count: number, what: string): Float64Array {
    this.need(count * 8, what);
    // Copy into a fresh, aligned buffer: the source Buffer may sit at any offset of a shared pool.
    const out = new Float64Array(count);
    new Uint8Array(out.buffer).set(this.buf.subarray(this.offset, this.offset + count * 8));
    this.offset += count * 8;
    return out;
  }
  strings(count: number, what: string): (string | null)[] {
    const size = this.u32(`${what} dictionary size`);
    const dictionary: string[] = [];
    for (let i = 0; i < size; i++) dictionary.push(this.str(`${what} dictionary`));
    this.need(count * 4, `${what} codes`);
    const codes = new Int32Array(count);
    new Uint8Array(codes.buffer).set(this.buf.subarray(this.offset, this.offset + count * 4));
    this.offset += count * 4;
    const values = new Array<string | null>(count);
    for (let i = 0; i < count; i++) {
      const code = codes[i]!;
      if (code === -1) values[i] = null;
      else if (code >= 0 && code < size) values[i] = dictionary[code]!;
      else throw new BatchCodecError(`${what}: code ${code} outside a dictionary of ${size}`);
    }
    return values;
  }
}

function outcomeKind(values: OutcomeValues, what: string): number {
  let kind: number | undefined;
  for (const v of values) {
    if (v === null) continue;
    const k = typeof v === 'number' ? KIND_NUMERIC : typeof v === 'string' ? KIND_STRING : -1;
    if (k === -1 || (kind !== undefined && k !== kind)) throw new BatchCodecError(`${what} must be all numbers or all strings`);
    kind = k;
  }
  return kind ?? KIND_NUMERIC;
}

function writeOutcome(w: Writer, values: OutcomeValues, what: string): void {
  const kind = outcomeKind(values, what);
  w.u8(kind);
  if (kind === KIND_STRING) return w.strings(values as (string | null)[]);
  w.f64s(Float64Array.from(values as (number | null)[], (v) => (v === null ? Number.NaN : v)));
}

function readOutcome(r: Reader, count: number, what: string): OutcomeValues {
  const kind = r.u8(`${what} kind`);
  if (kind === KIND_STRING) return r.strings(count, what);
  if (kind !== KIND_NUMERIC) throw new BatchCodecError(`${what}: unknown kind ${kind}`);
  return Array.from(r.f64s(count, what), (v) => (Number.isNaN(v) ? null : v));
}

function writeScores(w: Writer, scores: BatchScores, rowCount: number): void {
  const { classes } = scores;
  const width = classes ? classes.length : 1;
  checkLength(scores.values.length, rowCount * width, 'scores');
  const numeric = classes?.every((c) => typeof c === 'number') ?? false;
  if (classes !== null && !numeric && !classes.every((c) => typeof c === 'string'))
    throw new BatchCodecError('score classes must be all numbers or all strings');
  w.u8(classes === null ? 0 : numeric ? 1 : 2);
  w.u32(classes?.length ?? 0);
  if (classes && numeric) w.f64s(Float64Array.from(classes as number[]));
  else for (const c of classes ?? []) w.str(c as string);
  w.f64s(scores.values);
}

function readScores(r: Reader, rowCount: number): BatchScores {
  const kind = r.u8('scores kind');
  const k = r.u32('score classes');
  let classes: (number | string)[] | null;
  if (kind === 0) classes = null;
  else if (kind === 1) classes = Array.from(r.f64s(k, 'score classes'));
  else if (kind === 2) classes = Array.from({ length: k }, () => r.str('score class'));
  else throw new BatchCodecError(`scores: unknown classes kind ${kind}`);
  return { classes, values: r.f64s(rowCount * (classes ? k : 1), 'scores') };
}

function checkLength(length: number, rowCount: number, what: string): void {
  if (length !== rowCount) throw new BatchCodecError(`${what} has ${length} values for ${rowCount} rows`);
}

/** Serialises a batch; throws BatchCodecError when a column's length differs from rowCount. */
export function encodeBatch(batch: SampleBatch): Buffer {
  const { rowCount } = batch;
  const w = new Writer();
  const head = Buffer.alloc(16);
  head.write(BATCH_MAGIC, 0, 'latin1');
  head.writeUInt16LE(BATCH_FORMAT_VERSION, 4);
  const flags =
    (batch.ids ? FLAG_IDS : 0) |
    (batch.predictions ? FLAG_PREDICTIONS : 0) |
    (batch.labels ? FLAG_LABELS : 0) |
    (batch.timestamps ? FLAG_TIMESTAMPS : 0) |
    (batch.scores ? FLAG_SCORES : 0);
  head.writeUInt16LE(flags, 6);
  head.writeUInt32LE(rowCount, 8);
  head.writeUInt32LE(batch.columns.size, 12);
  w.push(head);
  for (const [name, column] of batch.columns) {
    checkLength(column.values.length, rowCount, `feature "${name}"`);
    w.str(name);
    w.u8(column.kind === 'numeric' ? KIND_NUMERIC : KIND_STRING);
    if (column.kind === 'numeric') w.f64s(column.values);
    else w.strings(column.values);
  }
  if (batch.ids) {
    checkLength(batch.ids.length, rowCount, 'ids');
    w.strings(batch.ids);
  }
  if (batch.predictions) {
    checkLength(batch.predictions.length, rowCount, 'predictions');
    writeOutcome(w, batch.predictions, 'predictions');
  }
  if (batch.labels) {
    checkLength(batch.labels.length, rowCount, 'labels');
    writeOutcome(w, batch.labels, 'labels');
  }
  if (batch.timestamps) {
    checkLength(batch.timestamps.length, rowCount, 'timestamps');
    w.f64s(batch.timestamps);
  }
  if (batch.scores) writeScores(w, batch.scores, rowCount);
  return w.finish();
}

/** Reads a batch back; throws BatchCodecError on anything truncated, altered or of another version. */
export function decodeBatch(buf: Buffer): SampleBatch {
  if (buf.length < 20) throw new BatchCodecError(`truncated: ${buf.length} bytes`);
  if (buf.toString('latin1', 0, 4) !== BATCH_MAGIC) throw new BatchCodecError('not a sample batch (bad magic)');
  const version = buf.readUInt16LE(4);
  if (version !== BATCH_FORMAT_VERSION) throw new BatchCodecError(`format version ${version} is not supported (expected ${BATCH_FORMAT_VERSION})`);
  const end = buf.length - 4;
  if (crc32(buf.subarray(0, end)) !== buf.readUInt32LE(end)) throw new BatchCodecError('checksum mismatch (truncated or corrupted)');

  const r = new Reader(buf, end);
  r.offset = 6;
  const flags = r.u16('flags');
  const rowCount = r.u32('row count');
  const featureCount = r.u32('feature count');
  const columns = new Map<string, FeatureColumn>();
  for (let f = 0; f < featureCount; f++) {
    const name = r.str('feature name');
    const kind = r.u8(`feature "${name}" kind`);
    if (kind === KIND_NUMERIC) columns.set(name, { kind: 'numeric', values: r.f64s(rowCount, `feature "${name}"`) });
    else if (kind === KIND_STRING) columns.set(name, { kind: 'categorical', values: r.strings(rowCount, `feature "${name}"`) });
    else throw new BatchCodecError(`feature "${name}": unknown kind ${kind}`);
  }
  const batch: SampleBatch = { rowCount, columns };
  if (flags & FLAG_IDS) batch.ids = r.strings(rowCount, 'ids');
  if (flags & FLAG_PREDICTIONS) batch.predictions = readOutcome(r, rowCount, 'predictions');
  if (flags & FLAG_LABELS) batch.labels = readOutcome(r, rowCount, 'labels');
  if (flags & FLAG_TIMESTAMPS) batch.timestamps = r.f64s(rowCount, 'timestamps');
  if (flags & FLAG_SCORES) batch.scores = readScores(r, rowCount);
  if (r.offset !== end) throw new BatchCodecError(`${end - r.offset} unexpected bytes after the last column`);
  return batch;
}
