import { randomUUID } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const TOKEN = 'rotation-admin-token-0123456789abcdef';
const servers: ServerProcess[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) if (s.child.exitCode === null) s.child.kill('SIGKILL');
});

/**
 * Issue 7, defect 3: create a second admin key, revoke the bootstrap key, restart with the same
 * ADMIN_TOKEN. The old code exited 1 (UNIQUE constraint failed: api_keys.token_hash).
 */
describe('admin key rotation', () => {
  it('a revoked ADMIN_TOKEN stays revoked across a restart, and start-up succeeds and says so', async () => {
    const dataDir = join(process.cwd(), '.tmp', 'test', `rotation-${randomUUID()}`);
    mkdirSync(dataDir, { recursive: true });
    const env = { DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'info' };
    const first = await startServerProcess(env);
    servers.push(first);
    const headers = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
    const created = await fetch(`${first.base}/api/v1/api-keys`, {
      method: 'POST',
      headers: headers(TOKEN),
      body: JSON.stringify({ name: 'ops-admin', scopes: ['admin'] }),
    });
    expect(created.status).toBe(201);
    const second = (await created.json()) as { token: string };
    const keys = (await (await fetch(`${first.base}/api/v1/api-keys`, { headers: headers(TOKEN) })).json()) as { items: { id: string; name: string }[] };
    const bootstrap = keys.items.find((k) => k.name === 'bootstrap-admin')!;
    // Defect 9: the listing shows key ids, never a piece of the token.
    expect(JSON.stringify(keys)).not.toContain(TOKEN.slice(0, 8));
    expect(keys.items.every((k) => !('tokenPrefix' in k))).toBe(true);
    expect(
      (await fetch(`${first.base}/api/v1/api-keys/${bootstrap.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${second.token}` } })).status,
    ).toBe(204);
    first.child.kill('SIGTERM');
    await new Promise((r) => first.child.once('exit', r));

    const restarted = await startServerProcess(env);
    servers.push(restarted);
    expect(restarted.output()).toContain(`ADMIN_TOKEN belongs to API key ${bootstrap.id}, which was revoked`);
    expect(restarted.output()).not.toContain(TOKEN);
    expect((await fetch(`${restarted.base}/api/v1/api-keys`, { headers: headers(TOKEN) })).status).toBe(401);
    expect((await fetch(`${restarted.base}/api/v1/api-keys`, { headers: headers(second.token) })).status).toBe(200);
    // Defect 9: the data directory (database, admin token) is owner-only.
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'mlcycle.db')).mode & 0o777).toBe(0o600);
  }, 30_000);
});
