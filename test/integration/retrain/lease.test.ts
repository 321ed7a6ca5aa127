import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepRetrainOutbox } from '../../../src/retraining/processors.js';
import { promoteAndSucceed, registerVersion } from '../../../src/retraining/retrain-finish.js';
import { createRegistryRepository } from '../../../src/registry/registry.repository.js';
import { createRegistryViews } from '../../../src/registry/views.js';
import { count } from '../../helpers/db.js';
import { createRetrainTestApp, seedDriftedModel, type RetrainTestApp } from '../../helpers/retraining.js';
import { alive } from '../../helpers/processes.js';
import { until } from '../../helpers/wait.js';

const QUICK = ['python3', '-c', 'import os; o=os.environ["MLCYCLE_OUTPUT_DIR"]; open(os.path.join(o,"metrics.json"),"w").write("{\\"accuracy\\": 0.9}")'];
const past = () => new Date(Date.now() - 1_000).toISOString();
const future = () => new Date(Date.now() + 60_000).toISOString();
/** Whether the trainer's process group (a runner is "host/pgid") still exists. */
const groupAlive = (runner: string) => alive(-Number(runner.split('/')[1]));

describe('retrain job leases', () => {
  let t: RetrainTestApp;
  beforeAll(async () => {
    // The pipeline receiver listens on 127.0.0.1, which the outbound URL policy refuses unless allowed.
    t = await createRetrainTestApp({
      env: { RETRAIN_LEASE_MS: '2000', RETRAIN_HEARTBEAT_MS: '100', RETRAIN_MAX_ATTEMPTS: '2', OUTBOUND_ALLOW_PRIVATE: 'true' },
    });
  });
  afterAll(async () => t?.close());

  const retrain = (model: string) => t.call({ method: 'POST', url: `/api/v1/models/${model}/retrain`, payload: {} });
  const cancel = (id: number) => t.call({ method: 'POST', url: `/api/v1/retrain-jobs/${id}/cancel` });
  const job = async (id: number) => (await t.retraining.repo.find(id))!;
  /** What a worker elsewhere that claimed attempt `attempts` looks like in the database. */
  const heldElsewhere = (id: number, attempts: number, leaseExpiresAt: string | null) =>
    t.retraining.repo.update(id, {
      status: 'running',
      attempts,
      runner: 'elsewhere/4242',
      leaseOwner: leaseExpiresAt ? 'elsewhere/17/abcd' : null,
      leaseExpiresAt,
    });

  it('cancel works in every state: queued, running with a live runner, held elsewhere, expired, never leased, finished', async () => {
    await seedDriftedModel(t, 'cancels', { monitor: { retrain: { enabled: true, executor: { type: 'command', command: ['sleep', '300'] } } } });
    // queued → cancelled at once
    const queued = (await retrain('cancels')).json().id;
    expect((await cancel(queued)).json()).toMatchObject({ status: 'cancelled', error: 'cancelled before it started' });

    // running here → the runner kills the trainer's group and records the cancel
    const here = (await retrain('cancels')).json().id;
    const running = t.retraining.runner.runRetrainJob(here);
    const runner = (await until('the trainer', async () => (await job(here)).runner, { timeoutMs: 10_000 }))!;
    expect(groupAlive(runner), runner).toBe(true);
    expect((await cancel(here)).json()).toMatchObject({ status: 'running' });
    await running;
    expect(await job(here)).toMatchObject({ status: 'cancelled', error: 'cancelled', leaseOwner: null, leaseExpiresAt: null });
    expect(groupAlive(runner)).toBe(false);

    // running under a live lease of another host → a request for its runner; the model stays busy
    const elsewhere = (await retrain('cancels')).json().id;
    await heldElsewhere(elsewhere, 1, future());
    expect((await cancel(elsewhere)).json()).toMatchObject({ status: 'running' });
    expect((await job(elsewhere)).cancelRequestedAt).not.toBeNull();
    expect((await retrain('cancels')).json()).toMatchObject({ status: 409, code: 'RETRAIN_ACTIVE' });
    // … and when that runner dies instead, the takeover honours the request
    await t.retraining.repo.update(elsewhere, { leaseExpiresAt: past() });
    expect(await t.retraining.leases.reconcile()).toBe(1);
    expect(await job(elsewhere)).toMatchObject({ status: 'cancelled', error: 'cancelled', activeModelId: null });

    // running, lease expired (its worker gone, nothing reconciled yet) → cancelled at once, model free
    const expired = (await retrain('cancels')).json().id;
    await heldElsewhere(expired, 1, past());
    expect((await cancel(expired)).json()).toMatchObject({ status: 'cancelled', error: 'cancelled' });
    expect(await job(expired)).toMatchObject({ activeModelId: null, runner: null, leaseOwner: null });

    // running, its worker on this host dead, its trainer still alive (an orphan) → cancelled at once, orphan killed
    const orphaned = (await retrain('cancels')).json().id;
    const orphan = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    await t.retraining.repo.update(orphaned, {
      status: 'running',
      attempts: 1,
      runner: `${hostname()}/${orphan.pid}`,
      leaseOwner: `${hostname()}/${spawnSync('true').pid}/abcd`,
      leaseExpiresAt: future(),
    });
    expect((await cancel(orphaned)).json()).toMatchObject({ status: 'cancelled' });
    await new Promise((r) => (orphan.exitCode === null && orphan.signalCode === null ? orphan.once('exit', r) : r(null)));
    expect(orphan.signalCode).toBe('SIGKILL');

    // running with no lease at all (claimed by a version without leases) → nobody runs it: cancelled
    const unleased = (await retrain('cancels')).json().id;
    await heldElsewhere(unleased, 1, null);
    expect((await cancel(unleased)).json()).toMatchObject({ status: 'cancelled' });

    // finished → 409, as before
    expect((await cancel(unleased)).json()).toMatchObject({ status: 409, code: 'RETRAIN_JOB_FINISHED' });
    const next = await retrain('cancels');
    expect(next.statusCode).toBe(202);
    expect((await cancel(next.json().id)).json().status).toBe('cancelled');
  });

  it('a running job renews its lease; a run whose attempt was taken over is fenced: trainer killed, nothing recorded, stale registrations refused', async () => {
    const { modelId } = await seedDriftedModel(t, 'fenced', {
      monitor: { retrain: { enabled: true, executor: { type: 'command', command: ['sleep', '300'] } } },
    });
    const id = (await retrain('fenced')).json().id;
    const running = t.retraining.runner.runRetrainJob(id);
    const first = await until(
      'the trainer',
      async () => {
        const j = await job(id);
        return j.runner ? j : undefined;
      },
      { timeoutMs: 10_000 },
    );
    expect(first).toMatchObject({ status: 'running', attempts: 1, leaseOwner: expect.stringMatching(new RegExp(`^${hostname()}/${process.pid}/`)) });
    await until('a heartbeat', async () => (await job(id)).leaseExpiresAt! > first.leaseExpiresAt!, { timeoutMs: 10_000 });
    expect(groupAlive(first.runner!)).toBe(true);

    // Another worker took the job over (this one looked dead to it): attempt 2 is the job's now.
    await heldElsewhere(id, 2, future());
    const started = Date.now();
    await running;
    expect(Date.now() - started).toBeLessThan(2_000); // within a few heartbeats
    expect(groupAlive(first.runner!)).toBe(false);
    // The stale run recorded nothing: no failure, no cancel, the new holder's lease untouched.
    expect(await job(id)).toMatchObject({
      status: 'running',
      attempts: 2,
      leaseOwner: 'elsewhere/17/abcd',
      runner: 'elsewhere/4242',
      error: null,
      finishedAt: null,
    });
    expect(await t.retraining.repo.renewLease(id, 1, future())).toBe(false);

    // A stale attempt's outputs and completion are refused; the current attempt's are not.
    const registry = createRegistryRepository(t.container.database);
    const views = createRegistryViews(registry);
    const finish = {
      repo: t.retraining.repo,
      registry,
      views,
      versions: t.versions,
      aliases: t.aliases,
      events: t.events,
      monitoring: t.monitoring,
      now: () => new Date(),
    };
    const model = (await registry.findModel('fenced'))!;
    const base = await registry.findVersion(modelId, 1);
    expect(await registerVersion(finish, { jobId: id, attempt: 1, model, base, outputs: [], metrics: {}, reference: undefined })).toBeUndefined();
    await promoteAndSucceed(finish, { job: { ...first, attempts: 1 }, model, version: base!, evaluation: undefined, logTail: null });
    expect((await job(id)).status).toBe('running');
    expect(await count(t.container.database, `select count(*) as n from versions where model_id = ${modelId}`)).toBe(1);
    const v2 = await registerVersion(finish, { jobId: id, attempt: 2, model, base, outputs: [], metrics: {}, reference: undefined });
    expect(v2?.version).toBe(2);
    await promoteAndSucceed(finish, { job: await job(id), model, version: v2!, evaluation: undefined, logTail: null });
    expect(await job(id)).toMatchObject({ status: 'succeeded', resultVersion: 2 });
  });

  it('a redelivered job: left to a live holder elsewhere, taken over from a dead one on this host', async () => {
    await seedDriftedModel(t, 'redelivered', { monitor: { retrain: { enabled: true, executor: { type: 'command', command: QUICK } } } });
    const id = (await retrain('redelivered')).json().id;
    await heldElsewhere(id, 1, future());
    await t.retraining.runner.runRetrainJob(id, { attempt: 1, maxAttempts: 2 });
    expect(await job(id)).toMatchObject({ status: 'running', attempts: 1, leaseOwner: 'elsewhere/17/abcd' });
    // The holder was a process of this host, and it is gone: no need to wait for its lease to pass.
    const dead = spawnSync('true').pid;
    await t.retraining.repo.update(id, { leaseOwner: `${hostname()}/${dead}/abcd` });
    await t.retraining.runner.runRetrainJob(id, { attempt: 1, maxAttempts: 2 });
    expect(await job(id)).toMatchObject({ status: 'succeeded', attempts: 2, resultVersion: 2 });
  });

  it('the sweep takes over an expired lease: queued again and enqueued, then failed with the reason after the last attempt', async () => {
    await seedDriftedModel(t, 'expiring', { monitor: { retrain: { enabled: true, executor: { type: 'command', command: QUICK } } } });
    const id = (await retrain('expiring')).json().id;
    await heldElsewhere(id, 1, future());
    expect(await t.retraining.leases.reconcile()).toBe(0); // a live lease elsewhere is left alone
    // Created a while ago, as a job whose lease ran out is (the sweep leaves rows of the last 2 s to their own request).
    await t.retraining.repo.update(id, { leaseExpiresAt: past(), createdAt: new Date(Date.now() - 60_000).toISOString() });
    t.enqueued.length = 0;
    const swept = await sweepRetrainOutbox(t.retraining.jobs, t.webhooks, t.retraining.leases);
    expect(swept.leasesTaken).toBe(1);
    expect(await job(id)).toMatchObject({ status: 'queued', attempts: 1, runner: null, leaseOwner: null, leaseExpiresAt: null });
    // Its last queue job is gone from the recording queue: re-enqueued under the next generation.
    expect(t.enqueued).toContainEqual({ name: 'retrain.run', payload: { retrainJobId: id, generation: 1 } });
    const listed = (await t.call({ method: 'GET', url: '/api/v1/retrain-jobs?model=expiring&status=running' })).json();
    expect(listed.items).toEqual([]);
    const lease = (await t.call({ method: 'GET', url: '/api/v1/models/expiring/events?type=retrain.lease_expired' })).json().items;
    expect(lease[0].data).toMatchObject({ job: id, attempt: 1, holder: 'elsewhere/17/abcd', trainer: 'elsewhere/4242', outcome: 'rerun' });

    // Attempt 2 (the last, RETRAIN_MAX_ATTEMPTS=2) dies too.
    await heldElsewhere(id, 2, past());
    expect(await t.retraining.leases.reconcile()).toBe(1);
    expect((await t.call({ method: 'GET', url: `/api/v1/retrain-jobs/${id}` })).json()).toMatchObject({
      status: 'failed',
      error: 'lease expired after 2 attempts',
      attempts: 2,
    });
    expect((await retrain('expiring')).statusCode).toBe(202);
  });

  it("an external pipeline's upload and completion for an attempt that was taken over are refused", async () => {
    const seen: { attempt?: number; jobId: number }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push(JSON.parse(body).data);
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/train`;
      await seedDriftedModel(t, 'pipeline', { monitor: { retrain: { enabled: true, executor: { type: 'webhook', url, secret: 's'.repeat(32) } } } });
      const id = (await retrain('pipeline')).json().id;
      const running = t.retraining.runner.runRetrainJob(id);
      await until('the pipeline request', async () => seen.length === 1, { timeoutMs: 10_000 });
      expect(seen[0]).toMatchObject({ jobId: id, attempt: 1 });
      await heldElsewhere(id, 2, future()); // taken over: attempt 2 posts its own request elsewhere
      await running;
      const complete = (attempt?: number) =>
        t.call({ method: 'POST', url: `/api/v1/retrain-jobs/${id}/complete`, payload: { status: 'succeeded', ...(attempt ? { attempt } : {}) } });
      // Its uploads too: a stale attempt's file never lands where attempt 2's outputs are staged.
      const upload = (attempt: number) =>
        t.call({
          method: 'PUT',
          url: `/api/v1/retrain-jobs/${id}/outputs/model.json?attempt=${attempt}`,
          headers: { 'content-type': 'application/octet-stream' },
          payload: Buffer.from(`{"attempt":${attempt}}`),
        });
      expect((await upload(1)).json()).toMatchObject({ status: 409, code: 'RETRAIN_ATTEMPT_STALE' });
      expect((await upload(2)).statusCode).toBe(201);
      const staged = await t.container.store.get(`artifacts/retrain-${id}/attempt-2/model.json`);
      expect(Buffer.concat(await staged.body.toArray()).toString()).toBe('{"attempt":2}');
      const stale = await complete(1);
      expect(stale.json()).toMatchObject({ status: 409, code: 'RETRAIN_ATTEMPT_STALE' });
      expect((await job(id)).completion).toBeNull();
      expect((await complete(2)).statusCode).toBe(202);
      expect((await job(id)).completion).toMatchObject({ status: 'succeeded', attempt: 2 });
    } finally {
      server.close();
    }
  });
});
