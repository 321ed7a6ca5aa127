import { createServer, type Server } from 'node:http';
import { lookup } from 'node:dns/promises';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolveHost } from '../../src/events/outbound.js';
import { createRetrainTestApp, seedDriftedModel, type RetrainTestApp } from '../helpers/retraining.js';

/**
 * Outbound URL policy (issue 16 item 7): webhook subscriptions and webhook executors that point at
 * loopback, link-local, private, unique-local, unspecified, multicast or IPv4-mapped private
 * addresses are refused when configured (400 naming the field), and again when the connection is
 * made — a host that resolved to a public address when it was configured and to 127.0.0.1 when
 * the delivery runs (DNS rebinding) never reaches the local receiver. The refused delivery is
 * logged as refused, without a status code or latency of the internal target.
 */

const PRIVATE_URLS = [
  'http://127.0.0.1:1/hook',
  'http://localhost/hook',
  'http://[::1]/hook',
  'http://10.1.2.3/hook',
  'http://172.16.0.1/hook',
  'http://192.168.1.1/hook',
  'http://169.254.169.254/latest/meta-data/',
  'http://[fd12:3456::1]/hook',
  'http://[fe80::1]/hook',
  'http://0.0.0.0/hook',
  'http://224.0.0.1/hook',
  'http://[::ffff:127.0.0.1]/hook',
  'http://[::ffff:10.0.0.1]/hook',
  'http://2130706433/hook', // 127.0.0.1 in decimal
  'http://0x7f.1/hook', // 127.0.0.1 in hex shorthand
];

/** `rebind.test` answers a public address the first time it is asked (at configuration) and 127.0.0.1 after. */
function rebindingResolver() {
  const asked: string[] = [];
  const resolve: ResolveHost = async (hostname) => {
    asked.push(hostname);
    if (hostname !== 'rebind.test') return lookup(hostname, { all: true });
    return asked.filter((h) => h === hostname).length === 1 ? [{ address: '93.184.215.14', family: 4 }] : [{ address: '127.0.0.1', family: 4 }];
  };
  return { resolve, asked };
}

async function startReceiver() {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, hits, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('outbound URL policy', () => {
  let t: RetrainTestApp;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const dns = rebindingResolver();
  beforeAll(async () => {
    t = await createRetrainTestApp({ resolveHost: dns.resolve });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  it('refuses private, loopback, link-local, unique-local, unspecified, multicast and mapped targets at creation, naming the field', async () => {
    const bad: string[] = [];
    for (const url of PRIVATE_URLS) {
      const hook = await t.call({ method: 'POST', url: '/api/v1/webhooks', payload: { url, events: ['alias.moved'] } });
      if (hook.statusCode !== 400 || hook.json().errors?.[0]?.path !== 'url') bad.push(`webhook ${url}: ${hook.statusCode} ${hook.body}`);
    }
    expect(bad).toEqual([]);
    await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'ssrf' } });
    await t.call({ method: 'POST', url: '/api/v1/models/ssrf/versions', payload: { features: [{ name: 'x', type: 'numeric' }] } });
    const executor = { type: 'webhook', url: 'http://169.254.169.254/latest/', secret: 's'.repeat(32), timeoutSeconds: 5 };
    const monitor = await t.call({ method: 'PUT', url: '/api/v1/models/ssrf/monitor', payload: { retrain: { executor } } });
    expect(monitor.statusCode).toBe(400);
    expect(monitor.json().errors).toEqual([{ path: 'retrain.executor.url', message: expect.stringContaining('169.254.169.254') }]);
    const manual = await t.call({ method: 'POST', url: '/api/v1/models/ssrf/retrain', payload: { executor: { ...executor, url: 'http://[::1]:8080/' } } });
    expect(manual.statusCode).toBe(400);
    expect(manual.json().errors[0].path).toBe('executor.url');
    // Nothing was stored: no webhook, no monitor, no job.
    expect((await t.call({ method: 'GET', url: '/api/v1/webhooks' })).json().items).toEqual([]);
    expect((await t.call({ method: 'GET', url: '/api/v1/retrain-jobs?model=ssrf' })).json().items).toEqual([]);
    // A public target, and a name that does not resolve yet, are accepted (checked again when used).
    for (const url of ['https://93.184.215.14/hook', 'https://ci.example/hook']) {
      expect((await t.call({ method: 'POST', url: '/api/v1/webhooks', payload: { url, events: ['alias.moved'] } })).statusCode, url).toBe(201);
    }
  });

  it('a webhook whose host re-resolves to 127.0.0.1 at delivery (DNS rebinding) is refused at connect time and logged as refused', async () => {
    const created = await t.call({
      method: 'POST',
      url: '/api/v1/webhooks',
      payload: { url: `http://rebind.test:${receiver.port}/hook`, events: ['version.created'] },
    });
    expect(created.statusCode).toBe(201); // the first resolution was public
    await t.call({ method: 'POST', url: '/api/v1/models/ssrf/versions', payload: { features: [{ name: 'x', type: 'numeric' }] } });
    await t.webhooks.dispatchPending();
    const jobs = t.enqueued.splice(0).filter((j) => j.name === 'webhook.deliver');
    for (const job of jobs) await t.webhooks.deliver((job.payload as { deliveryId: number }).deliveryId, { attempt: 1, maxAttempts: 3 });
    const log = (await t.call({ method: 'GET', url: `/api/v1/webhooks/${created.json().id}/deliveries` })).json().items;
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ status: 'refused', attempts: 1, responseCode: null, latencyMs: null });
    expect(log[0].lastError).toMatch(/^refused: rebind\.test /);
    expect(log[0].lastError).not.toContain('127.0.0.1');
    expect(receiver.hits).toEqual([]);
    expect(dns.asked.filter((h) => h === 'rebind.test').length).toBe(2); // once at creation, once at connect
  });

  it('a webhook executor whose host re-resolves to 127.0.0.1 when the job runs never reaches it; the job fails as refused', async () => {
    const { resolve } = rebindingResolver(); // fresh: public once, then loopback
    const t2 = await createRetrainTestApp({ resolveHost: resolve });
    try {
      const executor = { type: 'webhook', url: `http://rebind.test:${receiver.port}/train`, secret: 's'.repeat(32), timeoutSeconds: 5 };
      await seedDriftedModel(t2, 'rebound', { monitor: {} });
      expect((await t2.call({ method: 'PUT', url: '/api/v1/models/rebound/monitor', payload: { retrain: { executor } } })).statusCode).toBe(200);
      const job = (await t2.call({ method: 'POST', url: '/api/v1/models/rebound/retrain', payload: {} })).json();
      await t2.retraining.runner.runRetrainJob(job.id);
      const done = (await t2.call({ method: 'GET', url: `/api/v1/retrain-jobs/${job.id}` })).json();
      expect(done.status).toBe('failed');
      expect(done.error).toContain('refused: rebind.test');
      expect(receiver.hits).toEqual([]);
    } finally {
      await t2.close();
    }
  });

  it('with OUTBOUND_ALLOW_PRIVATE=true the same rebinding host is delivered to (the policy, not the network, refused it above)', async () => {
    const { resolve } = rebindingResolver();
    await resolve('rebind.test'); // past its public answer: from now on it says 127.0.0.1
    const t3 = await createRetrainTestApp({ resolveHost: resolve, env: { OUTBOUND_ALLOW_PRIVATE: 'true' } });
    try {
      const hook = await t3.call({
        method: 'POST',
        url: '/api/v1/webhooks',
        payload: { url: `http://127.0.0.1:${receiver.port}/allowed`, events: ['alias.moved'] },
      });
      expect(hook.statusCode).toBe(201);
      const rebound = await t3.call({
        method: 'POST',
        url: '/api/v1/webhooks',
        payload: { url: `http://rebind.test:${receiver.port}/rebound`, events: ['alias.moved'] },
      });
      expect(rebound.statusCode).toBe(201);
      await t3.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'open' } });
      await t3.call({ method: 'POST', url: '/api/v1/models/open/versions', payload: { features: [{ name: 'x', type: 'numeric' }] } });
      await t3.call({ method: 'PUT', url: '/api/v1/models/open/aliases/production', payload: { version: 1 } });
      await t3.webhooks.dispatchPending();
      for (const job of t3.enqueued.splice(0).filter((j) => j.name === 'webhook.deliver'))
        await t3.webhooks.deliver((job.payload as { deliveryId: number }).deliveryId);
      expect(receiver.hits.sort()).toEqual(['/allowed', '/rebound']);
    } finally {
      await t3.close();
    }
  });
});
