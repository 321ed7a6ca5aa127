/**
 * Server half of bench/ingest-http: bare Fastify with the sample-body paths side by side, so
 * the only difference between routes is what happens to the body. Prints its URL on stdout.
 *   POST /ceiling          raw text → JSON.parse                        (the ceiling)
 *   POST /ceiling-columns  raw text → JSON.parse of a columns body      (the ceiling for JSON columns)
 *   POST /samples          raw text → parseJsonBatch → encodeBatch      (what the route will do)
 *   POST /generic          the app's JSON parser (parse + finiteness walk) → ingestJson → encodeBatch
 *   POST /samples-arrow    raw bytes → ingestArrow → encodeBatch
 *   POST /samples-csv      raw bytes → ingestCsv → encodeBatch
 */
import Fastify from 'fastify';
import { registerJsonBodyParser } from '../src/http/json-body.js';
import type { FeatureSpec } from '../src/monitoring/batch.js';
import { encodeBatch } from '../src/monitoring/batch-codec.js';
import { ingestCsv } from '../src/monitoring/ingest-csv.js';
import { ingestArrow, ingestJson, parseJsonBatch, registerSampleBodyParsers } from '../src/monitoring/ingest.js';

const features: FeatureSpec[] = Array.from({ length: 20 }, (_, i) => ({ name: `feature_${i}`, type: i < 16 ? 'numeric' : 'categorical' }));
const options = { features };
const bodyLimit = 16 * 1024 * 1024;

const app = Fastify({ logger: false, bodyLimit });
app.register(async (raw) => {
  registerSampleBodyParsers(raw, { jsonBytes: bodyLimit, arrowBytes: bodyLimit });
  raw.post('/ceiling', async (req, reply) => reply.code(202).send({ accepted: (JSON.parse(req.body as string) as { rows: unknown[] }).rows.length }));
  raw.post('/ceiling-columns', async (req, reply) => reply.code(202).send({ accepted: (JSON.parse(req.body as string) as { ids: unknown[] }).ids.length }));
  raw.post('/samples-csv', async (req, reply) => {
    const batch = await ingestCsv(req.body as Buffer, options);
    return reply.code(202).send({ accepted: batch.rowCount, bytes: encodeBatch(batch).length });
  });
  raw.post('/samples', async (req, reply) => {
    const batch = parseJsonBatch(req.body as string, options);
    return reply.code(202).send({ accepted: batch.rowCount, bytes: encodeBatch(batch).length });
  });
  raw.post('/samples-arrow', async (req, reply) => {
    const batch = ingestArrow(req.body as Buffer, options);
    return reply.code(202).send({ accepted: batch.rowCount, bytes: encodeBatch(batch).length });
  });
});
app.register(async (generic) => {
  registerJsonBodyParser(generic);
  generic.post('/generic', async (req, reply) => {
    const batch = ingestJson(req.body, options);
    return reply.code(202).send({ accepted: batch.rowCount, bytes: encodeBatch(batch).length });
  });
});
const address = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${address}\n`);
