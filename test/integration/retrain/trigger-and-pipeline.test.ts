import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../../src/events/webhook-signing.js';
import { count } from '../../helpers/db.js';
import { createRetrainTestApp, drifted, LOGREG, seedDriftedModel, type RetrainTestApp } from '../../helpers/retraining.js';

describe('retrain trigger under load, and the webhook (external pipeline) executor', () => {
  let t: RetrainTestApp;
  let server: Server | undefined;
  beforeAll(async () => {
    // The receiver listens on 127.0.0.1, which the outbound URL policy refuses unless allowed.
    t = await createRetrainTestApp({ env: { OUTBOUND_ALLOW_PRIVATE: 'true' } });
  });
  afterAll(async () => {
    server?.close();
    await t?.close();
  });

  it('the webhook executor: a signed request to the pipeline, which uploads outputs and calls back; the version is registered from them', async () => {
    const secret = 'pipeline-secret-0123456789';
    const seen: { verified: boolean; data: { jobId: number; datasets: string[]; callbackUrl: string; uploadUrl: string } }[] = [];
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        const payload = JSON.parse(body);
        seen.push({ verified: verifySignature(secret, req.headers as Record<string, string>, body), data: payload.data });
        res.writeHead(202).end();
        // The "CI job": train elsewhere, upload the outputs (model and holdout predictions), report back.
        void (async () => {
          const id = payload.data.jobId;
          const holdoutKey = (payload.data.datasets as string[]).find((d) => d.endsWith('/holdout.csv'))!;
          const chunks: Buffer[] = [];
          for await (const c of (await t.container.store.get(holdoutKey)).body) chunks.push(c as Buffer);
          const ids = Buffer.concat(chunks)
            .toString()
            .trim()
            .split('\n')
            .slice(1)
            .map((l) => l.split(',')[0]);
          // A poor model: always 0.
          await t.call({
            method: 'PUT',
            url: `/api/v1/retrain-jobs/${id}/outputs/holdout-predictions.csv`,
            payload: Buffer.from(`sample_id,prediction\n${ids.map((i) => `${i},0`).join('\n')}\n`),
            headers: { 'content-type': 'text/csv' },
          });
          await t.call({
            method: 'PUT',
            url: `/api/v1/retrain-jobs/${id}/outputs/model/weights.bin`,
            payload: Buffer.from([1, 2, 3]),
            headers: { 'content-type': 'application/octet-stream' },
          });
          await t.call({
            method: 'POST',
            url: `/api/v1/retrain-jobs/${id}/complete`,
            payload: {
              status: 'succeeded',
              metrics: { accuracy: 0.93 },
              task: { type: 'classification', positive: 1 },
              artifacts: [{ path: 'model/weights.bin' }, { path: 'holdout-predictions.csv' }],
            },
          });
        })();
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/train`;
    await seedDriftedModel(t, 'external', {
      v1Accuracy: 0.9,
      monitor: {
        retrain: { enabled: true, executor: { type: 'webhook', url, secret, timeoutSeconds: 30 }, promote: { metric: 'accuracy', minImprovement: 0.05 } },
      },
    });
    const job = (await t.call({ method: 'POST', url: '/api/v1/models/external/retrain', payload: {} })).json();
    expect(job.executor).toMatchObject({ type: 'webhook', secret: '***' }); // never echoed
    // Completion before the job runs is refused: nobody is waiting for it.
    expect((await t.call({ method: 'POST', url: `/api/v1/retrain-jobs/${job.id}/complete`, payload: { status: 'succeeded' } })).json().code).toBe(
      'RETRAIN_JOB_NOT_EXTERNAL',
    );
    await t.retraining.runner.runRetrainJob(job.id);

    expect(seen).toHaveLength(1);
    expect(seen[0]!.verified).toBe(true);
    expect(seen[0]!.data).toMatchObject({ jobId: job.id, callbackUrl: `http://mlcycle.test/api/v1/retrain-jobs/${job.id}/complete` });
    expect(seen[0]!.data.datasets).toEqual(['train.csv', 'holdout.csv', 'manifest.json'].map((f) => `datasets/external/${job.id}/${f}`));
    expect((await t.call({ method: 'GET', url: `/api/v1/retrain-jobs/${job.id}` })).json()).toMatchObject({ status: 'succeeded', resultVersion: 2 });
    const artifacts = (await t.call({ method: 'GET', url: '/api/v1/models/external/versions/2/artifacts' })).json().items;
    expect(artifacts.map((a: { path: string }) => a.path)).toEqual(['holdout-predictions.csv', 'model/weights.bin']);
    const bytes = await t.call({ method: 'GET', url: '/api/v1/models/external/versions/2/artifacts/model/weights.bin' });
    expect([...bytes.rawPayload]).toEqual([1, 2, 3]);
    // The pipeline claims 0.93 in its metrics; mlcycle scores its holdout predictions itself: challenger.
    expect((await t.call({ method: 'GET', url: '/api/v1/models/external' })).json().aliases).toEqual({ production: 1, challenger: 2 });
    const evaluation = (await t.call({ method: 'GET', url: `/api/v1/retrain-jobs/${job.id}` })).json().evaluation;
    expect(evaluation).toMatchObject({ metric: 'accuracy', decision: 'challenger', championVersion: 1 });
    expect(evaluation.rows).toBeGreaterThan(20);
    expect(evaluation.challenger).toBeLessThan(evaluation.champion);
    const v2 = (await t.call({ method: 'GET', url: '/api/v1/models/external/versions/2' })).json();
    expect(v2.metrics.accuracy).toBe(0.93); // the claim, recorded
    expect(v2.task).toEqual({ type: 'classification', positive: 1 }); // the pipeline's declared task
    expect((await t.call({ method: 'GET', url: '/api/v1/models/external/versions/1' })).json().task).toBeNull();
  });

  it('reads the verdicts from the stored reports: consecutive windows counted, the last trainingWindows windows exported', async () => {
    const monitor = (n: number) => ({
      retrain: { enabled: true, consecutiveWindows: n, trainingWindows: 2, executor: { type: 'command', command: ['python3', LOGREG] } },
    });
    const { modelId, reportIds } = await seedDriftedModel(t, 'windows', { monitor: monitor(3), windows: 2 });
    expect(await t.retraining.jobs.onReportCompleted(modelId)).toEqual({ action: 'skip', reason: '2 of 3 consecutive drifted windows' });
    await t.container.database.transaction(() => t.monitoring.putMonitorConfig(modelId, monitor(2), new Date().toISOString()));
    const decision = await t.retraining.jobs.onReportCompleted(modelId);
    expect(decision).toMatchObject({ action: 'retrain', triggerReportId: reportIds[1] });
    const jobId = (decision as { jobId: number }).jobId;
    await t.retraining.runner.runRetrainJob(jobId);
    const chunks: Buffer[] = [];
    for await (const c of (await t.container.store.get(`datasets/windows/${jobId}/manifest.json`)).body) chunks.push(c as Buffer);
    const manifest = JSON.parse(Buffer.concat(chunks).toString());
    expect(manifest.windows).toEqual(reportIds);
    expect(manifest.files.map((f: { path: string }) => f.path)).toEqual(['train.csv', 'holdout.csv']);
    expect(manifest.files[0].rows + manifest.files[1].rows).toBe(600);
    const skipped = (await t.call({ method: 'GET', url: '/api/v1/models/windows/events?type=retrain.skipped' })).json().items;
    expect(skipped[0].data).toEqual({ reason: '2 of 3 consecutive drifted windows', reportId: reportIds[1] });
  });

  it('1 000 drifted reports for one model, concurrently, within the cooldown: exactly one retrain job', async () => {
    const { modelId, reportIds } = await seedDriftedModel(t, 'flood', {
      monitor: { retrain: { enabled: true, executor: { type: 'command', command: ['true'] } } },
    });
    t.enqueued.length = 0;
    // 20 rounds of 50 racing calls: as many as a fleet of drift workers would run at once (more
    // would only queue on the PostgreSQL pool).
    const decisions = [];
    for (let round = 0; round < 20; round++) {
      decisions.push(...(await Promise.all(Array.from({ length: 50 }, () => t.retraining.jobs.onReportCompleted(modelId, [drifted(reportIds[0]!)])))));
    }
    expect(decisions.filter((d) => d.action === 'retrain')).toHaveLength(1);
    expect(await count(t.container.database, `select count(*) as n from retrain_jobs where model_id = ${modelId}`)).toBe(1);
    expect(await count(t.container.database, `select count(*) as n from events where model_id = ${modelId} and type = 'retrain.skipped'`)).toBe(999);
    expect(t.enqueued.filter((e) => e.name === 'retrain.run')).toHaveLength(1);
  });
});
