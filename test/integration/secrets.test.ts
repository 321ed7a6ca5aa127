import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventsRepository } from '../../src/events/events.repository.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * Secrets never reach a non-admin reader (issue 16 item 6): executor secrets and environment
 * values set through PUT /monitor and a manual retrain, a webhook's signing secret, and an audit
 * row written before masking existed are looked for in the answer of every GET route of the
 * OpenAPI document, called with a `read` key.
 */
const SECRETS = {
  webhookExecutor: 'exec-secret-AAAA-0123456789',
  commandEnv: 'env-token-BBBB-0123456789',
  manualOverride: 'override-secret-CCCC-0123456789',
  legacyRow: 'legacy-secret-DDDD-0123456789',
  legacyEnv: 'legacy-env-EEEE-0123456789',
};

let t: TestApp;
let readKey: string;
let writeKey: string;
let webhookSecret: string;
const monitor = (body: object, token?: string) => t.call({ method: 'PUT', url: '/api/v1/models/sec/monitor', payload: body, ...(token ? { token } : {}) });

beforeAll(async () => {
  // Jobs are not consumed: the retrain job only has to exist (its executor is what could leak).
  t = await createTestApp({ consume: false });
  readKey = await t.keyWith('read');
  writeKey = await t.keyWith('models:write');
  await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'sec' } });
  await t.call({ method: 'POST', url: '/api/v1/models/sec/versions', payload: { features: [{ name: 'x', type: 'numeric' }] } });
  await t.call({ method: 'PUT', url: '/api/v1/models/sec/aliases/production', payload: { version: 1 } });
  await t.call({
    method: 'PUT',
    url: '/api/v1/models/sec/versions/1/artifacts/model.bin',
    payload: 'bytes',
    headers: { 'content-type': 'application/octet-stream' },
  });
  const webhookExecutor = { type: 'webhook', url: 'https://ci.example/hook', secret: SECRETS.webhookExecutor, timeoutSeconds: 60 };
  expect((await monitor({ retrain: { executor: webhookExecutor } })).statusCode).toBe(200);
  expect(
    (await monitor({ retrain: { executor: { type: 'command', command: ['true'], env: { TOKEN: SECRETS.commandEnv }, timeoutSeconds: 60 } } })).statusCode,
  ).toBe(200);
  const retrain = await t.call({
    method: 'POST',
    url: '/api/v1/models/sec/retrain',
    payload: { executor: { ...webhookExecutor, secret: SECRETS.manualOverride } },
  });
  expect(retrain.statusCode, retrain.body).toBe(202);
  const hook = await t.call({ method: 'POST', url: '/api/v1/webhooks', payload: { url: 'https://ci.example/events', events: ['alias.moved'] } });
  webhookSecret = hook.json().secret;
  expect(webhookSecret).toMatch(/^whsec_/);
  // What an audit row of an older release looks like: the executor as it was sent.
  const model = await t.call({ method: 'GET', url: '/api/v1/models/sec/events?type=monitor.updated' });
  const repo = createEventsRepository(t.container.database);
  await t.container.database.transaction(() =>
    repo.insert({
      type: 'monitor.updated',
      modelId: model.json().items[0].modelId,
      modelName: 'sec',
      data: { config: { retrain: { executor: { type: 'webhook', url: 'https://x.example', secret: SECRETS.legacyRow, env: { K: SECRETS.legacyEnv } } } } },
      actorKeyId: null,
      actorName: null,
      createdAt: new Date().toISOString(),
    }),
  );
});
afterAll(async () => t?.close());

describe('secrets never reach non-admin readers (issue 16 item 6)', () => {
  it('no GET route answers a read key with any secret, anywhere in the body', async () => {
    const doc = t.app.swagger() as unknown as { paths: Record<string, Record<string, unknown>> };
    const values = { name: 'sec', version: '1', alias: 'production', path: 'model.bin' };
    const seen: string[] = [];
    let answered = 0;
    for (const [template, ops] of Object.entries(doc.paths)) {
      if (!('get' in ops)) continue;
      // Ids of jobs, reports and webhooks: the first few exist.
      for (const id of template.includes('{id}') ? ['1', '2'] : ['']) {
        const url = template.replace(/\{([^}]+)\}/g, (_, n: string) => (n === 'id' ? id : (values[n as keyof typeof values] ?? 'x')));
        const res = await t.call({ method: 'GET', url: url.includes('/events') ? `${url}${url.includes('?') ? '&' : '?'}limit=500` : url, token: readKey });
        if (res.statusCode === 200) answered++;
        for (const secret of [...Object.values(SECRETS), webhookSecret]) if (res.body.includes(secret)) seen.push(`${url}: ${secret}`);
      }
    }
    expect(seen).toEqual([]);
    // The routes that hold executors did answer (events, monitor, retrain jobs): the sweep read something.
    expect(answered).toBeGreaterThan(10);
    const events = (await t.call({ method: 'GET', url: '/api/v1/models/sec/events?type=monitor.updated', token: readKey })).json().items;
    expect(events.length).toBe(3);
    for (const e of events) expect(JSON.stringify(e.data)).toContain('***');
    const jobs = (await t.call({ method: 'GET', url: '/api/v1/retrain-jobs?model=sec', token: readKey })).json().items;
    expect(jobs[0].executor).toMatchObject({ type: 'webhook', secret: '***' });
  });

  it("a models:write key keeps the admin's retrain policy: PUT without it keeps it, PUT with it is 403 naming retrain.executor", async () => {
    const refused = await monitor({ retrain: { executor: { type: 'command', command: ['rm', '-rf', '/'], timeoutSeconds: 1 } } }, writeKey);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().errors).toEqual([{ path: 'retrain.executor', message: expect.any(String) }]);
    const tuned = await monitor({ minSamples: 7 }, writeKey);
    expect(tuned.statusCode).toBe(200);
    expect(tuned.json().config).toMatchObject({ minSamples: 7, retrain: { executor: { type: 'command', env: { TOKEN: '***' } } } });
    // The stored executor is the admin's, secret value included.
    const stored = (await t.container.monitoringRepo.monitorConfig(await modelId())) as {
      retrain: { executor: { env: Record<string, string> } };
    };
    expect(stored.retrain.executor.env.TOKEN).toBe(SECRETS.commandEnv);
    // An admin may still remove it.
    expect((await monitor({ minSamples: 7 })).json().config.retrain).toBeUndefined();
  });
});

async function modelId(): Promise<number> {
  return (await t.call({ method: 'GET', url: '/api/v1/models/sec/events?limit=1' })).json().items[0].modelId;
}
