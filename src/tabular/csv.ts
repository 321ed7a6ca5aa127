import { createCsvScanner } from './csv-scanner.js';
import { inferKind, type ColumnEvidence } from './infer.js';
import { createNaMatcher, DEFAULT_NA_VALUES } from './na.js';
import { byteChunks, knownSize, sourceName, type TabularSource } from './source.js';
import type { ColumnKind, TabularReadOptions, TabularTable } from './types.js';

export const DEFAULT_SAMPLE_ROWS = 10_000;

export interface CsvSniff {
  header: string[];
  /** Per column: the kind its sample supports, null when the sample has no value in it. */
  kinds: Map<string, ColumnKind | null>;
  evidence: Map<string, ColumnEvidence>;
  sampleRows: number;
}

/** Empty cells are always missing, whatever `naValues` lists: a blank number is no number. */
const naMatcher = (options: TabularReadOptions) => createNaMatcher([...(options.naValues ?? DEFAULT_NA_VALUES), '']);

interface Head {
  chunks: Buffer[];
  /** Bytes of the header and the sampled rows (not of every chunk read), to estimate the row count. */
  bytes: number;
  sniff: CsvSniff;
  /** The chunks after the head, still to read. */
  rest: AsyncGenerator<Buffer>;
  ended: boolean;
}

/**
 * Reads the head of a CSV (its first `sampleRows` rows) with every column as text and tallies
 * what each column holds. The head's chunks are kept, so a full read continues without reading
 * them twice (a stream cannot be rewound).
 */
async function readHead(source: TabularSource, options: TabularReadOptions): Promise<Head> {
  const name = sourceName(source, options.sourceName);
  const na = naMatcher(options);
  const sampleRows = options.sampleRows ?? DEFAULT_SAMPLE_ROWS;
  // Every column read as numeric, counting the cells that are not numbers: the fast path of the
  // scanner, no string per cell.
  const sampler = createCsvScanner({ sourceName: name, na, nonNumeric: 'count', kindsFor: (h) => h.map(() => 'numeric'), maxRows: sampleRows });
  const rest = byteChunks(source, name);
  const chunks: Buffer[] = [];
  let ended = true;
  for (let r = await rest.next(); !r.done; r = await rest.next()) {
    // Copied: the reader may reuse its buffer for the next chunk.
    chunks.push(Buffer.from(r.value));
    if (!sampler.feed(r.value)) {
      ended = false;
      break;
    }
  }
  if (ended) sampler.end();
  const header = sampler.header!;
  const tallies = sampler.tallies();
  const evidence = new Map<string, ColumnEvidence>(
    header.map((h, j) => {
      const { missing, other } = tallies[j]!;
      return [h, { numeric: sampler.rows - missing - other, missing, other }] as const;
    }),
  );
  const kinds = new Map(header.map((h) => [h, inferKind(evidence.get(h)!)] as const));
  return { chunks, bytes: sampler.bytesConsumed, rest, ended, sniff: { header, kinds, evidence, sampleRows: sampler.rows } };
}

/** The header and per-column type evidence of a CSV's head, without reading the rest. */
export async function sniffCsv(source: TabularSource, options: TabularReadOptions = {}): Promise<CsvSniff> {
  const head = await readHead(source, options);
  await head.rest.return(undefined);
  return head.sniff;
}

/**
 * Reads a whole CSV (or .csv.gz) into columns. Declared `types` win; other columns take the kind
 * their head supports (numeric when all but a few sampled cells are numbers). A cell that is not
 * a number in a numeric column is then an error naming its line and column, or missing under
 * `nonNumeric: 'missing'` (reported through `onWarning`).
 */
export async function readCsv(source: TabularSource, options: TabularReadOptions = {}): Promise<TabularTable> {
  const name = sourceName(source, options.sourceName);
  const head = await readHead(source, options);
  const declared = options.types ?? new Map<string, ColumnKind>();
  const kinds = head.sniff.header.map((h) => declared.get(h) ?? head.sniff.kinds.get(h) ?? 'numeric');
  const size = await knownSize(source);
  const perRow = head.sniff.sampleRows > 0 ? head.bytes / Math.max(1, head.sniff.sampleRows) : 0;
  const expectedRows = size !== undefined && perRow > 0 && !head.ended ? Math.ceil((size / perRow) * 1.02) + 16 : head.sniff.sampleRows + 16;
  const scanner = createCsvScanner({
    sourceName: name,
    na: naMatcher(options),
    nonNumeric: options.nonNumeric ?? 'error',
    kindsFor: () => kinds,
    expectedRows,
  });
  const progress = () => options.onProgress?.({ rows: scanner.rows, bytes: scanner.bytesConsumed });
  for (const chunk of head.chunks) scanner.feed(chunk);
  head.chunks.length = 0;
  progress();
  for await (const chunk of head.rest) {
    scanner.feed(chunk);
    progress();
  }
  scanner.end();
  for (const warning of scanner.warnings()) options.onWarning?.(warning);
  return scanner.table();
}
