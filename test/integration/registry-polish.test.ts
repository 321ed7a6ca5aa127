import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTestApp, type TestApp } from '../helpers/app.js';

/** Issue 8: what a new user hit on a first run. Each block failed on the code before the fix. */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const features = [{ name: 'a', type: 'numeric' }];
type Res = Awaited<ReturnType<TestApp['call']>>;
function expectProblem(res: Res, status: number, code: string): { detail: string; errors?: { path: string; message: string }[] } {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  const body = res.json();
  expect(body.code).toBe(code);
  return body;
}

describe('names of 101 to 128 characters work on every route', () => {
  const name = `m${'x'.repeat(126)}9`;
  const alias = `a${'y'.repeat(127)}`;

  it('model and alias names the API accepts are usable everywhere', async () => {
    expect(name).toHaveLength(128);
    expect((await t.call({ method: 'POST', url: '/api/v1/models', payload: { name } })).statusCode).toBe(201);
    const base = `/api/v1/models/${name}`;
    expect((await t.call({ method: 'GET', url: base })).statusCode).toBe(200);
    expect((await t.call({ method: 'PATCH', url: base, payload: { description: 'long' } })).statusCode).toBe(200);
    expect((await t.call({ method: 'POST', url: `${base}/versions`, payload: { features } })).statusCode).toBe(201);
    expect((await t.call({ method: 'GET', url: `${base}/versions` })).statusCode).toBe(200);
    expect((await t.call({ method: 'GET', url: `${base}/versions/1` })).statusCode).toBe(200);
    expect((await t.call({ method: 'POST', url: `${base}/versions/1/metrics`, payload: { metrics: [{ key: 'auc', value: 0.9 }] } })).statusCode).toBe(201);
    expect((await t.call({ method: 'GET', url: `${base}/versions/1/metrics` })).statusCode).toBe(200);
    expect((await t.call({ method: 'PUT', url: `${base}/aliases/${alias}`, payload: { version: 1 } })).statusCode).toBe(200);
    expect((await t.call({ method: 'GET', url: `${base}/aliases/${alias}` })).json()).toMatchObject({ version: 1, aliases: [alias] });
    expect(
      (
        await t.call({
          method: 'PUT',
          url: `${base}/versions/1/artifacts/model.bin`,
          payload: Buffer.from('bytes'),
          headers: { 'content-type': 'application/octet-stream' },
        })
      ).statusCode,
    ).toBe(201);
    expect((await t.call({ method: 'GET', url: `${base}/versions/1/artifacts/model.bin` })).body).toBe('bytes');
    expect((await t.call({ method: 'GET', url: `${base}/versions/1/artifacts` })).statusCode).toBe(200);
    expect((await t.call({ method: 'GET', url: `${base}/events` })).json().items.length).toBeGreaterThan(2);
    expect((await t.call({ method: 'DELETE', url: `${base}/aliases/${alias}` })).statusCode).toBe(204);
    expect((await t.call({ method: 'DELETE', url: base })).statusCode).toBe(204);
  });

  it('a name longer than any the API accepts is a 400 naming the field, an absurd one a 414, both problem+json', async () => {
    const over = expectProblem(await t.call({ method: 'GET', url: `/api/v1/models/${'b'.repeat(129)}` }), 400, 'VALIDATION_FAILED');
    expect(over.errors?.[0]?.path).toBe('params.name');
    const absurd = expectProblem(await t.call({ method: 'GET', url: `/api/v1/models/${'c'.repeat(5000)}` }), 414, 'URI_TOO_LONG');
    expect(absurd.detail).not.toContain('ccccc'); // the URL is not echoed
  });

  it("Fastify's own errors are problem+json with catalogue codes", async () => {
    expectProblem(await t.call({ method: 'GET', url: '/api/v1/no-such-thing' }), 404, 'ROUTE_NOT_FOUND');
    expectProblem(
      await t.call({ method: 'POST', url: '/api/v1/models', payload: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectProblem(await t.call({ method: 'POST', url: '/api/v1/models', payload: '', headers: { 'content-type': 'application/json' } }), 400, 'MALFORMED_BODY');
    expectProblem(await t.call({ method: 'GET', url: '/api/v1/models/%E0%A4%A' }), 400, 'MALFORMED_URL');
  });
});

describe('content-type, validation and auth messages', () => {
  it('415 names the content type to send, for no type and for text/plain alike', async () => {
    const form = expectProblem(
      await t.call({ method: 'POST', url: '/api/v1/models', payload: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expect(form.detail).toContain('application/json');
    const text = expectProblem(
      await t.call({ method: 'POST', url: '/api/v1/models', payload: '{"name":"x"}', headers: { 'content-type': 'text/plain' } }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expect(text.detail).toContain('text/plain');
    expect(text.detail).toContain('send Content-Type: application/json');
  });

  it('malformed JSON says what is wrong and where', async () => {
    const truncated = expectProblem(
      await t.call({ method: 'POST', url: '/api/v1/models', payload: '{"name":', headers: { 'content-type': 'application/json' } }),
      400,
      'MALFORMED_BODY',
    );
    expect(truncated.detail).toMatch(/position 8/);
    const stray = expectProblem(
      await t.call({ method: 'POST', url: '/api/v1/models', payload: '{"name": x}', headers: { 'content-type': 'application/json' } }),
      400,
      'MALFORMED_BODY',
    );
    expect(stray.detail).toMatch(/position \d+/);
  });

  it('enum errors list the allowed values; patterns are explained, not shown raw', async () => {
    await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'msg' } });
    const badEnum = expectProblem(
      await t.call({ method: 'POST', url: '/api/v1/models/msg/versions', payload: { features: [{ name: 'a', type: 'text' }] } }),
      400,
      'VALIDATION_FAILED',
    );
    expect(badEnum.errors).toEqual([{ path: 'features[0].type', message: 'must be one of: "numeric", "categorical"' }]);
    const badName = expectProblem(await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: '-x' } }), 400, 'VALIDATION_FAILED');
    expect(badName.errors?.[0]?.message).toContain('letters, digits');
    expect(badName.detail).not.toContain('^[');
  });

  it('the Bearer scheme is case-insensitive (RFC 9110)', async () => {
    for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
      const res = await t.call({ method: 'GET', url: '/api/v1/models', token: null, headers: { authorization: `${scheme} ${ADMIN_TOKEN}` } });
      expect(res.statusCode, scheme).toBe(200);
    }
    expectProblem(
      await t.call({ method: 'GET', url: '/api/v1/models', token: null, headers: { authorization: `Basic ${ADMIN_TOKEN}` } }),
      401,
      'UNAUTHENTICATED',
    );
  });

  it('an unknown event type is a 400 listing the known ones, not an empty page', async () => {
    const res = expectProblem(await t.call({ method: 'GET', url: '/api/v1/models/msg/events?type=bogus' }), 400, 'VALIDATION_FAILED');
    expect(res.errors?.[0]?.path).toBe('querystring.type');
    expect(res.errors?.[0]?.message).toContain('"model.created"');
    expect((await t.call({ method: 'GET', url: '/api/v1/models/msg/events?type=model.created' })).json().items).toHaveLength(1);
  });
});

describe('params keep their JSON types', () => {
  it('numbers, booleans and strings come back as sent', async () => {
    await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'params' } });
    const body = '{"features":[{"name":"a","type":"numeric"}],"params":{"lr":0.1,"depth":6,"balanced":true,"eps":1e-5,"opt":"adam","n":"6","neg":-2.5e300}}';
    const created = await t.call({ method: 'POST', url: '/api/v1/models/params/versions', payload: body, headers: { 'content-type': 'application/json' } });
    expect(created.statusCode).toBe(201);
    const expected = { lr: 0.1, depth: 6, balanced: true, eps: 1e-5, opt: 'adam', n: '6', neg: -2.5e300 };
    expect(created.json().params).toEqual(expected);
    expect((await t.call({ method: 'GET', url: '/api/v1/models/params/versions/1' })).json().params).toEqual(expected);
    expect((await t.call({ method: 'GET', url: '/api/v1/models/params/aliases/latest' })).json().params).toEqual(expected);
  });

  it('other JSON values are refused, naming the param', async () => {
    for (const value of [{ a: 1 }, [1], null]) {
      const res = expectProblem(
        await t.call({ method: 'POST', url: '/api/v1/models/params/versions', payload: { features, params: { bad: value } } }),
        400,
        'VALIDATION_FAILED',
      );
      expect(res.errors?.map((e) => e.path)).toContain('params.bad');
    }
  });
});

describe('audit history of deleted models', () => {
  it('GET /events?model= returns every incarnation with includeDeleted, only the live one without', async () => {
    await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'audited' } });
    await t.call({ method: 'POST', url: '/api/v1/models/audited/versions', payload: { features } });
    expect((await t.call({ method: 'DELETE', url: '/api/v1/models/audited' })).statusCode).toBe(204);

    // After the delete: the per-model route is gone, the audit route still has the history.
    expect((await t.call({ method: 'GET', url: '/api/v1/models/audited/events' })).statusCode).toBe(404);
    const history = (await t.call({ method: 'GET', url: '/api/v1/events?model=audited&includeDeleted=true' })).json();
    expect(history.items.map((e: { type: string }) => e.type)).toEqual(['model.deleted', 'version.created', 'model.created']);
    const firstId = history.items[0].modelId;
    expect(firstId).toEqual(expect.any(Number));
    expect((await t.call({ method: 'GET', url: '/api/v1/events?model=audited' })).json().items).toEqual([]);

    // The name reused: both incarnations, told apart by modelId; the default shows the live one only.
    await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'audited' } });
    const all = (await t.call({ method: 'GET', url: '/api/v1/events?model=audited&includeDeleted=true' })).json().items as { type: string; modelId: number }[];
    expect(all.map((e) => e.type)).toEqual(['model.created', 'model.deleted', 'version.created', 'model.created']);
    expect(new Set(all.map((e) => e.modelId)).size).toBe(2);
    const live = (await t.call({ method: 'GET', url: '/api/v1/events?model=audited' })).json().items as { type: string; modelId: number }[];
    expect(live.map((e) => e.type)).toEqual(['model.created']);
    expect(live[0]!.modelId).not.toBe(firstId);
    expect((await t.call({ method: 'GET', url: '/api/v1/models/audited/events' })).json().items).toHaveLength(1);

    const deletions = (await t.call({ method: 'GET', url: '/api/v1/events?type=model.deleted&includeDeleted=true&limit=1' })).json();
    expect(deletions.items).toEqual([expect.objectContaining({ type: 'model.deleted', model: 'audited', modelId: firstId })]);
    // Reading the audit log needs the read scope like any other read.
    expect((await t.call({ method: 'GET', url: '/api/v1/events', token: null })).statusCode).toBe(401);
  });
});
