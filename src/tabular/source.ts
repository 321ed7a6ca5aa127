import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parseError } from './errors.js';
import type { TabularFormat } from './types.js';

/** A file path, bytes already in memory (an HTTP body), or a stream of bytes. */
export type TabularSource = string | Uint8Array | Readable;

export const sourceName = (source: TabularSource, given?: string): string =>
  given ?? (typeof source === 'string' ? source : source instanceof Readable ? 'stream' : 'buffer');

const startsWith = (bytes: Uint8Array, magic: number[]): boolean => magic.every((b, i) => bytes[i] === b);
const PARQUET = [0x50, 0x41, 0x52, 0x31]; // "PAR1"
const ARROW_FILE = [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31]; // "ARROW1"
const ARROW_STREAM = [0xff, 0xff, 0xff, 0xff]; // IPC continuation marker
const GZIP = [0x1f, 0x8b];

/**
 * The format of a source: by extension for a path (.csv, .csv.gz, .arrow/.feather/.ipc/.arrows,
 * .parquet), by magic bytes for bytes in memory; a stream must be told (defaults to CSV).
 */
export function detectFormat(source: TabularSource): TabularFormat {
  if (typeof source === 'string') {
    const lower = source.toLowerCase();
    if (/\.(parquet|pq)$/.test(lower)) return 'parquet';
    if (/\.(arrow|arrows|feather|ipc)$/.test(lower)) return 'arrow';
    return 'csv';
  }
  if (source instanceof Uint8Array) {
    if (startsWith(source, PARQUET)) return 'parquet';
    if (startsWith(source, ARROW_FILE) || startsWith(source, ARROW_STREAM)) return 'arrow';
  }
  return 'csv';
}

/** The whole source in memory (Parquet needs its footer first; Arrow files are read whole). */
export async function readAllBytes(source: TabularSource): Promise<Uint8Array> {
  if (typeof source === 'string') return readFile(source);
  if (source instanceof Uint8Array) return source;
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** 1 MB reads: large enough to amortise the per-chunk work, small enough to keep memory flat. */
const CHUNK = 1 << 20;

/**
 * The source's bytes as Buffers, gunzipped when they start with the gzip magic (so .csv.gz and
 * a gzipped HTTP body both stream through). A chunk may be overwritten once the next one is
 * requested: copy it to keep it.
 */
export async function* byteChunks(source: TabularSource, name = sourceName(source)): AsyncGenerator<Buffer> {
  let raw: AsyncIterable<Buffer>;
  if (typeof source === 'string') raw = source.toLowerCase().endsWith('.gz') ? createReadStream(source, { highWaterMark: CHUNK }) : readInto(source);
  else if (source instanceof Uint8Array) {
    const buf = Buffer.from(source.buffer, source.byteOffset, source.byteLength);
    raw = (async function* () {
      for (let i = 0; i < buf.length; i += CHUNK) yield buf.subarray(i, i + CHUNK);
    })();
  } else raw = source;
  const iterator = raw[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  const head = Buffer.isBuffer(first.value) ? first.value : Buffer.from(first.value as Uint8Array);
  const rest = (async function* () {
    try {
      yield head;
      for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
        yield Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array);
      }
    } finally {
      // A consumer that stops early (type sniffing reads only the head) closes the file too.
      await iterator.return?.();
    }
  })();
  if (!startsWith(head, GZIP)) {
    yield* rest;
    return;
  }
  // zlib may still hold a chunk when the next is read: give it copies, not the reused buffer.
  const copies = (async function* () {
    for await (const chunk of rest) yield Buffer.from(chunk);
  })();
  const input = Readable.from(copies);
  const gunzip = input.pipe(createGunzip({ chunkSize: CHUNK }));
  try {
    yield* gunzip as AsyncIterable<Buffer>;
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('Z_')) throw parseError(name, `the gzip data is corrupt or truncated (${(err as Error).message})`);
    throw err;
  } finally {
    // Stopping early (sniffing) must close the file under the gzip stream too.
    input.destroy();
  }
}

/**
 * A file's bytes through one reused 1 MB buffer: each chunk is valid until the next is asked
 * for (consumers copy what they keep), so reading a large file leaves no garbage behind.
 */
async function* readInto(path: string): AsyncGenerator<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) return;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/** Size in bytes when known up front (a file or a buffer, not gzipped), to pre-size columns. */
export async function knownSize(source: TabularSource): Promise<number | undefined> {
  if (source instanceof Uint8Array) return source[0] === GZIP[0] && source[1] === GZIP[1] ? undefined : source.byteLength;
  if (typeof source === 'string' && !source.toLowerCase().endsWith('.gz')) {
    const { stat } = await import('node:fs/promises');
    return (await stat(source)).size;
  }
  return undefined;
}
