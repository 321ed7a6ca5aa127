import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count } from '../helpers/db.js';
import { ADMIN_TOKEN, createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let base: string;
beforeAll(async () => {
  t = await createTestApp();
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => t?.close());

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}/api/v1${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('concurrent registration over real HTTP', () => {
  it('50 concurrent registrations get versions 1…50: no gap, no duplicate', async () => {
    expect((await post('/models', { name: 'race' })).status).toBe(201);
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => post('/models/race/versions', { features: [{ name: 'x', type: 'numeric' }], runId: `run-${i}` })),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(201));
    const numbers = (await Promise.all(responses.map((r) => r.json() as Promise<{ version: number }>))).map((v) => v.version).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(await count(t.container.database, "select count(*) as n from events where type = 'version.created'")).toBe(50);
  });

  it('20 concurrent creates of one model name: exactly one 201, the rest 409', async () => {
    const statuses = (await Promise.all(Array.from({ length: 20 }, () => post('/models', { name: 'same' })))).map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
  });

  it('20 concurrent retries with one Idempotency-Key create one version', async () => {
    await post('/models', { name: 'retry' });
    const body = { features: [{ name: 'x', type: 'numeric' }] };
    const responses = await Promise.all(Array.from({ length: 20 }, () => post('/models/retry/versions', body, { 'idempotency-key': 'job-7' })));
    const versions = new Set((await Promise.all(responses.map((r) => r.json() as Promise<{ version: number }>))).map((v) => v.version));
    expect([...versions]).toEqual([1]);
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
  });
});
