import type { FastifyInstance, FastifyRequest } from 'fastify';
import { toAppError } from '../http/problem.js';
import type { Metrics } from './metrics.js';

export type IngestKind = 'samples' | 'reference';

/**
 * Counts accepted and refused batches of the ingestion routes from hooks, so refusals raised
 * before the handler runs (body too large, unsupported media type, bad query) count too. An
 * authentication failure is not a data rejection: it never reaches onError and is not counted.
 */
export function createIngestMeter(metrics: Metrics['ingest']) {
  const rows = new WeakMap<FastifyRequest, number>();
  const codes = new WeakMap<FastifyRequest, string>();
  return {
    /** The handler reports how many rows the body held as soon as it is parsed. */
    rows(request: FastifyRequest, count: number): void {
      rows.set(request, count);
    },
    register(scope: FastifyInstance, kindOf: (request: FastifyRequest) => IngestKind): void {
      scope.addHook('onError', (request, _reply, error, done) => {
        codes.set(request, toAppError(error).code);
        done();
      });
      scope.addHook('onResponse', (request, reply, done) => {
        const kind = kindOf(request);
        const count = rows.get(request) ?? 0;
        if (reply.statusCode < 300) {
          metrics.batchesIngested.inc({ kind });
          metrics.rowsIngested.inc({ kind }, count);
        } else {
          const code = codes.get(request);
          if (code !== undefined) {
            metrics.batchesRejected.inc({ kind, code });
            if (count > 0) metrics.rowsRejected.inc({ kind }, count);
          }
        }
        done();
      });
    },
  };
}

export type IngestMeter = ReturnType<typeof createIngestMeter>;
