import { isAscii } from 'node:buffer';
import { DataType, type Data, type Vector } from 'apache-arrow';

/**
 * Reads an Arrow string column (Utf8, LargeUtf8, or dictionary-encoded strings) into JS strings.
 * apache-arrow's own accessors run a TextDecoder per value, which made string columns most of an
 * Arrow batch's ingest time. Here each chunk's value bytes are decoded once when they are ASCII
 * (the common case for category names and ids) and values are substrings of that; otherwise each
 * value goes through Buffer's UTF-8 decoder. A dictionary is decoded once and then indexed.
 */
export function arrowStrings(vector: Vector): (string | null)[] {
  const out = new Array<string | null>(vector.length);
  let k = 0;
  for (const chunk of vector.data as Data[]) {
    if (DataType.isDictionary(chunk.type)) {
      const dictionary = arrowStrings(chunk.dictionary as Vector);
      const indices = chunk.values as ArrayLike<number | bigint>;
      for (let i = 0; i < chunk.length; i++) {
        out[k++] = chunk.getValid(i) ? (dictionary[Number(indices[chunk.offset + i])] ?? null) : null;
      }
      continue;
    }
    const offsets = chunk.valueOffsets as ArrayLike<number | bigint>;
    const bytes = chunk.values as Uint8Array;
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const text = isAscii(buf) ? buf.toString('latin1') : undefined;
    const checkNulls = chunk.nullCount > 0;
    for (let i = 0; i < chunk.length; i++) {
      if (checkNulls && !chunk.getValid(i)) {
        out[k++] = null;
        continue;
      }
      const start = Number(offsets[chunk.offset + i]);
      const end = Number(offsets[chunk.offset + i + 1]);
      out[k++] = text !== undefined ? text.slice(start, end) : buf.toString('utf8', start, end);
    }
  }
  return out;
}
