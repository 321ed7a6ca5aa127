import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count } from '../helpers/db.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
const TABLES = [
  'models',
  'model_tags',
  'versions',
  'version_tags',
  'version_params',
  'version_metrics',
  'aliases',
  'artifacts',
  'events',
  'api_keys',
  'idempotency_keys',
];

/** Row counts of every table: a rejected request must leave all of them unchanged. */
async function snapshot(): Promise<Record<string, number>> {
  const counts = await Promise.all(TABLES.map((name) => count(t.container.database, `select count(*) as n from ${name}`)));
  return Object.fromEntries(TABLES.map((name, i) => [name, counts[i]!]));
}

beforeAll(async () => {
  t = await createTestApp();
  await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'm' } });
  await t.call({ method: 'POST', url: '/api/v1/models/m/versions', payload: { features: [{ name: 'a', type: 'numeric' }] } });
});
afterAll(async () => t?.close());

const ok = { features: [{ name: 'a', type: 'numeric' }] };
const raw = (method: 'POST' | 'PUT', url: string, body: string) => ({ method, url, payload: body, headers: { 'content-type': 'application/json' } });

type Case = [label: string, request: Parameters<TestApp['call']>[0], status: number, code: string, field?: string];

const cases: Case[] = [
  ['empty model name', { method: 'POST', url: '/api/v1/models', payload: { name: '' } }, 400, 'VALIDATION_FAILED', 'name'],
  ['200-character name', { method: 'POST', url: '/api/v1/models', payload: { name: 'a'.repeat(200) } }, 400, 'VALIDATION_FAILED', 'name'],
  ['name with ../', { method: 'POST', url: '/api/v1/models', payload: { name: '../x' } }, 400, 'VALIDATION_FAILED', 'name'],
  ['name with a space', { method: 'POST', url: '/api/v1/models', payload: { name: 'my model' } }, 400, 'VALIDATION_FAILED', 'name'],
  ['name with a control character', { method: 'POST', url: '/api/v1/models', payload: { name: 'ab\u0007c' } }, 400, 'VALIDATION_FAILED', 'name'],
  ['name with unicode', { method: 'POST', url: '/api/v1/models', payload: { name: 'modèle' } }, 400, 'VALIDATION_FAILED', 'name'],
  ['unknown field', { method: 'POST', url: '/api/v1/models', payload: { name: 'ok-name', owner: 'me' } }, 400, 'VALIDATION_FAILED', 'owner'],
  ['wrong type', { method: 'POST', url: '/api/v1/models', payload: { name: 42 } }, 400, 'VALIDATION_FAILED', 'name'],
  ['bad tag value type', { method: 'POST', url: '/api/v1/models', payload: { name: 'ok-name', tags: { a: 1 } } }, 400, 'VALIDATION_FAILED', 'tags.a'],
  ['malformed JSON', raw('POST', '/api/v1/models', '{"name":'), 400, 'MALFORMED_BODY'],
  ['JSON that is not an object', raw('POST', '/api/v1/models', '[1,2]'), 400, 'VALIDATION_FAILED'],
  ['version of an unknown model', { method: 'POST', url: '/api/v1/models/nope/versions', payload: ok }, 404, 'MODEL_NOT_FOUND'],
  [
    'bad feature type',
    {
      method: 'POST',
      url: '/api/v1/models/m/versions',
      payload: {
        features: [
          { name: 'a', type: 'numeric' },
          { name: 'b', type: 'numeric' },
          { name: 'c', type: 'text' },
        ],
      },
    },
    400,
    'VALIDATION_FAILED',
    'features[2].type',
  ],
  ['no features', { method: 'POST', url: '/api/v1/models/m/versions', payload: { features: [] } }, 400, 'VALIDATION_FAILED', 'features'],
  [
    'duplicate feature names',
    {
      method: 'POST',
      url: '/api/v1/models/m/versions',
      payload: {
        features: [
          { name: 'a', type: 'numeric' },
          { name: 'a', type: 'categorical' },
        ],
      },
    },
    400,
    'VALIDATION_FAILED',
    'features[1].name',
  ],
  [
    'metric NaN as a string',
    { method: 'POST', url: '/api/v1/models/m/versions', payload: { ...ok, metrics: { auc: 'NaN' } } },
    400,
    'VALIDATION_FAILED',
    'metrics.auc',
  ],
  [
    'metric 1e999 as a string',
    { method: 'POST', url: '/api/v1/models/m/versions', payload: { ...ok, metrics: { auc: '1e999' } } },
    400,
    'VALIDATION_FAILED',
    'metrics.auc',
  ],
  [
    'metric 1e999 as a JSON number (Infinity)',
    raw('POST', '/api/v1/models/m/versions', '{"features":[{"name":"a","type":"numeric"}],"metrics":{"auc":1e999}}'),
    400,
    'VALIDATION_FAILED',
    'metrics.auc',
  ],
  [
    'metric point not finite',
    raw('POST', '/api/v1/models/m/versions/1/metrics', '{"metrics":[{"key":"loss","value":-1e999}]}'),
    400,
    'VALIDATION_FAILED',
    'metrics[0].value',
  ],
  [
    'metrics of an unknown version',
    { method: 'POST', url: '/api/v1/models/m/versions/9/metrics', payload: { metrics: [{ key: 'x', value: 1 }] } },
    404,
    'VERSION_NOT_FOUND',
  ],
  [
    'parent version that does not exist',
    { method: 'POST', url: '/api/v1/models/m/versions', payload: { ...ok, parentVersion: 7 } },
    409,
    'PARENT_VERSION_NOT_FOUND',
    'parentVersion',
  ],
  [
    'time window of 1 ms',
    { method: 'PUT', url: '/api/v1/models/m/monitor', payload: { window: { every: 'PT0.001S' } } },
    400,
    'VALIDATION_FAILED',
    'window.every',
  ],
  [
    'time window of 59 s',
    { method: 'PUT', url: '/api/v1/models/m/monitor', payload: { window: { every: 'PT59S' } } },
    400,
    'VALIDATION_FAILED',
    'window.every',
  ],
  ['version 0 in the path', { method: 'GET', url: '/api/v1/models/m/versions/0' }, 400, 'VALIDATION_FAILED', 'params.version'],
  ['alias to a version that does not exist', { method: 'PUT', url: '/api/v1/models/m/aliases/production', payload: { version: 5 } }, 404, 'VERSION_NOT_FOUND'],
  ['alias with a bad name', { method: 'PUT', url: '/api/v1/models/m/aliases/-prod', payload: { version: 1 } }, 400, 'VALIDATION_FAILED', 'params.alias'],
  ['alias version as a string', { method: 'PUT', url: '/api/v1/models/m/aliases/prod', payload: { version: '1' } }, 400, 'VALIDATION_FAILED', 'version'],
  ['alias of an unknown model', { method: 'PUT', url: '/api/v1/models/nope/aliases/prod', payload: { version: 1 } }, 404, 'MODEL_NOT_FOUND'],
  ['unknown alias', { method: 'GET', url: '/api/v1/models/m/aliases/staging' }, 404, 'ALIAS_NOT_FOUND'],
  ['bad cursor', { method: 'GET', url: '/api/v1/models?cursor=zzz' }, 400, 'INVALID_CURSOR', 'cursor'],
  ['limit over 500', { method: 'GET', url: '/api/v1/models?limit=501' }, 400, 'VALIDATION_FAILED', 'querystring.limit'],
  ['unknown route', { method: 'GET', url: '/api/v1/nothing-here' }, 404, 'ROUTE_NOT_FOUND'],
  ['artifact path with ..', { method: 'PUT', url: '/api/v1/models/m/versions/1/artifacts/a/%2E%2E%2Fb', payload: 'x' }, 400, 'INVALID_ARTIFACT_PATH', 'path'],
  [
    'artifact path with encoded ../',
    { method: 'PUT', url: '/api/v1/models/m/versions/1/artifacts/..%2Fescape', payload: 'x' },
    400,
    'INVALID_ARTIFACT_PATH',
    'path',
  ],
  [
    'artifact path with a leading /',
    { method: 'PUT', url: '/api/v1/models/m/versions/1/artifacts//etc/passwd', payload: 'x' },
    400,
    'INVALID_ARTIFACT_PATH',
    'path',
  ],
  ['artifact path with a backslash', { method: 'PUT', url: '/api/v1/models/m/versions/1/artifacts/a%5Cb', payload: 'x' }, 400, 'INVALID_ARTIFACT_PATH', 'path'],
  ['artifact path with NUL', { method: 'PUT', url: '/api/v1/models/m/versions/1/artifacts/a%00b', payload: 'x' }, 400, 'INVALID_ARTIFACT_PATH', 'path'],
  ['artifact of an unknown version', { method: 'PUT', url: '/api/v1/models/m/versions/3/artifacts/a.bin', payload: 'x' }, 404, 'VERSION_NOT_FOUND'],
  ['missing artifact', { method: 'GET', url: '/api/v1/models/m/versions/1/artifacts/none.bin' }, 404, 'ARTIFACT_NOT_FOUND'],
  ['missing token', { method: 'POST', url: '/api/v1/models', payload: { name: 'x1' }, token: null }, 401, 'UNAUTHENTICATED'],
  ['wrong token', { method: 'POST', url: '/api/v1/models', payload: { name: 'x1' }, token: 'mlc_not-a-real-token' }, 401, 'UNAUTHENTICATED'],
  ['oversized body', { method: 'POST', url: '/api/v1/models', payload: { name: 'big', description: 'x'.repeat(17 * 1024 * 1024) } }, 413, 'PAYLOAD_TOO_LARGE'],
];

describe('bad input gets a clear 4xx problem and changes nothing', () => {
  it.each(cases)('%s', async (_label, request, status, code, field) => {
    const before = await snapshot();
    const res = await t.call(request);
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const problem = res.json();
    expect(problem).toMatchObject({ status, code, title: expect.any(String), detail: expect.any(String), type: expect.any(String) });
    if (field) expect(problem.errors.map((e: { path: string }) => e.path)).toContain(field);
    expect(await snapshot()).toEqual(before);
  });

  it('lists every bad field at once', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/models/m/versions',
      payload: { features: [{ name: 'a', type: 'x' }], metrics: { auc: 'high' }, gitCommit: 'zz', extra: true },
    });
    expect(res.statusCode).toBe(400);
    const paths = res
      .json()
      .errors.map((e: { path: string }) => e.path)
      .sort();
    expect(paths).toEqual(['extra', 'features[0].type', 'gitCommit', 'metrics.auc']);
  });

  it('declared defaults are honoured: never required in the OpenAPI document, filled in by the server', async () => {
    const doc = t.app.swagger() as unknown as { paths: Record<string, Record<string, Record<string, unknown>>> };
    const both: string[] = [];
    const walk = (schema: unknown, where: string): void => {
      if (Array.isArray(schema)) return schema.forEach((s, i) => walk(s, `${where}[${i}]`));
      if (schema === null || typeof schema !== 'object') return;
      const s = schema as { properties?: Record<string, { default?: unknown }>; required?: string[] };
      for (const key of Array.isArray(s.required) ? s.required : []) if (s.properties?.[key] && 'default' in s.properties[key]) both.push(`${where}.${key}`);
      for (const [key, value] of Object.entries(s)) walk(value, `${where}.${key}`);
    };
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops)) {
        for (const p of (op.parameters ?? []) as { name: string; required?: boolean; schema: { default?: unknown } }[])
          if (p.required && 'default' in p.schema) both.push(`${method} ${path} ${p.name}`);
        walk(op.requestBody, `${method} ${path} body`);
      }
    // Bodies reference named schemas (RetrainConfig, the executors): those are walked too.
    const components = (doc as unknown as { components: { schemas: Record<string, unknown> } }).components.schemas;
    walk(components, 'components.schemas');
    expect(Object.keys(components)).toContain('RetrainConfig');
    expect(both).toEqual([]);
    // Left out, they take their declared values.
    const monitor = await t.call({
      method: 'PUT',
      url: '/api/v1/models/m/monitor',
      payload: { retrain: { executor: { type: 'command', command: ['true'], timeoutSeconds: 60 }, promote: { metric: 'accuracy' } } },
    });
    expect(monitor.statusCode).toBe(200);
    expect(monitor.json().config.retrain).toMatchObject({
      enabled: true,
      on: ['datasetDrift'],
      consecutiveWindows: 1,
      cooldown: 'PT6H',
      trainingWindows: 1,
      holdoutShare: 0.2,
      minLabelledRows: 100,
      // `mode` follows from the metric (accuracy: higher is better) and is left out.
      promote: { alias: 'production', minImprovement: 0, alpha: 0.05 },
    });
    expect((await t.call({ method: 'GET', url: '/api/v1/events' })).statusCode).toBe(200); // limit and includeDeleted left out
    await t.call({ method: 'PUT', url: '/api/v1/models/m/monitor', payload: {} });
  });

  it('a read key cannot write (403) and nothing is written', async () => {
    const token = await t.keyWith('read');
    const before = await snapshot();
    const res = await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'r1' }, token });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('FORBIDDEN');
    expect(await snapshot()).toEqual(before);
  });

  it('never leaks internals in a 5xx', async () => {
    const broken = await createTestApp({
      store: {
        kind: 'fs',
        put: async () => {
          throw new Error('ECONNRESET secret-bucket at /internal/path');
        },
        get: async () => {
          throw new Error('x');
        },
        exists: async () => false,
        delete: async () => undefined,
        ping: async () => undefined,
        list: async function* () {},
        sweepIncomplete: async () => 0,
      },
    });
    try {
      await broken.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'm' } });
      await broken.call({ method: 'POST', url: '/api/v1/models/m/versions', payload: ok });
      const res = await broken.call({ method: 'PUT', url: '/api/v1/models/m/versions/1/artifacts/a.bin', payload: 'bytes' });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toMatchObject({ code: 'INTERNAL', status: 500 });
      expect(res.body).not.toMatch(/secret-bucket|internal\/path|at \w+ \(|\.ts:/);
      const listed = await broken.call({ method: 'GET', url: '/api/v1/models/m/versions/1/artifacts' });
      expect(listed.json().items).toEqual([]);
    } finally {
      await broken.close();
    }
  });
});
