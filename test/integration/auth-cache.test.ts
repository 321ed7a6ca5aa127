import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * The auth cache (issue 20 item 2): a key is verified against the database once and then served
 * from memory for AUTH_CACHE_TTL_MS (5 s). A revocation through this process applies at once; one
 * made elsewhere (another API process, written straight to the database here) within 5 s.
 */
const TTL_MS = 5_000;
let t: TestApp;
let clock = Date.parse('2026-12-04T12:00:00Z');

beforeAll(async () => {
  t = await createTestApp({ now: () => new Date(clock) });
});
afterAll(async () => t.close());

const models = (token: string) => t.call({ method: 'GET', url: '/api/v1/models', token });
async function revokeBehindTheServicesBack(token: string): Promise<void> {
  const { database } = t.container;
  const { apiKeys } = database.tables;
  const { hashToken } = await import('../../src/auth/api-keys.service.js');
  await database.transaction(async () => {
    await database
      .db()
      .update(apiKeys)
      .set({ revokedAt: new Date(clock).toISOString() })
      .where(eq(apiKeys.tokenHash, hashToken(token)));
  });
}
let n = 0;
async function createKey(): Promise<{ id: string; token: string }> {
  const res = await t.call({ method: 'POST', url: '/api/v1/api-keys', payload: { name: `cached-${n++}`, scopes: ['read'] } });
  expect(res.statusCode).toBe(201);
  return res.json<{ id: string; token: string }>();
}

describe('auth cache', () => {
  it('a key revoked elsewhere is served from the cache (no database read) until the TTL, then refused', async () => {
    const { token } = await createKey();
    expect((await models(token)).statusCode).toBe(200);
    await revokeBehindTheServicesBack(token);
    // Still cached: the hit did not read the database, which already says "revoked".
    clock += TTL_MS - 1_000;
    expect((await models(token)).statusCode).toBe(200);
    clock += 1_001;
    expect((await models(token)).statusCode).toBe(401);
    // And stays refused (the miss is not cached as a success).
    expect((await models(token)).statusCode).toBe(401);
  });

  it('a key revoked through this process is refused on the very next request, though it was cached', async () => {
    for (const _ of [1, 2]) {
      const { id, token } = await createKey();
      expect((await models(token)).statusCode).toBe(200);
      expect((await models(token)).statusCode).toBe(200);
      expect((await t.call({ method: 'DELETE', url: `/api/v1/api-keys/${id}` })).statusCode).toBe(204);
      expect((await models(token)).statusCode).toBe(401);
    }
  });
});
