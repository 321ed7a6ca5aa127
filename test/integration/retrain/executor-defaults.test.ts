import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRetrainTestApp, type RetrainTestApp } from '../../helpers/retraining.js';

/** `executor.timeoutSeconds` declares a default (3600): leaving it out is accepted and the default is what runs. */
describe('retrain executor defaults', () => {
  let t: RetrainTestApp;
  beforeAll(async () => {
    t = await createRetrainTestApp();
    await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'defaults' } });
    await t.call({ method: 'POST', url: '/api/v1/models/defaults/versions', payload: { features: [{ name: 'x', type: 'numeric' }] } });
  });
  afterAll(async () => t?.close());

  it('PUT /monitor without timeoutSeconds is accepted, for both executors, and stores the default', async () => {
    for (const executor of [
      { type: 'command', command: ['python3', 'train.py'] },
      { type: 'webhook', url: 'https://ci.example.com/hook', secret: 'x'.repeat(32) },
    ]) {
      const res = await t.call({ method: 'PUT', url: '/api/v1/models/defaults/monitor', payload: { retrain: { executor } } });
      expect(res.statusCode, res.body).toBe(200);
      const stored = (await t.call({ method: 'GET', url: '/api/v1/models/defaults/monitor' })).json();
      expect(stored.config.retrain.executor).toMatchObject({ type: executor.type, timeoutSeconds: 3600 });
    }
    // A bad value is still refused, naming the field.
    const bad = await t.call({
      method: 'PUT',
      url: '/api/v1/models/defaults/monitor',
      payload: { retrain: { executor: { type: 'command', command: ['x'], timeoutSeconds: 0 } } },
    });
    expect(bad.statusCode).toBe(400);
    expect(JSON.stringify(bad.json().errors)).toContain('timeoutSeconds');
  });

  it('POST /retrain with an executor without timeoutSeconds is accepted and the job carries the default', async () => {
    const res = await t.call({ method: 'POST', url: '/api/v1/models/defaults/retrain', payload: { executor: { type: 'command', command: ['true'] } } });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json().executor).toEqual({ type: 'command', command: ['true'], timeoutSeconds: 3600 });
  });
});
