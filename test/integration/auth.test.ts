import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapAdminKey } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config.js';
import { createContainer } from '../../src/container.js';
import { createScratchDatabase, query } from '../helpers/db.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestApp();
  await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'm' } });
  await t.call({ method: 'POST', url: '/api/v1/models/m/versions', payload: { features: [{ name: 'a', type: 'numeric' }] } });
  for (const scope of ['admin', 'models:write', 'samples:write', 'read'] as const) tokens[scope] = await t.keyWith(scope);
});
afterAll(async () => t?.close());

type Family = { family: string; needs: 'admin' | 'models:write' | 'read'; method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; url: string; payload?: unknown };
let counter = 0;
const families = (): Family[] => [
  { family: 'api-keys (admin)', needs: 'admin', method: 'GET', url: '/api/v1/api-keys' },
  { family: 'models write', needs: 'models:write', method: 'POST', url: '/api/v1/models', payload: { name: `auth-${++counter}` } },
  { family: 'models read', needs: 'read', method: 'GET', url: '/api/v1/models' },
  {
    family: 'versions write',
    needs: 'models:write',
    method: 'POST',
    url: '/api/v1/models/m/versions',
    payload: { features: [{ name: 'a', type: 'numeric' }] },
  },
  { family: 'versions read', needs: 'read', method: 'GET', url: '/api/v1/models/m/versions/1' },
  {
    family: 'metrics write',
    needs: 'models:write',
    method: 'POST',
    url: '/api/v1/models/m/versions/1/metrics',
    payload: { metrics: [{ key: 'k', value: 1 }] },
  },
  { family: 'aliases write', needs: 'models:write', method: 'PUT', url: '/api/v1/models/m/aliases/prod', payload: { version: 1 } },
  { family: 'aliases read', needs: 'read', method: 'GET', url: '/api/v1/models/m/aliases/latest' },
  { family: 'artifacts write', needs: 'models:write', method: 'PUT', url: '/api/v1/models/m/versions/1/artifacts/f.txt', payload: 'bytes' },
  { family: 'artifacts read', needs: 'read', method: 'GET', url: '/api/v1/models/m/versions/1/artifacts' },
  { family: 'events read', needs: 'read', method: 'GET', url: '/api/v1/models/m/events' },
];

// What each scope may do: admin everything; models:write also reads; samples:write none of these; read only reads.
const allowed: Record<string, Family['needs'][]> = {
  admin: ['admin', 'models:write', 'read'],
  'models:write': ['models:write', 'read'],
  'samples:write': [],
  read: ['read'],
};

describe('auth matrix: each scope × each route family', () => {
  for (const scope of Object.keys(allowed)) {
    for (const f of families()) {
      const expectAllowed = allowed[scope]!.includes(f.needs);
      it(`${scope} → ${f.family}: ${expectAllowed ? 'allowed' : '403'}`, async () => {
        const res = await t.call({ method: f.method, url: f.url, payload: f.payload as string, token: tokens[scope] });
        if (expectAllowed) expect(res.statusCode, res.body).toBeLessThan(300);
        else {
          expect(res.statusCode).toBe(403);
          expect(res.json().code).toBe('FORBIDDEN');
        }
      });
    }
  }
  it.each(families().map((f) => [f.family, f] as const))('no key → %s: 401', async (_n, f) => {
    const res = await t.call({ method: f.method, url: f.url, payload: f.payload as string, token: null });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toContain('Bearer');
  });
});

describe('API keys', () => {
  it('bootstraps one ADMIN_TOKEN key even when several processes start at once', async () => {
    const token = 'racing-admin-token-0123456789abcdef';
    // Ten racing bootstraps on separate connections (the pool on PostgreSQL): one insert wins.
    const results = await Promise.all(Array.from({ length: 10 }, () => t.container.apiKeys.bootstrapAdmin(token)));
    expect(results.every((r) => r.generatedToken === undefined && r.revokedKeyId === undefined)).toBe(true);
    const rows = await query(t.container.database, "select id from api_keys where name = 'bootstrap-admin'");
    expect(rows).toHaveLength(2); // the test app's own ADMIN_TOKEN key, and this one
    expect((await t.call({ method: 'GET', url: '/api/v1/models', token })).statusCode).toBe(200);
  });

  it('shows the token once, stores only its hash, and revocation takes effect', async () => {
    const created = await t.call({ method: 'POST', url: '/api/v1/api-keys', payload: { name: 'ci', scopes: ['read'] } });
    expect(created.statusCode).toBe(201);
    const { id, token } = created.json();
    expect(token).toMatch(/^mlc_/);
    const rows = await query(t.container.database, 'select * from api_keys');
    expect(JSON.stringify(rows)).not.toContain(token);
    const listed = (await t.call({ method: 'GET', url: '/api/v1/api-keys?limit=500' })).json();
    expect(JSON.stringify(listed)).not.toContain(token);
    expect(listed.items.some((k: { id: string }) => k.id === id)).toBe(true);

    expect((await t.call({ method: 'GET', url: '/api/v1/models', token })).statusCode).toBe(200);
    expect((await t.call({ method: 'DELETE', url: `/api/v1/api-keys/${id}` })).statusCode).toBe(204);
    expect((await t.call({ method: 'GET', url: '/api/v1/models', token })).statusCode).toBe(401);
    expect((await t.call({ method: 'DELETE', url: `/api/v1/api-keys/${id}` })).statusCode).toBe(404);
  });

  it('rejects unknown scopes and refuses to revoke the last admin key', async () => {
    const bad = await t.call({ method: 'POST', url: '/api/v1/api-keys', payload: { name: 'x', scopes: ['root'] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toBe('scopes[0]');

    const solo = await createTestApp();
    try {
      const keys = (await solo.call({ method: 'GET', url: '/api/v1/api-keys' })).json().items;
      expect(keys).toHaveLength(1);
      const res = await solo.call({ method: 'DELETE', url: `/api/v1/api-keys/${keys[0].id}` });
      expect(res.statusCode).toBe(409);
      expect(res.json().code).toBe('LAST_ADMIN_KEY');
    } finally {
      await solo.close();
    }
  });

  it('generates the first admin token into DATA_DIR/admin-token (0600) and logs the file, not the token', async () => {
    const dir = join(t.dir, 'fresh');
    const scratch = await createScratchDatabase();
    const container = await createContainer(loadConfig({ DATA_DIR: dir, ...scratch.env }));
    const logs: string[] = [];
    try {
      await bootstrapAdminKey(container, (m) => logs.push(m));
      const file = join(dir, 'admin-token');
      const token = readFileSync(file, 'utf8').trim();
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(logs.join('\n')).toContain(file);
      expect(logs.join('\n')).not.toContain(token);
      expect((await container.apiKeys.authenticate(token))?.scopes).toEqual(['admin']);
      // A second start finds the admin key and generates nothing.
      await bootstrapAdminKey(container, (m) => logs.push(m));
      expect(logs).toHaveLength(1);
    } finally {
      await container.close();
      await scratch.drop();
    }
  });
});
