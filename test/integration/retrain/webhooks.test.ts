import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../../src/events/webhook-signing.js';
import { DeliveryFailed } from '../../../src/events/webhooks.service.js';
import { parseExposition, valueOf } from '../../helpers/prometheus.js';
import { createRetrainTestApp, drifted, LOGREG, seedDriftedModel, type RetrainTestApp } from '../../helpers/retraining.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  verified: boolean;
}

/** A real HTTP receiver that verifies every signature with the secret it was given, and can be told to fail. */
async function startReceiver() {
  const received: Received[] = [];
  const state = { secret: '', failNext: 0 };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body, verified: verifySignature(state.secret, req.headers as Record<string, string>, body) });
      if (state.failNext > 0) {
        state.failNext--;
        res.writeHead(503).end('down');
      } else res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    state,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Runs the queued webhook.deliver jobs the way the processor would (retries included). */
async function drain(t: RetrainTestApp) {
  await t.webhooks.dispatchPending();
  for (const job of t.enqueued.splice(0)) {
    if (job.name !== 'webhook.deliver') continue;
    const id = (job.payload as { deliveryId: number }).deliveryId;
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        await t.webhooks.deliver(id, { attempt, maxAttempts: 3 });
        break;
      } catch (error) {
        if (!(error instanceof DeliveryFailed)) throw error;
      }
    }
  }
}

/** This process's counters, as Prometheus reads them. */
const counters = async (t: RetrainTestApp) => {
  const { samples } = parseExposition(await t.container.metrics.render());
  return (name: string, labels: Record<string, string>) => valueOf(samples, name, labels) ?? 0;
};

describe('webhooks: signed deliveries from an outbox', () => {
  let t: RetrainTestApp;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    // The receiver listens on 127.0.0.1, which the outbound URL policy refuses unless allowed.
    t = await createRetrainTestApp({ env: { OUTBOUND_ALLOW_PRIVATE: 'true' } });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  it('refuses non-http URLs; shows the secret once', async () => {
    for (const url of ['file:///etc/passwd', 'ftp://x.example/', 'javascript:alert(1)']) {
      expect((await t.call({ method: 'POST', url: '/api/v1/webhooks', payload: { url, events: ['alias.moved'] } })).statusCode, url).toBe(400);
    }
    const reader = await t.call({ method: 'POST', url: '/api/v1/api-keys', payload: { name: 'reader', scopes: ['read'] } });
    expect((await t.call({ method: 'GET', url: '/api/v1/webhooks', token: reader.json().token })).statusCode).toBe(403);
  });

  it('delivers version.created, alias.moved and retrain.* signed; retries a failing receiver; logs and redelivers', async () => {
    const created = await t.call({
      method: 'POST',
      url: '/api/v1/webhooks',
      payload: { url: receiver.url, events: ['model_version.created', 'alias.moved', 'retrain.started', 'retrain.succeeded', 'retrain.failed'] },
      // model_version.created is the earlier name of version.created: still accepted, stored as the audit name.
    });
    expect(created.statusCode).toBe(201);
    const hook = created.json();
    expect(hook.secret).toMatch(/^whsec_/);
    expect(hook.events).toEqual(['version.created', 'alias.moved', 'retrain.started', 'retrain.succeeded', 'retrain.failed']);
    receiver.state.secret = hook.secret;
    const listed = (await t.call({ method: 'GET', url: '/api/v1/webhooks' })).json();
    expect(listed.items[0]).not.toHaveProperty('secret');

    receiver.state.failNext = 1; // the first attempt of the first delivery gets a 503
    const { modelId, reportIds } = await seedDriftedModel(t, 'hooked', {
      monitor: { retrain: { enabled: true, executor: { type: 'command', command: ['python3', LOGREG] }, promote: { metric: 'accuracy' } } },
    });
    await drain(t);
    const decision = await t.retraining.jobs.onReportCompleted(modelId, [drifted(reportIds[0]!)]);
    await t.retraining.runner.runRetrainJob((decision as { jobId: number }).jobId);
    await drain(t);

    const types = receiver.received.map((r) => JSON.parse(r.body).type);
    expect(types.filter((x) => x === 'version.created')).toHaveLength(3); // v1 (one retry) + v2
    expect(types).toEqual(expect.arrayContaining(['alias.moved', 'retrain.started', 'retrain.succeeded']));
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    // A tampered body does not verify.
    const first = receiver.received[0]!;
    expect(verifySignature(hook.secret, first.headers as Record<string, string>, first.body.replace('hooked', 'hacked'))).toBe(false);
    // The retry carried the same webhook-id (receivers dedupe on it).
    expect(receiver.received[0]!.headers['webhook-id']).toBe(receiver.received[1]!.headers['webhook-id']);
    const v2Event = receiver.received.map((r) => JSON.parse(r.body)).find((p) => p.type === 'version.created' && p.data.version === 2);
    expect(v2Event.data).toMatchObject({ model: 'hooked', version: 2, parentVersion: 1 });
    // One vocabulary: every delivered type is an audit event type the events API lists under the same name.
    const audit = (await t.call({ method: 'GET', url: '/api/v1/models/hooked/events?limit=100' })).json().items.map((e: { type: string }) => e.type);
    for (const type of new Set(types)) expect(audit, type).toContain(type);

    const log = (await t.call({ method: 'GET', url: `/api/v1/webhooks/${hook.id}/deliveries?limit=100` })).json().items;
    const retried = log.find((d: { attempts: number }) => d.attempts === 2);
    expect(retried).toMatchObject({ status: 'delivered', responseCode: 204, lastError: null });
    expect(log.every((d: { status: string; latencyMs: number }) => d.status === 'delivered' && d.latencyMs >= 0)).toBe(true);
    // The counters saw what the delivery log says: one retried attempt, every delivery a success;
    // and the one retrain job went queued → running → succeeded.
    const count = await counters(t);
    expect(count('mlcycle_webhook_deliveries_total', { outcome: 'retry' })).toBe(1);
    expect(count('mlcycle_webhook_deliveries_total', { outcome: 'success' })).toBe(log.length);
    expect(count('mlcycle_webhook_deliveries_total', { outcome: 'gave_up' })).toBe(0);
    for (const status of ['queued', 'running', 'succeeded']) expect(count('mlcycle_retrain_jobs_total', { status }), status).toBe(1);
    expect(count('mlcycle_retrain_jobs_total', { status: 'failed' })).toBe(0);
    expect(count('mlcycle_retrain_jobs_current', { status: 'succeeded' })).toBe(1);

    const before = receiver.received.length;
    const again = await t.call({ method: 'POST', url: `/api/v1/webhooks/${hook.id}/deliveries/${retried.id}/redeliver` });
    expect(again.statusCode).toBe(202);
    expect(again.json().id).not.toBe(retried.id);
    await drain(t);
    expect(receiver.received.length).toBe(before + 1);
    expect(receiver.received.at(-1)!.body).toBe(receiver.received[0]!.body);
    // A redelivery is the same message: same webhook-id as the original, so a deduping receiver
    // processes it once; the delivery log shows that id on both rows.
    expect(receiver.received.at(-1)!.headers['webhook-id']).toBe(receiver.received[0]!.headers['webhook-id']);
    expect(again.json().messageId).toBe(retried.messageId);
    expect(retried.messageId).toBe(receiver.received[0]!.headers['webhook-id']);

    expect((await t.call({ method: 'DELETE', url: `/api/v1/webhooks/${hook.id}` })).statusCode).toBe(204);
    await t.call({ method: 'PUT', url: '/api/v1/models/hooked/aliases/staging', payload: { version: 1 } });
    await drain(t);
    expect(receiver.received.length).toBe(before + 1);
  });

  it('a delivery whose receiver stays down is failed after the last attempt, with the error logged', async () => {
    const before = await counters(t);
    const hook = (
      await t.call({ method: 'POST', url: '/api/v1/webhooks', payload: { url: 'http://127.0.0.1:9/nothing-listens', events: ['alias.moved'] } })
    ).json();
    await t.call({ method: 'PUT', url: '/api/v1/models/hooked/aliases/canary', payload: { version: 1 } });
    await drain(t);
    const [d] = (await t.call({ method: 'GET', url: `/api/v1/webhooks/${hook.id}/deliveries` })).json().items;
    expect(d).toMatchObject({ status: 'failed', attempts: 3, responseCode: null, eventType: 'alias.moved' });
    expect(d.lastError).toBeTruthy();
    // Counted as two retries and one give-up, never as a success.
    const after = await counters(t);
    const delta = (outcome: string) => after('mlcycle_webhook_deliveries_total', { outcome }) - before('mlcycle_webhook_deliveries_total', { outcome });
    expect([delta('retry'), delta('gave_up'), delta('success')]).toEqual([2, 1, 0]);
  });
});
