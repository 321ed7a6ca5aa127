import { DataType, tableFromIPC } from 'apache-arrow';
import { invalidField } from '../http/errors.js';
import { readCsv, TabularParseError } from '../tabular/index.js';
import type { FeatureSpec } from './batch.js';
import { ARROW_ID_COLUMN, ARROW_LABEL_COLUMN, ARROW_PREDICTION_COLUMN, ARROW_STREAM_TYPE } from './ingest-arrow.js';
import { CSV_TYPE } from './ingest-csv.js';

const RESERVED = new Set([ARROW_ID_COLUMN, ARROW_PREDICTION_COLUMN, ARROW_LABEL_COLUMN]);

/**
 * The features a reference body declares, for a version registered without any (an MLflow
 * registration): its columns and their types. JSON: a column whose values are all numbers (or
 * null) is numeric, any other categorical; CSV: the scanner's own inference (pandas NA tokens are
 * missing); Arrow: the schema (integers, floats and decimals numeric; strings, booleans and
 * dictionaries categorical; other types are not drift features). Reserved columns never count.
 */
export async function inferFeatures(mediaType: string, raw: string | Buffer, json: unknown): Promise<FeatureSpec[]> {
  if (mediaType === CSV_TYPE) {
    try {
      const table = await readCsv(raw as Buffer, { types: new Map([[ARROW_ID_COLUMN, 'categorical']]), sourceName: 'request body' });
      return [...table.columns].filter(([name]) => !RESERVED.has(name)).map(([name, c]) => ({ name, type: c.kind }));
    } catch (error) {
      if (error instanceof TabularParseError) throw invalidField('body', error.message);
      throw error;
    }
  }
  if (mediaType === ARROW_STREAM_TYPE) {
    let fields;
    try {
      fields = tableFromIPC(raw as Buffer).schema.fields;
    } catch {
      throw invalidField('body', 'is not an Arrow IPC stream');
    }
    const out: FeatureSpec[] = [];
    for (const f of fields) {
      if (RESERVED.has(f.name)) continue;
      const t = f.type;
      if (DataType.isInt(t) || DataType.isFloat(t) || DataType.isDecimal(t)) out.push({ name: f.name, type: 'numeric' });
      else if (DataType.isUtf8(t) || DataType.isLargeUtf8(t) || DataType.isBool(t) || DataType.isDictionary(t)) out.push({ name: f.name, type: 'categorical' });
    }
    return out;
  }
  const body = (json ?? {}) as { rows?: unknown; columns?: unknown };
  const values = new Map<string, unknown[]>();
  if (Array.isArray(body.rows)) {
    for (const row of body.rows) {
      if (!row || typeof row !== 'object' || Array.isArray(row)) continue;
      for (const [k, v] of Object.entries(row)) {
        const list = values.get(k) ?? [];
        list.push(v);
        values.set(k, list);
      }
    }
  } else if (body.columns && typeof body.columns === 'object' && !Array.isArray(body.columns)) {
    for (const [k, v] of Object.entries(body.columns)) values.set(k, Array.isArray(v) ? v : []);
  }
  return [...values].map(([name, list]) => {
    const present = list.filter((v) => v !== null && v !== undefined);
    return { name, type: present.length > 0 && present.every((v) => typeof v === 'number') ? 'numeric' : 'categorical' };
  });
}
