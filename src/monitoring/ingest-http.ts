import type { FastifyInstance } from 'fastify';
import { ARROW_STREAM_TYPE } from './ingest-arrow.js';
import { CSV_TYPE } from './ingest-csv.js';

export interface SampleBodyLimits {
  /** Largest JSON body in bytes (issue 10: 10 MiB). */
  jsonBytes: number;
  /** Largest Arrow IPC (and CSV) body in bytes; Arrow is ~3× denser, so it may get its own limit. */
  arrowBytes: number;
}

/**
 * Makes the routes of one encapsulated Fastify scope receive sample bodies raw — JSON as text,
 * Arrow and CSV as bytes — to be parsed and validated in one pass. The app-wide JSON parser
 * parses and then walks every value for non-finite numbers; ingestion does that check itself
 * while filling its columns, so here the walk would be pure overhead on the hottest route.
 * Register inside the samples/reference plugin only: other routes keep the normal parser.
 * Without `limits`, each route's own `bodyLimit` applies (the API's routes set theirs).
 * Over-limit bodies fail with Fastify's FST_ERR_CTP_BODY_TOO_LARGE → 413 PAYLOAD_TOO_LARGE.
 */
export function registerSampleBodyParsers(scope: FastifyInstance, limits?: SampleBodyLimits): void {
  scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser('application/json', { parseAs: 'string', ...(limits ? { bodyLimit: limits.jsonBytes } : {}) }, (_req, body, done) =>
    done(null, body),
  );
  scope.addContentTypeParser([ARROW_STREAM_TYPE, CSV_TYPE], { parseAs: 'buffer', ...(limits ? { bodyLimit: limits.arrowBytes } : {}) }, (_req, body, done) =>
    done(null, body),
  );
}
