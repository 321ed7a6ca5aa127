import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';

/** Issue 7, defects 7 and 9: headers on every response, request ids, bodiless DELETE, /docs errors, file modes. */
describe('hardening details', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

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
