import { statSync } from 'node:fs';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTestApp, type TestApp } from '../helpers/app.js';

/** Issue 7, defects 7 and 9: headers on every response, request ids, bodiless DELETE, /docs errors, file modes. */
describe('hardening details', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  it('every API response carries nosniff and a CSP that allows nothing; /docs keeps a CSP that lets Swagger UI load', async () => {
    for (const url of ['/healthz', '/api/v1/models', '/api/v1/nope', '/openapi.json']) {
      const res = await t.call({ method: 'GET', url });
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['content-security-policy'], url).toContain("default-src 'none'");
      expect(res.headers['content-security-policy'], url).toContain("frame-ancestors 'none'");
    }
    const docs = await t.call({ method: 'GET', url: '/docs/', token: null });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-security-policy']).toContain("script-src 'self'");
    expect(docs.headers['content-security-policy']).not.toContain("default-src 'none'");
    expect(docs.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    const bundle = await t.call({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js', token: null });
    expect(bundle.statusCode).toBe(200);
  });

  it('x-request-id: a plain id is echoed; an oversized or odd one is replaced by a fresh id', async () => {
    const given = await t.call({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'trace-42.abc' } });
    expect(given.headers['x-request-id']).toBe('trace-42.abc');
    const huge = await t.call({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'x'.repeat(10_000) } });
    expect(huge.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const odd = await t.call({ method: 'GET', url: '/healthz', headers: { 'x-request-id': '<script>' } });
    expect(odd.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect((await t.call({ method: 'GET', url: '/healthz' })).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a DELETE with content-type application/json and no body is served, not refused as malformed', async () => {
    await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'gone' } });
    const res = await t.call({ method: 'DELETE', url: '/api/v1/models/gone', headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(204);
    // A POST without its JSON body is still malformed.
    const post = await t.call({ method: 'POST', url: '/api/v1/models', headers: { 'content-type': 'application/json' } });
    expect(post.statusCode).toBe(400);
    expect(post.json().code).toBe('MALFORMED_BODY');
  });

  it('a 403 from the /docs static files has its own code, not VALIDATION_FAILED', async () => {
    const res = await t.call({ method: 'GET', url: '/docs/static/..%5cx', token: null });
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().code).toBe('ACCESS_DENIED');
  });

  it('the database file and its WAL are owner-only (0600)', async () => {
    const db = t.container.config.database.kind === 'sqlite' ? t.container.config.database.path : '';
    expect(statSync(db).mode & 0o777).toBe(0o600);
    expect(statSync(`${db}-wal`).mode & 0o777).toBe(0o600);
  });
});

/** Issue 16 item 10: a key sent in the query string (never read from there) is not written to the log. */
describe('query-string tokens are redacted in logs', () => {
  it('?api_key=, ?access_token= and any value shaped like a key are [REDACTED] in every log line', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const t = await createTestApp({ logger: { level: 'trace', stream } });
    try {
      const reader = await t.keyWith('read');
      const urls = [
        `/api/v1/models?api_key=${reader}&limit=5`,
        `/api/v1/models?limit=5&access_token=${encodeURIComponent(reader)}`,
        `/api/v1/models?token=${ADMIN_TOKEN}`,
        `/api/v1/models?q=${reader}`, // a key under an innocent name
        `/api/v1/no-such-route?apiKey=${reader}`, // a 404 logs its URL too
        `/api/v1/models?limit=oops&secret=${reader}`, // a 400
      ];
      for (const url of urls) await t.call({ method: 'GET', url, token: null });
      await t.call({ method: 'GET', url: `/api/v1/models?api_key=${reader}`, token: reader });
      const log = lines.join('');
      expect(log).not.toContain(reader);
      expect(log).not.toContain(ADMIN_TOKEN);
      const access = lines.map((l) => JSON.parse(l) as { msg: string; url?: string }).filter((l) => l.msg === 'request');
      expect(access.map((l) => l.url)).toEqual([
        '/api/v1/api-keys',
        '/api/v1/models?api_key=[REDACTED]&limit=5',
        '/api/v1/models?limit=5&access_token=[REDACTED]',
        '/api/v1/models?token=[REDACTED]',
        '/api/v1/models?q=[REDACTED]',
        '/api/v1/no-such-route?apiKey=[REDACTED]',
        '/api/v1/models?limit=oops&secret=[REDACTED]',
        '/api/v1/models?api_key=[REDACTED]',
      ]);
      // Harmless parameters stay readable.
      await t.call({ method: 'GET', url: '/api/v1/models?limit=3&q=churn' });
      expect(lines.at(-1)).toContain('/api/v1/models?limit=3&q=churn');
    } finally {
      await t.close();
    }
  });
});
