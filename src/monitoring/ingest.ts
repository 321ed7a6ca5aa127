import { AppError } from '../http/errors.js';
import { ARROW_STREAM_TYPE, ingestArrow } from './ingest-arrow.js';
import { ingestJson, parseJsonBatch } from './ingest-json.js';
import type { IngestOptions, IngestedBatch } from './ingest-types.js';

/**
 * Request body → validated sample batch, for POST …/samples and …/reference. The routes register
 * these content types with `parseAs: 'buffer'` (Arrow) or `parseAs: 'string'` (JSON), so the body
 * is parsed once here instead of by Fastify's JSON parser and again by a schema walk: on the hot
 * path of a serving client, that second pass would cost more than the parse.
 */

export { ARROW_ID_COLUMN, ARROW_LABEL_COLUMN, ARROW_PREDICTION_COLUMN, ARROW_STREAM_TYPE, ingestArrow } from './ingest-arrow.js';
export { ingestJson, parseJsonBatch, parseJsonText } from './ingest-json.js';
export { DEFAULT_MAX_ROWS, type IngestOptions, type IngestedBatch } from './ingest-types.js';
export { MAX_FIELD_ERRORS } from './ingest-errors.js';
export { registerSampleBodyParsers, type SampleBodyLimits } from './ingest-http.js';

export const SAMPLE_CONTENT_TYPES = ['application/json', ARROW_STREAM_TYPE] as const;

/**
 * Dispatches on the media type (parameters such as `; charset=utf-8` ignored). `body` is the raw
 * text or bytes, or an already parsed JSON value.
 */
export function ingestBody(contentType: string | undefined, body: unknown, options: IngestOptions): IngestedBatch {
  const mediaType = (contentType ?? 'application/json').split(';', 1)[0]!.trim().toLowerCase();
  if (mediaType === ARROW_STREAM_TYPE) {
    if (!(body instanceof Uint8Array)) throw new AppError('MALFORMED_BATCH', 'an Arrow body must arrive as bytes');
    return ingestArrow(body, options);
  }
  if (mediaType === 'application/json' || mediaType.endsWith('+json')) {
    if (typeof body === 'string') return parseJsonBatch(body, options);
    if (body instanceof Uint8Array) return parseJsonBatch(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'), options);
    return ingestJson(body, options);
  }
  throw new AppError('UNSUPPORTED_MEDIA_TYPE', `samples are accepted as ${SAMPLE_CONTENT_TYPES.join(' or ')}, not ${mediaType}`);
}
