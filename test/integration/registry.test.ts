import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { otherConnection, TEST_DIALECT } from '../helpers/db.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const features = [
  { name: 'age', type: 'numeric' },
  { name: 'plan', type: 'categorical' },
];

describe('models', () => {
  it('creates, reads, patches, searches and deletes', async () => {
    const created = await t.call({
      method: 'POST',
      url: '/api/v1/models',
      payload: { name: 'churn', description: 'Churn classifier', tags: { team: 'growth', tier: '1' } },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: 'churn', tags: { team: 'growth', tier: '1' }, latestVersion: null });

    const dup = await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'churn' } });
    expect(dup.statusCode).toBe(409);
    expect(dup.headers['content-type']).toContain('application/problem+json');
    expect(dup.json().code).toBe('MODEL_EXISTS');

    await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'fraud', description: 'card fraud 100%_match', tags: { team: 'risk' } } });
    await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'ltv', tags: { team: 'growth' } } });

    const byTag = await t.call({ method: 'GET', url: '/api/v1/models?tag=team:growth' });
    expect(byTag.json().items.map((m: { name: string }) => m.name)).toEqual(['churn', 'ltv']);
    const twoTags = await t.call({ method: 'GET', url: '/api/v1/models?tag=team:growth&tag=tier:1' });
    expect(twoTags.json().items.map((m: { name: string }) => m.name)).toEqual(['churn']);
    const byText = await t.call({ method: 'GET', url: '/api/v1/models?q=FRAUD' });
    expect(byText.json().items.map((m: { name: string }) => m.name)).toEqual(['fraud']);
    // LIKE wildcards in q are literal characters, not patterns.
    const literal = await t.call({ method: 'GET', url: `/api/v1/models?q=${encodeURIComponent('%_')}` });
    expect(literal.json().items.map((m: { name: string }) => m.name)).toEqual(['fraud']);

    const patched = await t.call({ method: 'PATCH', url: '/api/v1/models/ltv', payload: { description: 'lifetime value', tags: { team: 'finance' } } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ description: 'lifetime value', tags: { team: 'finance' } });

    const del = await t.call({ method: 'DELETE', url: '/api/v1/models/ltv' });
    expect(del.statusCode).toBe(204);
    expect((await t.call({ method: 'GET', url: '/api/v1/models/ltv' })).statusCode).toBe(404);
    // The name is free again, and the new model starts its own numbering and audit trail.
    expect((await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'ltv' } })).statusCode).toBe(201);
    const events = await t.call({ method: 'GET', url: '/api/v1/models/ltv/events' });
    expect(events.json().items.map((e: { type: string }) => e.type)).toEqual(['model.created']);
  });

  it('paginates with a cursor that survives inserts', async () => {
    for (const n of ['p-a', 'p-b', 'p-c', 'p-d', 'p-e']) {
      await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: n, tags: { page: 'yes' } } });
    }
    const first = (await t.call({ method: 'GET', url: '/api/v1/models?tag=page:yes&limit=2' })).json();
    expect(first.items.map((m: { name: string }) => m.name)).toEqual(['p-a', 'p-b']);
    expect(first.nextCursor).toEqual(expect.any(String));
    await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'p-a0', tags: { page: 'yes' } } });
    const second = (await t.call({ method: 'GET', url: `/api/v1/models?tag=page:yes&limit=2&cursor=${first.nextCursor}` })).json();
    expect(second.items.map((m: { name: string }) => m.name)).toEqual(['p-c', 'p-d']);
    const third = (await t.call({ method: 'GET', url: `/api/v1/models?tag=page:yes&limit=2&cursor=${second.nextCursor}` })).json();
    expect(third).toEqual({ items: [expect.objectContaining({ name: 'p-e' })], nextCursor: null });
  });
});

describe('pagination order', () => {
  it('pages names byte-wise on every dialect (case, digits and punctuation included)', async () => {
    const names = ['ord-b', 'ord-B', 'ord-a', 'ord-A', 'ord-_x', 'ord-Z.1', 'ord-a-b', 'ord-a.b', 'ord-9', 'ord-a_b'];
    for (const name of names) expect((await t.call({ method: 'POST', url: '/api/v1/models', payload: { name } })).statusCode).toBe(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { name: string }[]; nextCursor: string | null } = (
        await t.call({ method: 'GET', url: `/api/v1/models?q=ord-&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}` })
      ).json();
      seen.push(...page.items.map((m) => m.name));
      cursor = page.nextCursor;
    } while (cursor);
    // Byte order, as SQLite's BINARY collation and PostgreSQL's "C" collation give it.
    expect(seen).toEqual([...names].sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1)));
  });
});

describe('versions, metrics, aliases, events', () => {
  it('numbers versions, stores params/metrics, moves aliases with an audit trail', async () => {
    await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'ranker' } });
    const v1 = await t.call({
      method: 'POST',
      url: '/api/v1/models/ranker/versions',
      payload: {
        features,
        runId: 'run-1',
        gitCommit: 'abc1234',
        params: { lr: 0.1, depth: 6, balanced: true },
        metrics: { auc: 0.81 },
        tags: { stage: 'exp' },
      },
    });
    expect(v1.statusCode).toBe(201);
    expect(v1.json()).toMatchObject({
      model: 'ranker',
      version: 1,
      params: { lr: 0.1, depth: 6, balanced: true },
      metrics: { auc: 0.81 },
      createdBy: 'bootstrap-admin',
    });
    const v2 = await t.call({ method: 'POST', url: '/api/v1/models/ranker/versions', payload: { features, parentVersion: 1 } });
    expect(v2.json()).toMatchObject({ version: 2, parentVersion: 1 });

    const metrics = await t.call({
      method: 'POST',
      url: '/api/v1/models/ranker/versions/2/metrics',
      payload: {
        metrics: [
          { key: 'loss', value: 0.9, step: 1 },
          { key: 'loss', value: 0.5, step: 2 },
          { key: 'auc', value: 0.84, timestamp: '2026-01-01T00:00:00Z' },
        ],
      },
    });
    expect(metrics.statusCode).toBe(201);
    const series = (await t.call({ method: 'GET', url: '/api/v1/models/ranker/versions/2/metrics?key=loss' })).json();
    expect(series.items.map((p: { step: number; value: number }) => [p.step, p.value])).toEqual([
      [1, 0.9],
      [2, 0.5],
    ]);
    expect((await t.call({ method: 'GET', url: '/api/v1/models/ranker/versions/2' })).json().metrics).toEqual({ loss: 0.5, auc: 0.84 });

    const listed = (await t.call({ method: 'GET', url: '/api/v1/models/ranker/versions' })).json();
    expect(listed.items.map((v: { version: number }) => v.version)).toEqual([2, 1]);

    expect((await t.call({ method: 'PUT', url: '/api/v1/models/ranker/aliases/production', payload: { version: 1 } })).json()).toEqual({
      alias: 'production',
      version: 1,
      previousVersion: null,
    });
    expect((await t.call({ method: 'PUT', url: '/api/v1/models/ranker/aliases/production', payload: { version: 2 } })).json()).toEqual({
      alias: 'production',
      version: 2,
      previousVersion: 1,
    });
    const prod = await t.call({ method: 'GET', url: '/api/v1/models/ranker/aliases/production' });
    expect(prod.json()).toMatchObject({ version: 2, aliases: ['production'] });
    expect((await t.call({ method: 'GET', url: '/api/v1/models/ranker/aliases/latest' })).json().version).toBe(2);
    expect((await t.call({ method: 'GET', url: '/api/v1/models/ranker/aliases/v1' })).json().version).toBe(1);
    expect((await t.call({ method: 'GET', url: '/api/v1/models/ranker' })).json()).toMatchObject({ latestVersion: 2, aliases: { production: 2 } });

    for (const reserved of ['latest', 'v7']) {
      const res = await t.call({ method: 'PUT', url: `/api/v1/models/ranker/aliases/${reserved}`, payload: { version: 1 } });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('ALIAS_RESERVED');
    }

    expect((await t.call({ method: 'DELETE', url: '/api/v1/models/ranker/aliases/production' })).statusCode).toBe(204);
    expect((await t.call({ method: 'GET', url: '/api/v1/models/ranker/aliases/production' })).statusCode).toBe(404);

    const events = (await t.call({ method: 'GET', url: '/api/v1/models/ranker/events' })).json();
    expect(events.items.map((e: { type: string }) => e.type)).toEqual([
      'alias.deleted',
      'alias.moved',
      'alias.moved',
      'version.created',
      'version.created',
      'model.created',
    ]);
    const moved = events.items[1];
    expect(moved).toMatchObject({ data: { alias: 'production', from: 1, to: 2 }, actor: { name: 'bootstrap-admin' } });
    expect(Date.parse(moved.createdAt)).not.toBeNaN();
  });

  it('makes a retried registration with the same Idempotency-Key return the same version', async () => {
    await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'idem' } });
    const send = (body: object) => t.call({ method: 'POST', url: '/api/v1/models/idem/versions', headers: { 'idempotency-key': 'train-42' }, payload: body });
    const first = await send({ features, metrics: { auc: 0.7 } });
    const retry = await send({ metrics: { auc: 0.7 }, features });
    expect(first.statusCode).toBe(201);
    expect(retry.statusCode).toBe(200);
    expect(retry.json().version).toBe(first.json().version);
    const other = await send({ features, metrics: { auc: 0.9 } });
    expect(other.statusCode).toBe(409);
    expect(other.json().code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect((await t.call({ method: 'GET', url: '/api/v1/models/idem' })).json().latestVersion).toBe(1);
  });
});

describe('alias lookup cache', () => {
  it('is never stale after a change through this process; sees one made elsewhere within the bound', async () => {
    await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'cached' } });
    await t.call({ method: 'POST', url: '/api/v1/models/cached/versions', payload: { features, metrics: { auc: 0.5 } } });
    await t.call({ method: 'POST', url: '/api/v1/models/cached/versions', payload: { features } });
    await t.call({ method: 'PUT', url: '/api/v1/models/cached/aliases/prod', payload: { version: 1 } });
    const get = async () => (await t.call({ method: 'GET', url: '/api/v1/models/cached/aliases/prod' })).json();
    expect((await get()).metrics).toEqual({ auc: 0.5 });

    await t.call({ method: 'POST', url: '/api/v1/models/cached/versions/1/metrics', payload: { metrics: [{ key: 'auc', value: 0.6, step: 1 }] } });
    expect((await get()).metrics).toEqual({ auc: 0.6 });
    await t.call({ method: 'PATCH', url: '/api/v1/models/cached/versions/1', payload: { tags: { checked: 'yes' } } });
    expect((await get()).tags).toEqual({ checked: 'yes' });

    // A second connection to the same database stands in for another API process or a worker.
    // SQLite checks the revision on every hit, so another process's change is seen at once; on
    // PostgreSQL hits make no round trip and the change arrives by its notification (README:
    // within milliseconds, never later than ALIAS_CACHE_TTL_MS, 1 s by default).
    const seen = async <V>(read: () => Promise<V>, want: V) => {
      const started = performance.now();
      for (;;) {
        const got = await read();
        if (JSON.stringify(got) === JSON.stringify(want) || TEST_DIALECT === 'sqlite') return got;
        if (performance.now() - started > 1_000) return got;
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const other = await otherConnection(t);
    try {
      await other.exec("update aliases set version_id = (select id from versions where version = 2 and model_id = aliases.model_id) where alias = 'prod'");
      expect(await seen(async () => (await get()).version, 2)).toBe(2);
      await other.exec(
        "insert into version_tags (version_id, key, value) select id, 'from', 'elsewhere' from versions where version = 2 and model_id = (select id from models where name = 'cached')",
      );
      expect(await seen(async () => (await get()).tags, { from: 'elsewhere' })).toEqual({ from: 'elsewhere' });
    } finally {
      await other.close();
    }
  });
});

describe('operations', () => {
  it('serves health, readiness, OpenAPI and Swagger UI', async () => {
    expect((await t.call({ method: 'GET', url: '/healthz', token: null })).json()).toEqual({ status: 'ok' });
    expect((await t.call({ method: 'GET', url: '/readyz', token: null })).json()).toMatchObject({
      status: 'ok',
      checks: { database: { status: 'ok' }, artifactStore: { status: 'ok' } },
    });
    const doc = (await t.call({ method: 'GET', url: '/openapi.json', token: null })).json();
    expect(doc.paths['/api/v1/models/{name}/versions'].post.operationId).toBe('createVersion');
    expect((await t.call({ method: 'GET', url: '/docs/', token: null })).statusCode).toBe(200);
  });

  it('answers 503 from /readyz naming the failed dependency', async () => {
    const broken = await createTestApp({
      store: {
        kind: 'fs',
        put: async () => ({ size: 0, sha256: '' }),
        get: async () => {
          throw new Error('x');
        },
        exists: async () => false,
        delete: async () => undefined,
        ping: async () => {
          throw new Error('disk gone');
        },
        list: async function* () {},
        sweepIncomplete: async () => 0,
      },
    });
    try {
      const res = await broken.call({ method: 'GET', url: '/readyz', token: null });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ status: 'fail', checks: { artifactStore: { status: 'fail' }, database: { status: 'ok' } } });
      expect(res.body).not.toContain('disk gone');
    } finally {
      await broken.close();
    }
  });
});
