import type { FastifyInstance } from 'fastify';
import { AppError, type FieldError } from './errors.js';

/**
 * JSON.parse turns 1e999 into Infinity, which JSON Schema's "number" then accepts. No field of
 * ours may hold a non-finite number, so the body parser refuses them, naming each place.
 */
function nonFiniteNumbers(value: unknown, path: string, out: FieldError[]): void {
  if (out.length >= 20) return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) out.push({ path: path || 'body', message: 'must be a finite number' });
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) nonFiniteNumbers(value[i], `${path}[${i}]`, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) nonFiniteNumbers(child, path ? `${path}.${key}` : key, out);
  }
}

/**
 * Fastify's parser drops the reason; parse again (failure path only) for JSON.parse's own words,
 * which carry the position on Node 20, or say where the document ended.
 */
function malformed(body: string): AppError {
  try {
    JSON.parse(body);
  } catch (error) {
    const reason = (error as Error).message.replace(/\s+/g, ' ').slice(0, 200);
    const where = /position \d+/.test(reason) ? '' : ` (the body ends at position ${body.length})`;
    return new AppError('MALFORMED_BODY', `the body is not valid JSON: ${reason}${where}`);
  }
  // Valid JSON that secure-json-parse refused.
  return new AppError('MALFORMED_BODY', 'the body contains a forbidden "__proto__" or "constructor.prototype" key');
}

const BODILESS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS']);

export function registerJsonBodyParser(app: FastifyInstance): void {
  // Fastify's own parser keeps its prototype-poisoning protection; we only add the finiteness check.
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  // Fastify's text/plain parser would hand a string to routes that validate an object ("body:
  // must be object"); without it such a request gets a 415 naming the type to send.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    // Many clients send Content-Type: application/json on every request; a DELETE (or GET)
    // without a body is still a valid request, not malformed JSON.
    if (body === '' && BODILESS.has(req.method)) return done(null, undefined);
    parse(req, body as string, (err: Error | null, parsed?: unknown) => {
      if (err) return done((err as { code?: string }).code === 'FST_ERR_CTP_INVALID_JSON_BODY' ? malformed(body as string) : err, undefined);
      const bad: FieldError[] = [];
      nonFiniteNumbers(parsed, '', bad);
      if (bad.length > 0) return done(new AppError('VALIDATION_FAILED', bad.map((f) => `${f.path}: ${f.message}`).join('; '), bad), undefined);
      done(null, parsed);
    });
  });
}
