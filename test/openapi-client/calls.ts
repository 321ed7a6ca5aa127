/**
 * One typed call of every operation, written as a client would, against types generated from
 * openapi/openapi.json by openapi-typescript (schema.d.ts, written next to a copy of this file by test/integration/openapi.test.ts).
 * That test type-checks this file: a wrong document (a required `limit`, a body typed as JSON,
 * a path parameter named `*`) breaks the compile. Never run; kept out of the main tsconfig.
 */
import createClient from 'openapi-fetch';
import type { components, paths } from './schema.js';

/** The named schemas a client builds on (components in the document, types here). */
type Model = components['schemas']['Model'];
type Version = components['schemas']['Version'];
type DriftReport = components['schemas']['DriftReport'];
type RetrainJob = components['schemas']['RetrainJob'];
type RetrainConfig = components['schemas']['RetrainConfig'];

const client = createClient<paths>({ baseUrl: 'http://localhost:8080', headers: { authorization: 'Bearer token' } });
const name = { name: 'churn' };
const version = { name: 'churn', version: 1 };
const bytes = new Uint8Array([1, 2, 3]);

/** Defaulted policy fields are optional: only the executor must be sent. */
export const minimalPolicy: RetrainConfig = { executor: { type: 'command', command: ['python3', 'train.py'] } };

export function named(version: Version, report: DriftReport, job: RetrainJob): [number, boolean | null, number | null] {
  return [version.version, report.datasetDrift, job.resultVersion];
}

export async function calls(): Promise<void> {
  const health = await client.GET('/healthz');
  const ok: 'ok' | undefined = health.data?.status;
  await client.GET('/readyz');
  await client.GET('/metrics', { parseAs: 'text' });

  await client.POST('/api/v1/api-keys', { body: { name: 'ci', scopes: ['read'] } });
  await client.GET('/api/v1/api-keys');
  await client.DELETE('/api/v1/api-keys/{id}', { params: { path: { id: 'k' } } });

  const created = await client.POST('/api/v1/models', { body: { name: 'churn', tags: { team: 'growth' } } });
  if (created.error) {
    const code: string = created.error.code;
    void code;
  }
  const page = await client.GET('/api/v1/models', { params: { query: { q: 'churn' } } });
  const next: string | null | undefined = page.data?.nextCursor;
  const model: Model | undefined = (await client.GET('/api/v1/models/{name}', { params: { path: name } })).data;
  const latest: number | null | undefined = model?.latestVersion;
  void latest;
  // Problem codes are typed per status: a 404 of this operation can only be MODEL_NOT_FOUND.
  const missing = await client.GET('/api/v1/models/{name}', { params: { path: name } });
  if (missing.response.status === 404 && missing.error) {
    const code: string = missing.error.code;
    void code;
  }
  await client.PATCH('/api/v1/models/{name}', { params: { path: name }, body: { description: null } });
  await client.DELETE('/api/v1/models/{name}', { params: { path: name } });
  await client.GET('/api/v1/models/{name}/events', { params: { path: name, query: { type: 'alias.moved' } } });
  await client.GET('/api/v1/events', { params: { query: { model: 'churn', includeDeleted: true } } });

  const v = await client.POST('/api/v1/models/{name}/versions', {
    params: { path: name },
    body: { features: [{ name: 'age', type: 'numeric' }], params: { lr: 0.1, balanced: true, optimizer: 'adam' } },
  });
  const lr: string | number | boolean | undefined = v.data?.params.lr;
  await client.GET('/api/v1/models/{name}/versions', { params: { path: name } });
  await client.GET('/api/v1/models/{name}/versions/{version}', { params: { path: version } });
  await client.PATCH('/api/v1/models/{name}/versions/{version}', { params: { path: version }, body: { tags: { stage: 'prod' } } });
  await client.POST('/api/v1/models/{name}/versions/{version}/metrics', { params: { path: version }, body: { metrics: [{ key: 'auc', value: 0.9 }] } });
  await client.GET('/api/v1/models/{name}/versions/{version}/metrics', { params: { path: version, query: { key: 'auc' } } });

  await client.PUT('/api/v1/models/{name}/aliases/{alias}', { params: { path: { ...name, alias: 'prod' } }, body: { version: 1 } });
  await client.GET('/api/v1/models/{name}/aliases/{alias}', { params: { path: { ...name, alias: 'prod' } } });
  await client.DELETE('/api/v1/models/{name}/aliases/{alias}', { params: { path: { ...name, alias: 'prod' } } });

  const path = { ...version, path: 'model/weights.bin' };
  await client.PUT('/api/v1/models/{name}/versions/{version}/artifacts/{path}', {
    params: { path },
    body: bytes as unknown as string,
    bodySerializer: (body) => body as unknown as BodyInit,
    headers: { 'content-type': 'application/octet-stream' },
  });
  await client.GET('/api/v1/models/{name}/versions/{version}/artifacts/{path}', { params: { path }, parseAs: 'arrayBuffer' });
  await client.GET('/api/v1/models/{name}/versions/{version}/artifacts', { params: { path: version } });

  // monitoring: raw bodies (JSON, CSV or Arrow) are posted as bytes
  const raw = { body: bytes as unknown as string, bodySerializer: (body: unknown) => body as BodyInit };
  await client.POST('/api/v1/models/{name}/versions/{version}/reference', { params: { path: version }, ...raw, headers: { 'content-type': 'text/csv' } });
  await client.GET('/api/v1/models/{name}/versions/{version}/reference', { params: { path: version } });
  await client.DELETE('/api/v1/models/{name}/versions/{version}/reference', { params: { path: version } });
  const accepted = await client.POST('/api/v1/models/{name}/samples', {
    params: { path: name, query: { alias: 'production' } },
    ...raw,
    headers: { 'content-type': 'application/vnd.apache.arrow.stream' },
  });
  const windows: number | undefined = accepted.data?.windowsCompleted;
  await client.POST('/api/v1/models/{name}/labels', { params: { path: name }, body: { items: [{ id: 'r1', label: 'yes' }] } });
  await client.PUT('/api/v1/models/{name}/monitor', { params: { path: name }, body: { window: { size: 1000 }, minSamples: 30 } });
  await client.GET('/api/v1/models/{name}/monitor', { params: { path: name } });
  const status = await client.GET('/api/v1/models/{name}/monitor/status', { params: { path: name } });
  const state: 'ok' | 'stopped' | 'idle' | undefined = status.data?.state;
  const reason: 'no_reference' | 'job_failed' | null | undefined = status.data?.reason;
  await client.POST('/api/v1/models/{name}/drift-reports', { params: { path: name }, body: { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' } });
  const reports = await client.GET('/api/v1/models/{name}/drift-reports', { params: { path: name, query: { drifted: true } } });
  const drifted: boolean | null | undefined = reports.data?.items[0]?.datasetDrift;
  const referenceVersion: number | null | undefined = reports.data?.items[0]?.referenceVersion;
  await client.GET('/api/v1/drift-reports/{id}', { params: { path: { id: 1 } } });
  const timeline = await client.GET('/api/v1/models/{name}/drift/timeline', { params: { path: name, query: { feature: 'age' } } });
  const reasons: string[] | undefined = timeline.data?.points[0]?.features[0]?.reasons;
  const summaries = await client.GET('/api/v1/model-summaries', { params: { query: { limit: 50 } } });
  const summaryHealth: 'healthy' | 'stale' | 'failing' | 'no_reference' | 'idle' | undefined = summaries.data?.items[0]?.health.state;
  const since: string | null | undefined = (await client.GET('/api/v1/models/{name}/summary', { params: { path: name } })).data?.drift?.driftingSince;
  void reasons;
  void summaryHealth;
  void since;
  void windows;
  void drifted;
  void state;
  void reason;
  void referenceVersion;

  // retraining and webhooks
  await client.POST('/api/v1/models/{name}/retrain', { params: { path: name }, body: {} });
  const jobs = await client.GET('/api/v1/retrain-jobs', { params: { query: { model: 'churn', status: 'running' } } });
  const jobStatus: string | undefined = jobs.data?.items[0]?.status;
  await client.GET('/api/v1/retrain-jobs/{id}', { params: { path: { id: 1 } } });
  await client.POST('/api/v1/retrain-jobs/{id}/cancel', { params: { path: { id: 1 } } });
  await client.PUT('/api/v1/retrain-jobs/{id}/outputs/{path}', {
    params: { path: { id: 1, path: 'model.json' } },
    body: bytes as unknown as string,
    bodySerializer: (body) => body as unknown as BodyInit,
    headers: { 'content-type': 'application/octet-stream' },
  });
  await client.POST('/api/v1/retrain-jobs/{id}/complete', { params: { path: { id: 1 } }, body: { status: 'succeeded', metrics: { accuracy: 0.93 } } });
  await client.GET('/api/v1/models/{name}/versions/{version}/lineage', { params: { path: version } });
  const hook = await client.POST('/api/v1/webhooks', { body: { url: 'https://ci.example/hooks/mlcycle', events: ['retrain.succeeded'] } });
  const secret: string | undefined = hook.data?.secret;
  await client.GET('/api/v1/webhooks');
  await client.DELETE('/api/v1/webhooks/{id}', { params: { path: { id: 1 } } });
  await client.GET('/api/v1/webhooks/{id}/deliveries', { params: { path: { id: 1 } } });
  await client.POST('/api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver', { params: { path: { id: 1, deliveryId: 2 } } });
  void jobStatus;
  void secret;
  void [ok, next, lr];
}
