import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InlineQueue } from '../../../src/queue/index.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { createRng } from '../../helpers/random.js';

/**
 * Issue 18, "done when": the version an MLflow client registered is monitored and retrained like
 * any other, and the MLflow client sees the retrained version and the moved alias.
 */
const LOGREG = resolve('examples/trainers/logreg.py');
const WINDOW = 400;

function phase(seed: number, n: number, mu: number, servedMu: number, prefix: string) {
  const rng = createRng(seed);
  const x = Array.from({ length: n }, () => rng.normal(mu, 1));
  return {
    rows: x.map((v) => ({ x: v })),
    ids: x.map((_, i) => `${prefix}-${i}`),
    labels: x.map((v) => (v > mu ? 1 : 0)),
    predictions: x.map((v) => (v > servedMu ? 1 : 0)),
  };
}

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const mlflow = (method: 'GET' | 'POST', path: string, payload?: Record<string, unknown>) =>
  method === 'GET'
    ? t.call({ method, url: `/api/2.0/mlflow/${path}?${new URLSearchParams(payload as Record<string, string>)}` })
    : t.call({ method, url: `/api/2.0/mlflow/${path}`, payload: payload ?? {} });

describe('an MLflow-registered model in the retrain loop', () => {
  it('drifts, is retrained from its MLflow version and promoted; MLflow reads version 2 under @production', async () => {
    const run = (await mlflow('POST', 'runs/create', { experiment_id: '0', run_name: 'v1' })).json().run.info.run_id;
    await mlflow('POST', 'runs/log-metric', { run_id: run, key: 'accuracy', value: 0.99, timestamp: Date.now(), step: 0 });
    expect((await mlflow('POST', 'registered-models/create', { name: 'mloop' })).statusCode).toBe(200);
    const v1 = await mlflow('POST', 'model-versions/create', { name: 'mloop', source: `runs:/${run}/model`, run_id: run });
    expect(v1.json().model_version.version).toBe('1');
    expect((await mlflow('POST', 'registered-models/alias', { name: 'mloop', alias: 'production', version: '1' })).json()).toEqual({});

    // Natively: reference (declares the features), the monitor and its retrain policy.
    const reference = phase(1, 2000, 0, 0, 'ref');
    expect((await t.call({ method: 'POST', url: '/api/v1/models/mloop/versions/1/reference', payload: { rows: reference.rows } })).statusCode).toBe(200);
    const monitor = {
      window: { size: WINDOW },
      retrain: {
        on: ['datasetDrift'],
        cooldown: 'PT0.001S',
        executor: { type: 'command', command: ['python3', LOGREG], timeoutSeconds: 120 },
        promote: { alias: 'production', metric: 'accuracy' },
      },
    };
    const put = await t.call({ method: 'PUT', url: '/api/v1/models/mloop/monitor', payload: monitor });
    expect(put.statusCode, put.body).toBe(200);

    const posted = await t.call({ method: 'POST', url: '/api/v1/models/mloop/samples', payload: phase(11, WINDOW, 3, 0, 'p1') });
    expect(posted.json(), posted.body).toMatchObject({ accepted: WINDOW, version: 1, windowsCompleted: 1 });
    let job: Record<string, unknown> | undefined;
    for (let i = 0; i < 1200; i++) {
      await (t.container.queue as InlineQueue).idle();
      job = (await t.call({ method: 'GET', url: '/api/v1/retrain-jobs?model=mloop' })).json().items[0];
      if (job && ['succeeded', 'failed', 'cancelled'].includes(job.status as string)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(job, JSON.stringify(job)).toMatchObject({ status: 'succeeded', baseVersion: 1, resultVersion: 2 });

    // The MLflow client's view: a second version, and the alias moved to it.
    const byAlias = (await mlflow('GET', 'registered-models/alias', { name: 'mloop', alias: 'production' })).json().model_version;
    expect(byAlias).toMatchObject({ name: 'mloop', version: '2', status: 'READY', aliases: ['production'] });
    const versions = (await mlflow('GET', 'model-versions/search', { filter: "name='mloop'" })).json().model_versions;
    expect(versions.map((v: { version: string }) => v.version).sort()).toEqual(['1', '2']);
    const native = (await t.call({ method: 'GET', url: '/api/v1/models/mloop/versions/2' })).json();
    expect(native).toMatchObject({ parentVersion: 1, features: [{ name: 'x', type: 'numeric' }] });
  });
});
