import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerVersion } from '../../src/retraining/retrain-finish.js';
import { count } from '../helpers/db.js';
import { createRetrainTestApp, seedDriftedModel, type RetrainTestApp } from '../helpers/retraining.js';

/**
 * First run (the flag file exists): starts a grandchild, records both pids, then hangs — the
 * worker is SIGKILLed meanwhile. Any later run trains "instantly".
 */
const trainer = (dir: string) => `
import os, subprocess, time, json
flag = ${JSON.stringify(join(dir, 'first-run'))}
out = os.environ["MLCYCLE_OUTPUT_DIR"]
if os.path.exists(flag):
    os.remove(flag)
    child = subprocess.Popen(["sleep", "300"])
    open(${JSON.stringify(join(dir, 'pids'))}, "w").write(f"{os.getpid()} {child.pid}")
    time.sleep(300)
json.dump({"accuracy": 0.9}, open(os.path.join(out, "metrics.json"), "w"))
open(os.path.join(out, "model.json"), "w").write("{}")
`;
import { alive } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

describe('retrain faults', () => {
  let t: RetrainTestApp;
  beforeAll(async () => {
    t = await createRetrainTestApp();
  });
  afterAll(async () => t?.close());

  it('a worker SIGKILLed mid-job leaves an orphaned trainer; the retry kills its process group and yields exactly one version', async () => {
    writeFileSync(join(t.dir, 'first-run'), '');
    await seedDriftedModel(t, 'crashy', {
      monitor: { retrain: { enabled: true, executor: { type: 'command', command: ['python3', '-c', trainer(t.dir)] }, promote: { metric: 'accuracy' } } },
    });
    const jobId = (await t.call({ method: 'POST', url: '/api/v1/models/crashy/retrain', payload: {} })).json().id;

    const worker = spawn(process.execPath, ['--import', 'tsx', 'test/faults/fixtures/retrain-worker.ts', t.dir, String(jobId)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    worker.stdout.on('data', (c) => (output += c));
    worker.stderr.on('data', (c) => (output += c));
    const pidsFile = join(t.dir, 'pids');
    let exited = false;
    worker.once('exit', () => (exited = true));
    // Generous: under a full parallel test run, tsx needs a while to load the worker.
    await until(
      'the trainer to start',
      async () => {
        if (exited) throw new Error(`the worker exited early: ${output}`);
        return existsSync(pidsFile) && Boolean((await t.retraining.repo.find(jobId))?.runner);
      },
      { timeoutMs: 90_000 },
    );
    const [trainerPid, grandchildPid] = readFileSync(pidsFile, 'utf8').split(' ').map(Number) as [number, number];
    worker.kill('SIGKILL');
    if (!exited) await new Promise((r) => worker.once('exit', r));

    // The crash left the job running and its trainer group alive: an orphan.
    expect((await t.retraining.repo.find(jobId))?.status).toBe('running');
    expect(alive(trainerPid)).toBe(true);
    expect(alive(grandchildPid)).toBe(true);

    // The queue redelivers the job (attempt 2): the orphan's group is killed before anything else.
    await t.retraining.runner.runRetrainJob(jobId, { attempt: 2, maxAttempts: 2 });
    await until('the orphaned trainer group to die', () => !alive(trainerPid) && !alive(grandchildPid), { timeoutMs: 5000 });
    const job = (await t.call({ method: 'GET', url: `/api/v1/retrain-jobs/${jobId}` })).json();
    expect(job).toMatchObject({ status: 'succeeded', attempts: 2, resultVersion: 2 });
    expect(await count(t.container.database, `select count(*) as n from versions where retrain_job_id = ${jobId}`)).toBe(1);
  }, 150_000);

  it('a job cancelled while its worker was dead is cancelled at once and not trained again by the retry', async () => {
    await seedDriftedModel(t, 'deadcancel', {
      monitor: { retrain: { enabled: true, executor: { type: 'command', command: ['python3', '-c', 'raise SystemExit("must not run")'] } } },
    });
    const jobId = (await t.call({ method: 'POST', url: '/api/v1/models/deadcancel/retrain', payload: {} })).json().id;
    const past = new Date(Date.now() - 1000).toISOString();
    await t.retraining.repo.update(jobId, {
      status: 'running',
      attempts: 1,
      runner: 'another-host/4242',
      leaseOwner: 'another-host/17/x',
      leaseExpiresAt: past,
    });
    expect((await t.call({ method: 'POST', url: `/api/v1/retrain-jobs/${jobId}/cancel` })).json()).toMatchObject({ status: 'cancelled', error: 'cancelled' });
    await t.retraining.runner.runRetrainJob(jobId, { attempt: 2, maxAttempts: 2 });
    expect((await t.call({ method: 'GET', url: `/api/v1/retrain-jobs/${jobId}` })).json()).toMatchObject({
      status: 'cancelled',
      error: 'cancelled',
      attempts: 1,
      logTail: null,
    });
    expect((await t.call({ method: 'POST', url: '/api/v1/models/deadcancel/retrain', payload: {} })).statusCode).toBe(202);
  });

  it('a crash after the version was registered: the rerun finds it, adds none, and finishes (promotion included)', async () => {
    const { modelId } = await seedDriftedModel(t, 'halfway', {
      v1Accuracy: 0.1,
      monitor: { retrain: { enabled: true, executor: { type: 'command', command: ['false'] }, promote: { metric: 'accuracy' } } },
    });
    const jobId = (await t.call({ method: 'POST', url: '/api/v1/models/halfway/retrain', payload: {} })).json().id;
    // What a run did before dying: claimed the job and committed the version (its artifacts were uploaded first).
    await t.retraining.repo.update(jobId, { status: 'running', attempts: 1 });
    const model = (await t.container.database.db().select().from(t.container.database.tables.models)).find((m) => m.id === modelId)!;
    const registry = (await import('../../src/registry/registry.repository.js')).createRegistryRepository(t.container.database);
    const views = (await import('../../src/registry/views.js')).createRegistryViews(registry);
    const put = await t.container.store.put(`artifacts/retrain-${jobId}/model.json`, (await import('node:stream')).Readable.from([Buffer.from('{}')]));
    // …and, before that, the export's holdout (labels kept by mlcycle) and the trainer's holdout predictions.
    const { Readable } = await import('node:stream');
    const ids = Array.from({ length: 40 }, (_, i) => `s${i}`);
    const truth = { ids, labels: ids.map(() => '1'), champion: ids.map(() => '0') };
    await t.container.store.put(`evaluations/halfway/${jobId}/holdout-truth.json`, Readable.from([Buffer.from(JSON.stringify(truth))]));
    const csv = Buffer.from(`sample_id,prediction\n${ids.map((id) => `${id},1`).join('\n')}\n`);
    const predictions = await t.container.store.put(`artifacts/retrain-${jobId}/holdout-predictions.csv`, Readable.from([csv]));
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
    const base = await registry.findVersion(modelId, 1);
    const v = await registerVersion(finish, {
      jobId,
      model,
      base,
      outputs: [
        { path: 'holdout-predictions.csv', storageKey: `artifacts/retrain-${jobId}/holdout-predictions.csv`, contentType: 'text/csv', ...predictions },
        { path: 'model.json', storageKey: `artifacts/retrain-${jobId}/model.json`, contentType: 'application/json', ...put },
      ],
      metrics: { accuracy: 0.8 },
      reference: undefined,
    });
    expect(v?.version).toBe(2);
    // Registering again (a racing rerun) returns the same version.
    expect((await registerVersion(finish, { jobId, model, base, outputs: [], metrics: {}, reference: undefined }))?.id).toBe(v!.id);

    // The rerun: the executor ('false') would fail if it ran; it must not run at all.
    await t.retraining.runner.runRetrainJob(jobId, { attempt: 2, maxAttempts: 2 });
    expect((await t.call({ method: 'GET', url: `/api/v1/retrain-jobs/${jobId}` })).json()).toMatchObject({ status: 'succeeded', resultVersion: 2 });
    expect((await t.call({ method: 'GET', url: '/api/v1/models/halfway' })).json()).toMatchObject({ latestVersion: 2, aliases: { production: 2 } });
    expect((await t.call({ method: 'GET', url: '/api/v1/models/halfway/versions/2/artifacts' })).json().items.map((a: { path: string }) => a.path)).toEqual([
      'holdout-predictions.csv',
      'model.json',
    ]);
    expect(await count(t.container.database, `select count(*) as n from versions where model_id = ${modelId}`)).toBe(2);
  });
});
