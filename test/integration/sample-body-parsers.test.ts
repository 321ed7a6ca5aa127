import { Float64, Table, tableToIPC, vectorFromArray } from 'apache-arrow';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { registerJsonBodyParser } from '../../src/http/json-body.js';
import { registerProblemHandlers } from '../../src/http/problem.js';
import { ingestBody, registerSampleBodyParsers } from '../../src/monitoring/ingest.js';

const features = [
  { name: 'age', type: 'numeric' as const },
  { name: 'city', type: 'categorical' as const },
];

/** A bare app shaped like the real one: problem+json errors, the app's JSON parser, a samples scope. */
const app = Fastify();
registerProblemHandlers(app);
registerJsonBodyParser(app);
app.register(async (samples) => {
  registerSampleBodyParsers(samples, { jsonBytes: 2_000, arrowBytes: 4_000 });
  samples.post('/samples', async (request, reply) => {
    const batch = ingestBody(request.headers['content-type'], request.body, { features });
    return reply.code(202).send({ accepted: batch.rowCount, age: Array.from(batch.columns.get('age')!.values as Float64Array) });
  });
});
app.post('/other', async (request) => ({ body: request.body }));
afterAll(() => app.close());

describe('sample body parsers in a Fastify scope', () => {
  it('hand raw JSON and Arrow bodies to ingestBody', async () => {
    const json = await app.inject({ method: 'POST', url: '/samples', payload: { rows: [{ age: 1 }, { age: null, city: 'x' }] } });
    expect(json.statusCode).toBe(202);
    expect(json.json()).toEqual({ accepted: 2, age: [1, null] }); // NaN serialises as null
    const arrow = tableToIPC(new Table({ age: vectorFromArray([5, 6], new Float64()) }), 'stream');
    const res = await app.inject({
      method: 'POST',
      url: '/samples',
      headers: { 'content-type': 'application/vnd.apache.arrow.stream' },
      payload: Buffer.from(arrow),
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ accepted: 2, age: [5, 6] });
  });

  it('answer problem+json with field paths, 413 over the byte limit, and leave other routes parsing JSON as before', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/samples',
      headers: { 'content-type': 'application/json' },
      payload: '{"rows":[{"age":"1"},{"age":1e999}]}',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(bad.json().errors.map((e: { path: string }) => e.path)).toEqual(['rows[0].age', 'rows[1].age']);
    const big = await app.inject({ method: 'POST', url: '/samples', payload: { rows: Array(200).fill({ age: 123456 }) } });
    expect(big.statusCode).toBe(413);
    expect(big.json().code).toBe('PAYLOAD_TOO_LARGE');
    const other = await app.inject({ method: 'POST', url: '/other', payload: { a: 1 } });
    expect(other.json()).toEqual({ body: { a: 1 } });
  });
});
