import { readCsv } from './csv.js';
import { detectFormat, type TabularSource } from './source.js';
import type { TabularFormat, TabularReadOptions, TabularTable } from './types.js';

/**
 * Reads any supported source; the format is `options.format`, else detected (see
 * {@link detectFormat}). The Arrow and Parquet readers are imported on first use: apache-arrow
 * alone takes ~0.2 s to load, a tenth of a CSV run of the CLI that never needs it.
 */
export async function readTable(source: TabularSource, options: TabularReadOptions & { format?: TabularFormat } = {}): Promise<TabularTable> {
  const format = options.format ?? detectFormat(source);
  if (format === 'arrow') return (await import('./arrow.js')).readArrow(source, options);
  if (format === 'parquet') return (await import('./parquet.js')).readParquet(source, options);
  return readCsv(source, options);
}
