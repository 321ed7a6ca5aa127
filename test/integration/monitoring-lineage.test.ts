import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProfile, computeDrift, type FeatureDriftResult } from '../../src/drift/index.js';
import { verifySignature } from '../../src/events/webhook-signing.js';
import type { InlineQueue } from '../../src/queue/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { otherConnection, TEST_DIALECT } from '../helpers/db.js';
import { parseExposition, valueOf } from '../helpers/prometheus.js';
import { createRng } from '../helpers/random.js';
import { until } from '../helpers/wait.js';

/**
 * Issue 15 item 2 through the API, in both queue modes: a version without a reference of its own
 * is reported against its nearest ancestor's (and says so); a version whose ancestors have none
 * either fails its report loudly — event, signed webhook, counter, monitor status — and so does
 * a job that gives up.
 */
const features = [
  { name: 'age', type: 'numeric' },
  { name: 'plan', type: 'categorical' },
] as const;
const PLANS = ['free', 'pro', 'team'];
function makeRows(seed: number, n: number, shift: number) {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => ({
    age: Math.round(rng.normal(40 + shift, 10) * 10) / 10,
    plan: shift > 0 ? 'team' : PLANS[rng.int(3)]!,
  }));
}
type Row = ReturnType<typeof makeRows>[number];
const columnsOf = (rows: Row[]) => ({ age: rows.map((r) => r.age), plan: rows.map((r) => r.plan) });

interface ReportSummary {
  id: number;
  version: number;
  status: string;
  referenceVersion: number | null;
  failureReason: string | null;
  error: string | null;
  completedAt: string | null;
}

async function settle(t: TestApp) {
  if (t.container.queue.kind === 'inline') await (t.container.queue as InlineQueue).idle();
}

/** The model's reports once `n` exist and none is pending, newest first. */
async function finishedReports(t: TestApp, model: string, n: number): Promise<ReportSummary[]> {
  await settle(t);
  return until(
    `${n} finished reports for ${model}`,
    async () => {
      const page = (await t.call({ method: 'GET', url: `/api/v1/models/${model}/drift-reports?limit=100` })).json<{ items: ReportSummary[] }>();
      return page.items.length >= n && page.items.every((r) => r.status !== 'pending') ? page.items : undefined;
    },
    { timeoutMs: 20_000 },
  );
}

/** A real HTTP receiver that checks every Standard Webhooks signature with the secret it is given. */
async function startReceiver() {
  const received: { headers: IncomingHttpHeaders; body: string; verified: boolean }[] = [];
  const state = { secret: '' };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body, verified: verifySignature(state.secret, req.headers as Record<string, string>, body) });
      res.writeHead(204).end();
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

async function setUp(t: TestApp, model: string, versions: { parentVersion?: number }[], windowSize: number) {
  const ok = (res: { statusCode: number; body: string }) => expect(res.statusCode, res.body).toBeLessThan(300);
  ok(await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: model } }));
  for (const v of versions) ok(await t.call({ method: 'POST', url: `/api/v1/models/${model}/versions`, payload: { features, ...v } }));
  ok(await t.call({ method: 'PUT', url: `/api/v1/models/${model}/monitor`, payload: { window: { size: windowSize }, minSamples: 30 } }));
}

const post = async (t: TestApp, url: string, payload: object) => {
  const res = await t.call({ method: 'POST', url: `/api/v1${url}`, payload });
  expect(res.statusCode, res.body).toBeLessThan(300);
  return res;
};

for (const mode of ['inline', 'bullmq'] as const) {
  describe(`reference fallback and failed reports (${mode} queue)`, () => {
    let t: TestApp;
    let metricsKey: string;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    const scrape = async () => {
      const res = await t.call({ method: 'GET', url: '/metrics', token: metricsKey });
      expect(res.statusCode, res.body).toBe(200);
      return parseExposition(res.body).samples;
    };

    beforeAll(async () => {
      // The webhook receiver listens on 127.0.0.1, which the outbound URL policy refuses unless allowed.
      t = await createTestApp({ queue: mode, env: { OUTBOUND_ALLOW_PRIVATE: 'true' } });
      metricsKey = await t.keyWith('metrics');
      receiver = await startReceiver();
    });
    afterAll(async () => {
      await receiver?.close();
      await t?.close();
    });

    it("reports a version without its own reference against the nearest ancestor's, with the numbers of that reference", async () => {
      // v1 ← v2 ← v3; only v1 has a reference.
      await setUp(t, 'churn', [{}, { parentVersion: 1 }, { parentVersion: 2 }], 300);
      const reference = makeRows(1, 2000, 0);
      await post(t, '/models/churn/versions/1/reference', { rows: reference });
      const window = makeRows(2, 300, 5);
      for (const version of [1, 3, 2]) await post(t, '/models/churn/samples', { version, rows: window });

      const items = await finishedReports(t, 'churn', 3);
      expect(items.map((r) => [r.version, r.status, r.referenceVersion])).toEqual([
        [2, 'done', 1],
        [3, 'done', 1],
        [1, 'done', 1],
      ]);
      const whole = await Promise.all(items.map(async (r) => (await t.call({ method: 'GET', url: `/api/v1/drift-reports/${r.id}` })).json()));
      const expected = computeDrift(buildProfile(columnsOf(reference), new Map(features.map((f) => [f.name, f.type]))), columnsOf(window), {
        minSamples: 30,
      });
      for (const report of whole) {
        expect(report).toMatchObject({ referenceVersion: 1, failureReason: null, error: null, sampleCount: 300, datasetDrift: true });
        for (const want of expected.features) {
          const got = report.features.find((f: FeatureDriftResult) => f.name === want.name) as FeatureDriftResult;
          expect(got.psi).toBe(want.psi);
          expect(got.ks).toEqual(want.ks);
          expect(got.chi2).toEqual(want.chi2);
          expect(got.histogram).toEqual(want.histogram);
          expect(got.drifted).toBe(want.drifted);
        }
      }
      const timeline = (await t.call({ method: 'GET', url: '/api/v1/models/churn/drift/timeline?version=3' })).json();
      expect(timeline.points.map((p: { version: number; referenceVersion: number }) => [p.version, p.referenceVersion])).toEqual([[3, 1]]);
      const detected = (await t.call({ method: 'GET', url: '/api/v1/models/churn/events?type=drift.detected' })).json().items;
      expect(detected.find((e: { data: { version: number } }) => e.data.version === 3).data).toMatchObject({ referenceVersion: 1 });

      // Once v2 has a reference, it is v3's nearest: the next v3 window is compared with it.
      const own = makeRows(3, 2000, 5);
      await post(t, '/models/churn/versions/2/reference', { rows: own });
      await post(t, '/models/churn/samples', { version: 3, rows: window });
      const [next] = await finishedReports(t, 'churn', 4);
      expect(next).toMatchObject({ version: 3, status: 'done', referenceVersion: 2 });
      const againstV2 = computeDrift(buildProfile(columnsOf(own), new Map(features.map((f) => [f.name, f.type]))), columnsOf(window), {
        minSamples: 30,
      });
      const nextWhole = (await t.call({ method: 'GET', url: `/api/v1/drift-reports/${next!.id}` })).json();
      expect(nextWhole.features.find((f: FeatureDriftResult) => f.name === 'age').psi).toBe(againstV2.features[0]!.psi);
      expect(nextWhole.datasetDrift).toBe(false);

      const status = (await t.call({ method: 'GET', url: '/api/v1/models/churn/monitor/status' })).json();
      expect(status).toEqual({ model: 'churn', state: 'ok', reason: null, message: null, reportId: next!.id, version: 3, lastReportAt: next!.completedAt });
      const newest = Math.max(...[...items, next!].map((r) => Date.parse(r.completedAt!)));
      expect(valueOf(await scrape(), 'mlcycle_monitor_last_report_timestamp_seconds', { model: 'churn' })).toBe(newest / 1000);
    });

    it("compares a child that dropped or retyped a feature on the features it shares with the ancestor's reference", async () => {
      await setUp(t, 'slim', [{}], 200);
      await post(t, '/models/slim/versions/1/reference', { rows: makeRows(11, 1000, 0) });
      await post(t, '/models/slim/versions', { features: [{ name: 'age', type: 'numeric' }], parentVersion: 1 });
      await post(t, '/models/slim/versions', {
        features: [
          { name: 'age', type: 'numeric' },
          { name: 'plan', type: 'numeric' },
        ],
        parentVersion: 1,
      });
      await post(t, '/models/slim/samples', { version: 2, rows: makeRows(12, 200, 0).map((r) => ({ age: r.age })) });
      await post(t, '/models/slim/samples', { version: 3, rows: makeRows(13, 200, 0).map((r, i) => ({ age: r.age, plan: i % 3 })) });
      const items = await finishedReports(t, 'slim', 2);
      for (const r of items) {
        expect(r).toMatchObject({ status: 'done', referenceVersion: 1 });
        const whole = (await t.call({ method: 'GET', url: `/api/v1/drift-reports/${r.id}` })).json();
        // 'plan' is gone (v2) or numeric now (v3): not compared, so never a false missing-rate drift.
        expect(whole.features.map((f: FeatureDriftResult) => f.name)).toEqual(['age']);
        expect(whole.datasetDrift).toBe(false);
      }
    });

    it('fails the report loudly when neither the version nor any ancestor has a reference: event, webhook, counter, status', async () => {
      const hook = (
        await t.call({ method: 'POST', url: '/api/v1/webhooks', payload: { url: receiver.url, events: ['drift.report_failed'], description: 'on-call' } })
      ).json();
      expect(hook.secret).toMatch(/^whsec_/);
      receiver.state.secret = hook.secret;
      await setUp(t, 'orphan', [{}, { parentVersion: 1 }], 100);
      const idle = (await t.call({ method: 'GET', url: '/api/v1/models/orphan/monitor/status' })).json();
      expect(idle).toEqual({ model: 'orphan', state: 'idle', reason: null, message: null, reportId: null, version: null, lastReportAt: null });
      const before = await scrape();

      await post(t, '/models/orphan/samples', { version: 2, rows: makeRows(4, 100, 0) });
      const [failed] = await finishedReports(t, 'orphan', 1);
      expect(failed).toMatchObject({ version: 2, status: 'failed', failureReason: 'no_reference', referenceVersion: null });
      expect(failed!.error).toBe('version 2 has no reference data, nor has any ancestor: POST it to /api/v1/models/orphan/versions/2/reference');
      expect((await t.call({ method: 'GET', url: `/api/v1/drift-reports/${failed!.id}` })).json()).toMatchObject({ failureReason: 'no_reference' });

      const events = (await t.call({ method: 'GET', url: '/api/v1/models/orphan/events?type=drift.report_failed' })).json().items;
      expect(events).toHaveLength(1);
      expect(events[0].data).toEqual({
        reportId: failed!.id,
        version: 2,
        window: { kind: 'count', key: expect.any(String) },
        reason: 'no_reference',
        message: failed!.error,
      });

      const delivered = await until('the webhook delivery', () => receiver.received.find((r) => JSON.parse(r.body).type === 'drift.report_failed'), {
        timeoutMs: 10_000,
      });
      expect(delivered.verified).toBe(true);
      expect(JSON.parse(delivered.body).data).toMatchObject({ model: 'orphan', reportId: failed!.id, version: 2, reason: 'no_reference' });
      const log = await until(
        'the delivery log',
        async () => {
          const items = (await t.call({ method: 'GET', url: `/api/v1/webhooks/${hook.id}/deliveries` })).json().items;
          return items[0]?.status === 'delivered' ? items : undefined;
        },
        { timeoutMs: 10_000 },
      );
      expect(log).toHaveLength(1);
      expect(log[0]).toMatchObject({ eventType: 'drift.report_failed', responseCode: 204 });

      const after = await scrape();
      const delta = (name: string, labels: Record<string, string>) => (valueOf(after, name, labels) ?? 0) - (valueOf(before, name, labels) ?? 0);
      expect(valueOf(after, 'mlcycle_drift_reports_failed_total', { model: 'orphan', reason: 'no_reference' })).toBe(1);
      // The job ran (in this process, both modes) and is not counted as a success.
      expect(delta('mlcycle_drift_job_duration_seconds_count', { outcome: 'failed' })).toBe(1);
      expect(delta('mlcycle_drift_job_duration_seconds_count', { outcome: 'ok' })).toBe(0);
      // A model that never reported successfully has no last-report time (absent, not a made-up 0).
      expect(valueOf(after, 'mlcycle_monitor_last_report_timestamp_seconds', { model: 'orphan' })).toBeUndefined();

      const stopped = (await t.call({ method: 'GET', url: '/api/v1/models/orphan/monitor/status' })).json();
      expect(stopped).toEqual({
        model: 'orphan',
        state: 'stopped',
        reason: 'no_reference',
        message: failed!.error,
        reportId: failed!.id,
        version: 2,
        lastReportAt: null,
      });

      // Each failed window counts once; a reference on the root brings the monitor back.
      await post(t, '/models/orphan/samples', { version: 2, rows: makeRows(5, 100, 0) });
      await finishedReports(t, 'orphan', 2);
      expect(valueOf(await scrape(), 'mlcycle_drift_reports_failed_total', { model: 'orphan', reason: 'no_reference' })).toBe(2);
      await post(t, '/models/orphan/versions/1/reference', { rows: makeRows(6, 1000, 0) });
      await post(t, '/models/orphan/samples', { version: 2, rows: makeRows(7, 100, 0) });
      const [recovered] = await finishedReports(t, 'orphan', 3);
      expect(recovered).toMatchObject({ status: 'done', referenceVersion: 1, failureReason: null });
      const back = (await t.call({ method: 'GET', url: '/api/v1/models/orphan/monitor/status' })).json();
      expect(back).toMatchObject({ state: 'ok', reason: null, reportId: recovered!.id, lastReportAt: recovered!.completedAt });
      await until('two deliveries', () => receiver.received.length >= 2, { timeoutMs: 10_000 });
      expect((await t.call({ method: 'GET', url: '/api/v1/models/orphan/events?type=drift.report_failed' })).json().items).toHaveLength(2);
    });
  });
}

describe('a drift job that gives up (inline queue, retries run without their backoff)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  it('marks the report failed with reason job_failed, records the event and counts it, once', async () => {
    await setUp(t, 'broken', [{}], 200);
    await post(t, '/models/broken/versions/1/reference', { rows: makeRows(8, 1000, 0) });
    const metricsKey = await t.keyWith('metrics');
    const scrape = async () => parseExposition((await t.call({ method: 'GET', url: '/metrics', token: metricsKey })).body).samples;
    const before = await scrape();
    // The window's first batch is damaged in the database before its last batch completes the
    // window: every attempt of the drift job fails decoding it, and the queue gives up.
    await post(t, '/models/broken/samples', { version: 1, rows: makeRows(9, 100, 0) });
    const other = await otherConnection(t);
    await other.exec(`update sample_batches set payload = ${TEST_DIALECT === 'postgres' ? "decode('00', 'hex')" : "x'00'"}`);
    await other.close();
    await post(t, '/models/broken/samples', { version: 1, rows: makeRows(10, 100, 0) });
    await (t.container.queue as InlineQueue).drain();

    const [report] = await finishedReports(t, 'broken', 1);
    expect(report).toMatchObject({ status: 'failed', failureReason: 'job_failed', referenceVersion: null });
    expect(report!.error).toMatch(/truncated/);
    const events = (await t.call({ method: 'GET', url: '/api/v1/models/broken/events?type=drift.report_failed' })).json().items;
    expect(events.map((e: { data: unknown }) => e.data)).toEqual([
      { reportId: report!.id, version: 1, window: { kind: 'count', key: expect.any(String) }, reason: 'job_failed', message: report!.error },
    ]);
    const after = await scrape();
    expect(valueOf(after, 'mlcycle_drift_reports_failed_total', { model: 'broken', reason: 'job_failed' })).toBe(1);
    const attempts =
      (valueOf(after, 'mlcycle_drift_job_duration_seconds_count', { outcome: 'error' }) ?? 0) -
      (valueOf(before, 'mlcycle_drift_job_duration_seconds_count', { outcome: 'error' }) ?? 0);
    expect(attempts).toBe(5);
    expect(
      (valueOf(after, 'mlcycle_drift_job_duration_seconds_count', { outcome: 'ok' }) ?? 0) -
        (valueOf(before, 'mlcycle_drift_job_duration_seconds_count', { outcome: 'ok' }) ?? 0),
    ).toBe(0);
    const status = (await t.call({ method: 'GET', url: '/api/v1/models/broken/monitor/status' })).json();
    expect(status).toMatchObject({ state: 'stopped', reason: 'job_failed', message: report!.error, reportId: report!.id });

    // A second "gave up" for the same report (a duplicate failure callback) changes nothing.
    await t.container.reports.markFailed(report!.id, 'again');
    expect((await t.call({ method: 'GET', url: `/api/v1/drift-reports/${report!.id}` })).json().error).toBe(report!.error);
    expect((await t.call({ method: 'GET', url: '/api/v1/models/broken/events?type=drift.report_failed' })).json().items).toHaveLength(1);
    expect(valueOf(await scrape(), 'mlcycle_drift_reports_failed_total', { model: 'broken', reason: 'job_failed' })).toBe(1);
  });

  it('reads the reason of reports failed before reasons were stored from their message', async () => {
    await setUp(t, 'legacy', [{}], 50);
    await post(t, '/models/legacy/samples', { version: 1, rows: makeRows(14, 50, 0) });
    await finishedReports(t, 'legacy', 1);
    const other = await otherConnection(t);
    await other.exec('update drift_reports set failure_reason = null');
    await other.close();
    const reasons = async (model: string) => {
      const [report] = await finishedReports(t, model, 1);
      const status = (await t.call({ method: 'GET', url: `/api/v1/models/${model}/monitor/status` })).json();
      return [report!.failureReason, status.reason];
    };
    expect(await reasons('legacy')).toEqual(['no_reference', 'no_reference']);
    expect(await reasons('broken')).toEqual(['job_failed', 'job_failed']);
  });
});
