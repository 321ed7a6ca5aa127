import type { AsyncBuffer, ColumnMetaData, FileMetaData, ParquetParsers } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { convert, convertWithDictionary, DEFAULT_PARSERS } from 'hyparquet/src/convert.js';
import { decompressPage, readDataPage, readDataPageV2 } from 'hyparquet/src/datapage.js';
import { readPlain } from 'hyparquet/src/plain.js';
import { getMaxDefinitionLevel, getSchemaPath } from 'hyparquet/src/schema.js';
import type { Compressors, DecodedArray } from 'hyparquet';

/**
 * A flat (top-level, non-repeated) Parquet column read page by page with hyparquet's page
 * decoders, the values scattered straight into the output by the definition levels.
 * hyparquet's own reader runs every optional column through its general Dremel assembly, which
 * boxes each value into a JS array with nulls: on a 1 M-row file with missing values that was
 * slower than our CSV reader and held ~2× the memory. Row groups are read one at a time, so only
 * one column chunk's bytes are in memory at once. The page decoders are hyparquet internals
 * (its `./src/*.js` exports), hence the ~1.33 pin in package.json; the unit test compares this
 * reader with hyparquet's own on nullable columns, row groups and dictionary pages.
 */
export interface FlatColumnSink {
  /** values[k] for the present rows of a page; `present` null when every row is present. */
  write(rowStart: number, rowCount: number, values: DecodedArray, present: ArrayLike<number> | null, maxDefinition: number): void;
}

export async function readFlatColumns(
  file: AsyncBuffer,
  metadata: FileMetaData,
  sinks: Map<string, FlatColumnSink>,
  options: { compressors: Compressors; parsers: Partial<ParquetParsers>; onRowGroup?: (rowsDone: number) => void },
): Promise<void> {
  let groupStart = 0;
  for (const rowGroup of metadata.row_groups) {
    for (const chunk of rowGroup.columns) {
      const meta = chunk.meta_data as ColumnMetaData;
      const name = meta.path_in_schema[0]!;
      const sink = sinks.get(name);
      if (!sink) continue;
      const schemaPath = getSchemaPath(metadata.schema, meta.path_in_schema);
      const decoder = {
        pathInSchema: meta.path_in_schema,
        element: schemaPath[schemaPath.length - 1]!.element,
        schemaPath,
        ...meta,
        compressors: options.compressors,
        utf8: true,
        parsers: { ...DEFAULT_PARSERS, ...options.parsers },
      };
      const start = Number(meta.dictionary_page_offset ?? meta.data_page_offset);
      const bytes = await file.slice(start, start + Number(meta.total_compressed_size));
      const reader = { view: new DataView(bytes), offset: 0 };
      const maxDefinition = getMaxDefinitionLevel(schemaPath);
      let dictionary: DecodedArray | undefined;
      let row = groupStart;
      const groupEnd = groupStart + Number(rowGroup.num_rows);
      while (row < groupEnd && reader.offset < reader.view.byteLength - 1) {
        const header = parquetHeader(reader);
        const compressed = new Uint8Array(bytes, reader.offset, header.compressed_page_size);
        reader.offset += header.compressed_page_size;
        if (header.type === 'DICTIONARY_PAGE') {
          const page = decompressPage(compressed, Number(header.uncompressed_page_size), meta.codec, options.compressors);
          const pageReader = { view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 };
          dictionary = convert(readPlain(pageReader, meta.type, header.dictionary_page_header!.num_values, decoder.element.type_length), decoder as never);
        } else if (header.type === 'DATA_PAGE' || header.type === 'DATA_PAGE_V2') {
          const v2 = header.type === 'DATA_PAGE_V2';
          const daph = v2 ? header.data_page_header_v2! : header.data_page_header!;
          const decoded = v2
            ? readDataPageV2(compressed, header, decoder as never)
            : readDataPage(
                decompressPage(compressed, Number(header.uncompressed_page_size), meta.codec, options.compressors),
                header.data_page_header!,
                decoder as never,
              );
          const values = convertWithDictionary(decoded.dataPage, dictionary, daph.encoding, decoder as never);
          const levels = decoded.definitionLevels;
          const count = daph.num_values;
          sink.write(row, count, values, levels && levels.length > 0 && maxDefinition > 0 ? levels : null, maxDefinition);
          row += count;
        }
      }
    }
    groupStart += Number(rowGroup.num_rows);
    options.onRowGroup?.(groupStart);
  }
}
