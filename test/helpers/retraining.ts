import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import type { ArtifactStore } from '../../src/artifacts/artifact-store.js';
import { loadConfig } from '../../src/config.js';
import { createContainer, type Container, type ContainerOverrides } from '../../src/container.js';
import type { ResolveHost } from '../../src/events/outbound.js';
import { encodeBatch } from '../../src/monitoring/batch-codec.js';
import { createMonitoringRepository } from '../../src/monitoring/monitoring.repository.js';
import type { JobName, JobPayload } from '../../src/queue/jobs.js';
import { createInlineQueue } from '../../src/queue/inline-queue.js';
import { createScratchDatabase } from './db.js';
import { ADMIN_TOKEN } from './app.js';

export const LOGREG = resolve('examples/trainers/logreg.py');

/**
 * A real app on a real database with the retraining module as the container wires it. By default
 * the queue only records what was enqueued (tests run jobs by hand, step by step); pass a real
 * queue (BullMQ) to have it carry the jobs, with the processors the test registers.
 */
export async function createRetrainTestApp(
  options: {
    store?: ArtifactStore;
    pollMs?: number;
    fetch?: typeof fetch;
    queue?: ContainerOverrides['queue'];
    env?: Record<string, string>;
    resolveHost?: ResolveHost;
  } = {},
) {
  const dir = join(process.cwd(), '.tmp', 'test', randomUUID());
  mkdirSync(dir, { recursive: true });
  const scratch = await createScratchDatabase();
  // Load shedding off (as in the other fault tests): these tests run trainers and racing
  // transactions in-process on a shared machine, and a shed request is not what they test.
  const config = loadConfig({
    DATA_DIR: dir,
    ADMIN_TOKEN,
    OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
    PUBLIC_URL: 'http://mlcycle.test',
    ...scratch.env,
    ...options.env,
  });
  const enqueued: { name: JobName; payload: unknown }[] = [];
  const recorder = createInlineQueue({ deploymentId: 'test' });
  const queue: ContainerOverrides['queue'] = options.queue ?? {
    ...recorder,
    enqueue: async <N extends JobName>(name: N, payload: JobPayload<N>) => (
      enqueued.push({ name, payload }), { jobId: `${name}-${JSON.stringify(payload)}`, deduplicated: false }
    ),
  };
  const container: Container = await createContainer(config, {
    queue,
    retrainPollMs: options.pollMs ?? 50,
    ...(options.store ? { store: options.store } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.resolveHost ? { resolveHost: options.resolveHost } : {}),
  });
  await container.apiKeys.bootstrapAdmin(config.adminToken);
  const app: FastifyInstance = await buildApp(container);
  await app.ready();
  const call = ({ token, headers, ...rest }: InjectOptions & { token?: string | null }): Promise<LightMyRequestResponse> =>
    app.inject({ ...rest, headers: { ...(token === null ? {} : { authorization: `Bearer ${token ?? ADMIN_TOKEN}` }), ...headers } });
  const monitoring = createMonitoringRepository(container.database);
  const { retraining, webhooks, events, versions, aliases } = container;
  return {
    app,
    container,
    retraining,
    webhooks,
    events,
    versions,
    aliases,
    enqueued,
    call,
    dir,
    monitoring,
    databaseUrl: scratch.url,
    async close() {
      await app.close();
      await container.close();
      await scratch.drop();
    },
  };
}
export type RetrainTestApp = Awaited<ReturnType<typeof createRetrainTestApp>>;

/** Deterministic LCG so windows are reproducible. */
export function rng(seed: number) {
  let s = seed;
  return () => (s = (s * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
}

/**
 * A model with v1 (features x1, x2 numeric, color categorical, accuracy `v1Accuracy`, alias
 * production), the given monitor config, and one drifted count window [0, n) of labelled samples
 * with the predictions serving code posted (right for `championRight` of them, default 0.6) and
 * its completed drift report. Returns ids.
 */
export async function seedDriftedModel(
  t: RetrainTestApp,
  name: string,
  opts: { v1Accuracy?: number; monitor: Record<string, unknown>; n?: number; windows?: number; championRight?: number },
) {
  const n = opts.n ?? 300;
  const created = await t.call({ method: 'POST', url: '/api/v1/models', payload: { name } });
  if (created.statusCode !== 201) throw new Error(created.body);
  const v1 = await t.call({
    method: 'POST',
    url: `/api/v1/models/${name}/versions`,
    payload: {
      features: [
        { name: 'x1', type: 'numeric' },
        { name: 'x2', type: 'numeric' },
        { name: 'color', type: 'categorical' },
      ],
      metrics: { accuracy: opts.v1Accuracy ?? 0.5 },
    },
  });
  if (v1.statusCode !== 201) throw new Error(v1.body);
  await t.call({ method: 'PUT', url: `/api/v1/models/${name}/aliases/production`, payload: { version: 1 } });
  const { models, versions } = t.container.database.tables;
  const [model] = await t.container.database.db().select().from(models).where(eq(models.name, name));
  const [version] = await t.container.database
    .db()
    .select()
    .from(versions)
    .where(and(eq(versions.modelId, model!.id), eq(versions.version, 1)));
  if (!model || !version) throw new Error('seed: model or version missing');
  const reportIds: number[] = [];
  const r = rng(7);
  const at = new Date().toISOString();
  await t.container.database.transaction(async () => {
    await t.monitoring.putMonitorConfig(model.id, opts.monitor, at);
    for (let w = 0; w < (opts.windows ?? 1); w++) {
      const x1 = new Float64Array(n),
        x2 = new Float64Array(n);
      const color: string[] = [],
        ids: string[] = [],
        labels: number[] = [];
      for (let i = 0; i < n; i++) {
        x1[i] = r() * 2 - 1 + 0.5; // shifted: the drift
        x2[i] = r() * 2 - 1;
        color.push(r() < 0.5 ? 'red' : 'blue');
        ids.push(`w${w}-s${i}`);
        // Half the labels come with the batch, the other half as delayed labels.
        labels.push(2 * x1[i]! - x2[i]! + (color[i] === 'red' ? 1 : 0) > 0.8 ? 1 : 0);
      }
      const withBatch = labels.map((l, i) => (i % 2 === 0 ? l : null));
      // What serving code predicted (the champion): right for a `championRight` share of the rows.
      const predictions = labels.map((l) => (r() < (opts.championRight ?? 0.6) ? l : 1 - l));
      const payload = encodeBatch({
        rowCount: n,
        columns: new Map([
          ['x1', { kind: 'numeric', values: x1 }],
          ['x2', { kind: 'numeric', values: x2 }],
          ['color', { kind: 'categorical', values: color }],
        ]),
        ids,
        labels: withBatch,
        predictions,
      });
      const batchId = await t.monitoring.insertBatch({
        modelId: model.id,
        versionId: version.id,
        batchKey: `b${w}`,
        requestHash: `h${w}`,
        seqStart: w * n,
        rowCount: n,
        observedAt: at,
        receivedAt: at,
        payload,
      });
      await t.monitoring.insertSampleIds(model.id, batchId, ids);
      await t.monitoring.upsertLabels(
        model.id,
        ids.flatMap((id, i) => (i % 2 === 1 ? [{ id, label: labels[i]! }] : [])),
        at,
      );
      const reportId = (await t.monitoring.insertPendingReport({
        modelId: model.id,
        versionId: version.id,
        windowKey: `n${n}:${w}`,
        kind: 'count',
        seqFrom: w * n,
        seqTo: (w + 1) * n,
        status: 'pending',
        createdAt: at,
      }))!;
      await t.monitoring.updateReport(reportId, { status: 'done', drifted: true, driftShare: 0.67, sampleCount: n, completedAt: at });
      reportIds.push(reportId);
    }
  });
  return { modelId: model.id, versionId: version.id, reportIds };
}

export const drifted = (reportId: number) => ({
  reportId,
  datasetDrift: true,
  criticalDrifted: false,
  performanceDegraded: false,
  completedAt: new Date().toISOString(),
});
