import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../../src/http/pagination.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * A generated sweep: every integer path, query and JSON-body parameter of every route in the
 * OpenAPI document gets 2^31 (one past PostgreSQL's int4) and, where it has a minimum, -1. Each
 * must be a 400 naming that parameter — never a 500 from the database (issue 16 item 5).
 */

interface Schema {
  type?: string | string[];
  minimum?: number;
  maximum?: number;
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  $ref?: string;
}
interface Operation {
  parameters?: { in: string; name: string; required?: boolean; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}
type Segment = string | number;

/** PostgreSQL int4's largest value (the columns ids, versions and steps live in). */
const INT4_MAX = 2 ** 31 - 1;

const isInteger = (s: Schema) => s.type === 'integer' || (Array.isArray(s.type) && s.type.includes('integer'));

/** Every integer leaf under a body schema, with the path to it (arrays by their first item, unions by every branch). */
function integerLeaves(schema: Schema, resolve: (s: Schema) => Schema, at: Segment[] = []): { path: Segment[]; schema: Schema }[] {
  const s = resolve(schema);
  if (isInteger(s)) return [{ path: at, schema: s }];
  const out: { path: Segment[]; schema: Schema }[] = [];
  for (const branch of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])]) out.push(...integerLeaves(branch, resolve, at));
  for (const [key, child] of Object.entries(s.properties ?? {})) out.push(...integerLeaves(child, resolve, [...at, key]));
  if (s.items) out.push(...integerLeaves(s.items, resolve, [...at, 0]));
  return out;
}

/** The smallest JSON value that carries `value` at `path`. */
function carrying(path: Segment[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  return typeof head === 'number' ? [carrying(rest, value)] : { [head as string]: carrying(rest, value) };
}

/** `['metrics', 0, 'step']` → `metrics[0].step`, as the problem's errors[].path spells it. */
const fieldPath = (path: Segment[]) => path.reduce<string>((p, s) => (typeof s === 'number' ? `${p}[${s}]` : p ? `${p}.${s}` : s), '');

const PATH_DEFAULTS: Record<string, string> = { name: 'm', alias: 'prod', path: 'model.bin', id: '1', version: '1', deliveryId: '1' };

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'm' } });
  await t.call({ method: 'POST', url: '/api/v1/models/m/versions', payload: { features: [{ name: 'a', type: 'numeric' }] } });
});
afterAll(async () => t?.close());

describe('bounded integers: 2^31 and -1 in every integer parameter are a 400 naming it (issue 16 item 5)', () => {
  it('sweeps every route of the OpenAPI document', async () => {
    const doc = t.app.swagger() as unknown as { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, Schema> } };
    const resolve = (s: Schema): Schema => (s.$ref ? resolve(doc.components?.schemas?.[s.$ref.split('/').pop() as string] ?? {}) : s);
    const failures: string[] = [];
    let sent = 0;
    for (const [template, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const params = op.parameters ?? [];
        const json = op.requestBody?.content['application/json'];
        const raw = op.requestBody && !json;
        const request = (pathValues: Record<string, string>, query: Record<string, string>, body: unknown) => {
          const url = template.replace(/\{([^}]+)\}/g, (_, n: string) => encodeURIComponent(pathValues[n] ?? PATH_DEFAULTS[n] ?? 'x'));
          const qs = new URLSearchParams(query).toString();
          return t.call({
            method: method.toUpperCase() as 'GET',
            url: qs ? `${url}?${qs}` : url,
            ...(raw ? { payload: 'bytes', headers: { 'content-type': 'application/octet-stream' } } : {}),
            ...(json ? { payload: body as object } : {}),
          });
        };
        const targets: { where: 'params' | 'querystring' | 'body'; name: string; path: Segment[]; schema: Schema }[] = [
          ...params
            .filter((p) => (p.in === 'path' || p.in === 'query') && isInteger(p.schema))
            .map((p) => ({ where: p.in === 'path' ? ('params' as const) : ('querystring' as const), name: p.name, path: [p.name], schema: p.schema })),
          ...(json ? integerLeaves(json.schema, resolve).map((l) => ({ where: 'body' as const, name: fieldPath(l.path), ...l })) : []),
        ];
        for (const target of targets) {
          const bad = [INT4_MAX + 1, ...(target.schema.minimum !== undefined && target.schema.minimum > -1 ? [-1] : [])];
          for (const value of bad) {
            const res = await request(
              target.where === 'params' ? { [target.name]: String(value) } : {},
              target.where === 'querystring' ? { [target.name]: String(value) } : {},
              target.where === 'body' ? carrying(target.path, value) : {},
            );
            sent++;
            const expected = target.where === 'body' ? target.name : `${target.where}.${target.name}`;
            const paths = res.statusCode === 400 ? (res.json().errors ?? []).map((e: { path: string }) => e.path) : [];
            if (res.statusCode !== 400 || !paths.includes(expected))
              failures.push(`${method.toUpperCase()} ${template} ${expected}=${value}: ${res.statusCode} ${res.body.slice(0, 300)}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
    // Every id, version, step, size and window bound in the API: the sweep must have found them.
    expect(sent).toBeGreaterThan(40);
  });

  it('the places the schema cannot see: a JSON samples body, a v<N> alias, a forged cursor', async () => {
    const samples = await t.call({ method: 'POST', url: '/api/v1/models/m/samples', payload: { version: INT4_MAX + 1, rows: [{ a: 1 }] } });
    expect(samples.statusCode).toBe(400);
    expect(samples.json().errors[0].path).toBe('version');
    const alias = await t.call({ method: 'GET', url: `/api/v1/models/m/aliases/v${INT4_MAX + 1}` });
    expect(alias.statusCode).toBe(404);
    expect(alias.json().code).toBe('ALIAS_NOT_FOUND');
    for (const url of ['/api/v1/models/m/versions', '/api/v1/events', '/api/v1/retrain-jobs', '/api/v1/models/m/drift-reports', '/api/v1/webhooks']) {
      for (const key of [INT4_MAX + 1, 1.5, -1]) {
        const res = await t.call({ method: 'GET', url: `${url}?cursor=${encodeCursor(key)}` });
        expect(res.statusCode, `${url} cursor ${key}`).toBe(400);
        expect(res.json().code).toBe('INVALID_CURSOR');
      }
    }
    // In range, the same routes answer.
    expect((await t.call({ method: 'GET', url: `/api/v1/models/m/versions?cursor=${encodeCursor(INT4_MAX)}` })).statusCode).toBe(200);
    expect((await t.call({ method: 'GET', url: `/api/v1/models/m/versions/${INT4_MAX}` })).statusCode).toBe(404);
  });
});
