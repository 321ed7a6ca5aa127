import type { Actor } from '../actor.js';
import { isUniqueViolation } from '../db/errors.js';
import { AppError, invalidField } from '../http/errors.js';
import { matches, maxResults, orderComparator, paginate, parseFilter, parseOrderBy } from './filter.js';
import { type KeyValue, tagList, tagRecord } from './mapping.js';
import type { ExperimentRow, RunRow, TrackingRepository } from './tracking.repository.js';
import { experimentIdOf, experimentIdsOf, hex32, int, latestMetrics, metricJson, metricValue, runUri, str } from './tracking.shared.js';

/**
 * MLflow's tracking store: experiments and runs (params, tags, metric series); logged models are
 * logged-models.service.ts.
 * Artifact URIs are `mlflow-artifacts:/…`, so clients upload and download through this server
 * (artifacts.service.ts). Deletes are MLflow's soft deletes (`lifecycle_stage: deleted`).
 */
const DEFAULT_EXPERIMENT = 0;
const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'];

export function createTrackingService(deps: { repo: TrackingRepository; now?: () => Date }) {
  const { repo } = deps;
  const now = () => (deps.now ?? (() => new Date()))().getTime();

  async function ensureDefault(): Promise<void> {
    if (await repo.experimentById(DEFAULT_EXPERIMENT)) return;
    const at = now();
    await repo.transaction(() =>
      repo.insertExperimentIfAbsent({
        id: DEFAULT_EXPERIMENT,
        name: 'Default',
        artifactLocation: `mlflow-artifacts:/${DEFAULT_EXPERIMENT}`,
        lifecycleStage: 'active',
        creationTime: at,
        lastUpdateTime: at,
      }),
    );
  }

  async function requireExperiment(raw: unknown, field = 'experiment_id'): Promise<ExperimentRow> {
    const id = experimentIdOf(raw, field);
    if (id === DEFAULT_EXPERIMENT) await ensureDefault();
    const row = await repo.experimentById(id);
    if (!row) throw new AppError('EXPERIMENT_NOT_FOUND', `no experiment with id ${id}`);
    return row;
  }

  async function experimentJson(row: ExperimentRow) {
    const tags = (await repo.experimentTags([row.id])).get(row.id) ?? {};
    return {
      experiment_id: String(row.id),
      name: row.name,
      artifact_location: row.artifactLocation,
      lifecycle_stage: row.lifecycleStage,
      creation_time: row.creationTime,
      last_update_time: row.lastUpdateTime,
      tags: tagList(tags),
    };
  }

  async function requireRun(body: { run_id?: unknown; run_uuid?: unknown }): Promise<NonNullable<Awaited<ReturnType<TrackingRepository['run']>>>> {
    const id = typeof body.run_id === 'string' && body.run_id !== '' ? body.run_id : str(body.run_uuid, 'run_id');
    const run = await repo.run(id);
    if (!run) throw new AppError('RUN_NOT_FOUND', `no run with id ${id}`);
    return run;
  }

  const runInfo = (r: RunRow) => ({
    run_id: r.runId,
    run_uuid: r.runId,
    run_name: r.name,
    experiment_id: String(r.experimentId),
    user_id: r.userId,
    status: r.status,
    start_time: r.startTime,
    ...(r.endTime !== null ? { end_time: r.endTime } : {}),
    artifact_uri: r.artifactUri,
    lifecycle_stage: r.lifecycleStage,
  });

  async function runJson(r: RunRow) {
    const [metrics, params, tags] = await Promise.all([repo.runMetrics(r.runId), repo.runParams(r.runId), repo.runTags(r.runId)]);
    return {
      info: runInfo(r),
      data: { metrics: latestMetrics(metrics).map(metricJson), params: tagList(params), tags: tagList(tags) },
      inputs: {},
      outputs: { model_outputs: r.outputs },
    };
  }

  function assertActive(r: RunRow): void {
    if (r.lifecycleStage !== 'active') throw new AppError('VALIDATION_FAILED', `run ${r.runId} is deleted`, [{ path: 'run_id', message: 'is deleted' }]);
  }

  /** Params are write-once in MLflow: the same value again is fine, a different one a 400. */
  async function addParams(runId: string, list: readonly { key?: unknown; value?: unknown }[], field: string): Promise<void> {
    const rows = list.map((p, i) => ({
      runId,
      key: str(p.key, `${field}[${i}].key`),
      value: p.value === undefined || p.value === null ? '' : String(p.value),
    }));
    for (const [i, p] of rows.entries()) {
      const existing = await repo.runParam(runId, p.key);
      if (existing !== undefined && existing !== p.value) {
        throw invalidField(`${field}[${i}].value`, `param "${p.key}" was already logged with value "${existing}"; params cannot change`);
      }
    }
    await repo.insertParams(rows);
  }

  function metricRows(runId: string, list: readonly Record<string, unknown>[], field: string) {
    const at = now();
    return list.map((m, i) => ({
      runId,
      key: str(m.key, `${field}[${i}].key`),
      value: metricValue(m.value, `${field}[${i}].value`),
      step: int(m.step, `${field}[${i}].step`, 0),
      timestamp: int(m.timestamp, `${field}[${i}].timestamp`, at),
      modelId: typeof m.model_id === 'string' && m.model_id !== '' ? m.model_id : null,
    }));
  }

  return {
    // ---- experiments
    async createExperiment(body: { name?: unknown; tags?: KeyValue[]; artifact_location?: unknown }) {
      const name = str(body.name, 'name');
      const tags = tagRecord(body.tags);
      const at = now();
      try {
        const row = await repo.transaction(async () => {
          const inserted = await repo.insertExperiment({ name, artifactLocation: '', lifecycleStage: 'active', creationTime: at, lastUpdateTime: at });
          // The client's own artifact_location is not honoured: artifacts go through this server.
          await repo.updateExperiment(inserted.id, { artifactLocation: `mlflow-artifacts:/${inserted.id}` });
          for (const [key, value] of Object.entries(tags)) await repo.setExperimentTag(inserted.id, key, value);
          return inserted;
        });
        return { experiment_id: String(row.id) };
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppError('EXPERIMENT_EXISTS', `experiment "${name}" already exists`);
        throw error;
      }
    },
    getExperiment: async (id: unknown) => ({ experiment: await experimentJson(await requireExperiment(id)) }),
    async getExperimentByName(name: unknown) {
      const wanted = str(name, 'experiment_name');
      if (wanted === 'Default') await ensureDefault();
      const row = await repo.experimentByName(wanted);
      if (!row) throw new AppError('EXPERIMENT_NOT_FOUND', `no experiment named "${wanted}"`);
      return { experiment: await experimentJson(row) };
    },
    async searchExperiments(q: { filter?: string; max_results?: unknown; page_token?: string; order_by?: string[]; view_type?: unknown }) {
      await ensureDefault();
      const clauses = parseFilter(q.filter, { attributes: ['name', 'creation_time', 'last_update_time'], numeric: ['creation_time', 'last_update_time'] });
      const limit = maxResults(q.max_results, 1000, 50_000);
      const order = parseOrderBy(q.order_by, ['name', 'experiment_id', 'creation_time', 'last_update_time']);
      const view = String(q.view_type ?? 'ACTIVE_ONLY');
      const rows = (await repo.listExperiments()).filter((e) => view === 'ALL' || (view === 'DELETED_ONLY') === (e.lifecycleStage === 'deleted'));
      const tagMap = await repo.experimentTags(rows.map((r) => r.id));
      const hits = rows.filter((e) =>
        matches(clauses, { attributes: { name: e.name, creation_time: e.creationTime, last_update_time: e.lastUpdateTime }, tags: tagMap.get(e.id) ?? {} }),
      );
      hits.sort(
        orderComparator(order.length ? order : [{ key: 'last_update_time', descending: true }], (e, key) =>
          key === 'name' ? e.name : key === 'experiment_id' ? e.id : key === 'creation_time' ? e.creationTime : e.lastUpdateTime,
        ),
      );
      const { page, nextPageToken } = paginate(hits, limit, q.page_token);
      return { experiments: await Promise.all(page.map(experimentJson)), ...(nextPageToken ? { next_page_token: nextPageToken } : {}) };
    },
    async updateExperiment(body: { experiment_id?: unknown; new_name?: unknown }) {
      const row = await requireExperiment(body.experiment_id);
      const name = str(body.new_name, 'new_name');
      try {
        await repo.transaction(() => repo.updateExperiment(row.id, { name, lastUpdateTime: now() }));
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppError('EXPERIMENT_EXISTS', `experiment "${name}" already exists`);
        throw error;
      }
      return {};
    },
    async setLifecycle(body: { experiment_id?: unknown }, stage: 'active' | 'deleted') {
      const row = await requireExperiment(body.experiment_id);
      await repo.transaction(() => repo.updateExperiment(row.id, { lifecycleStage: stage, lastUpdateTime: now() }));
      return {};
    },
    async setExperimentTag(body: { experiment_id?: unknown; key?: unknown; value?: unknown }) {
      const row = await requireExperiment(body.experiment_id);
      await repo.transaction(() => repo.setExperimentTag(row.id, str(body.key, 'key'), String(body.value ?? '')));
      return {};
    },

    // ---- runs
    async createRun(
      body: { experiment_id?: unknown; run_name?: unknown; start_time?: unknown; user_id?: unknown; tags?: KeyValue[] },
      actor: Actor | undefined,
    ) {
      const experiment = await requireExperiment(body.experiment_id ?? String(DEFAULT_EXPERIMENT));
      if (experiment.lifecycleStage !== 'active') throw invalidField('experiment_id', `experiment ${experiment.id} is deleted`);
      const tags = tagRecord(body.tags);
      const runId = hex32();
      const name = typeof body.run_name === 'string' && body.run_name !== '' ? body.run_name : (tags['mlflow.runName'] ?? `run-${runId.slice(0, 8)}`);
      tags['mlflow.runName'] = name;
      const userId = typeof body.user_id === 'string' && body.user_id !== '' ? body.user_id : (tags['mlflow.user'] ?? actor?.name ?? '');
      await repo.transaction(async () => {
        await repo.insertRun({
          runId,
          experimentId: experiment.id,
          name,
          userId,
          status: 'RUNNING',
          startTime: int(body.start_time, 'start_time', now()),
          endTime: null,
          lifecycleStage: 'active',
          artifactUri: runUri(experiment.id, runId),
          outputs: [],
        });
        for (const [key, value] of Object.entries(tags)) await repo.setRunTag(runId, key, value);
      });
      return { run: await runJson((await repo.run(runId))!) };
    },
    getRun: async (q: { run_id?: unknown; run_uuid?: unknown }) => ({ run: await runJson(await requireRun(q)) }),
    async updateRun(body: { run_id?: unknown; run_uuid?: unknown; status?: unknown; end_time?: unknown; run_name?: unknown }) {
      const run = await requireRun(body);
      const patch: Partial<RunRow> = {};
      if (body.status !== undefined) {
        if (typeof body.status !== 'string' || !RUN_STATUSES.includes(body.status)) throw invalidField('status', `must be one of ${RUN_STATUSES.join(', ')}`);
        patch.status = body.status;
      }
      if (body.end_time !== undefined) patch.endTime = int(body.end_time, 'end_time', now());
      if (typeof body.run_name === 'string' && body.run_name !== '') patch.name = body.run_name;
      await repo.transaction(async () => {
        if (Object.keys(patch).length) await repo.updateRun(run.runId, patch);
        if (patch.name) await repo.setRunTag(run.runId, 'mlflow.runName', patch.name);
      });
      return { run_info: runInfo((await repo.run(run.runId))!) };
    },
    async setRunLifecycle(body: { run_id?: unknown }, stage: 'active' | 'deleted') {
      const run = await requireRun(body);
      await repo.transaction(() => repo.updateRun(run.runId, { lifecycleStage: stage }));
      return {};
    },
    async logMetric(body: Record<string, unknown>) {
      const run = await requireRun(body);
      assertActive(run);
      const rows = metricRows(run.runId, [body], 'metric').map((r) => r);
      await repo.transaction(() => repo.insertMetrics(rows));
      return {};
    },
    async logParam(body: { run_id?: unknown; run_uuid?: unknown; key?: unknown; value?: unknown }) {
      const run = await requireRun(body);
      assertActive(run);
      await repo.transaction(() => addParams(run.runId, [{ key: body.key, value: body.value }], 'params'));
      return {};
    },
    async logBatch(body: { run_id?: unknown; metrics?: Record<string, unknown>[]; params?: KeyValue[]; tags?: KeyValue[] }) {
      const run = await requireRun(body);
      assertActive(run);
      const metrics = metricRows(run.runId, body.metrics ?? [], 'metrics');
      const tags = tagRecord(body.tags);
      // All or nothing: a refused param leaves no metric or tag of the batch behind.
      await repo.transaction(async () => {
        await addParams(run.runId, body.params ?? [], 'params');
        await repo.insertMetrics(metrics);
        for (const [key, value] of Object.entries(tags)) await repo.setRunTag(run.runId, key, value);
      });
      return {};
    },
    async setTag(body: { run_id?: unknown; run_uuid?: unknown; key?: unknown; value?: unknown }) {
      const run = await requireRun(body);
      const key = str(body.key, 'key');
      await repo.transaction(async () => {
        await repo.setRunTag(run.runId, key, String(body.value ?? ''));
        if (key === 'mlflow.runName' && typeof body.value === 'string' && body.value !== '') await repo.updateRun(run.runId, { name: body.value });
      });
      return {};
    },
    async deleteTag(body: { run_id?: unknown; key?: unknown }) {
      const run = await requireRun(body);
      await repo.transaction(() => repo.deleteRunTag(run.runId, str(body.key, 'key')));
      return {};
    },
    async metricHistory(q: { run_id?: unknown; run_uuid?: unknown; metric_key?: unknown; max_results?: unknown; page_token?: string }) {
      const run = await requireRun(q);
      const key = str(q.metric_key, 'metric_key');
      const limit = maxResults(q.max_results, 25_000, 25_000);
      let after: number | undefined;
      if (q.page_token) {
        const m = /^id:(\d{1,15})$/.exec(Buffer.from(q.page_token, 'base64url').toString('utf8'));
        if (!m) throw invalidField('page_token', 'is not a token this server issued');
        after = Number(m[1]);
      }
      const rows = await repo.metricHistory(run.runId, key, limit + 1, after);
      const page = rows.slice(0, limit);
      const next = rows.length > limit ? Buffer.from(`id:${page[page.length - 1]!.id}`).toString('base64url') : undefined;
      return { metrics: page.map(metricJson), ...(next ? { next_page_token: next } : {}) };
    },
    async searchRuns(body: {
      experiment_ids?: unknown;
      filter?: string;
      run_view_type?: unknown;
      max_results?: unknown;
      order_by?: string[];
      page_token?: string;
    }) {
      const ids = experimentIdsOf(body.experiment_ids);
      const clauses = parseFilter(body.filter, {
        attributes: ['run_id', 'run_name', 'status', 'user_id', 'start_time', 'end_time', 'artifact_uri', 'lifecycle_stage'],
        kinds: ['tag', 'param', 'metric'],
        numeric: ['start_time', 'end_time'],
      });
      const limit = maxResults(body.max_results, 1000, 50_000);
      const order = parseOrderBy(
        (body.order_by ?? []).map((o) => o.replace(/^(attributes?\.)/, '')),
        ['start_time', 'end_time', 'run_name', 'status', 'run_id'],
      );
      const view = String(body.run_view_type ?? 'ACTIVE_ONLY');
      const runs = (await repo.runsOf(ids)).filter((r) => view === 'ALL' || (view === 'DELETED_ONLY') === (r.lifecycleStage === 'deleted'));
      const full = await Promise.all(runs.map(async (r) => ({ row: r, json: await runJson(r) })));
      const hits = full.filter(({ row, json }) =>
        matches(clauses, {
          attributes: { ...json.info, end_time: row.endTime ?? undefined },
          tags: Object.fromEntries(json.data.tags.map((t) => [t.key, t.value])),
          params: Object.fromEntries(json.data.params.map((t) => [t.key, t.value])),
          metrics: Object.fromEntries(json.data.metrics.map((m) => [m.key, m.value])),
        }),
      );
      hits.sort(
        orderComparator([...order, { key: 'start_time', descending: true }, { key: 'run_id', descending: false }], (h, key) =>
          key === 'run_name'
            ? h.row.name
            : key === 'end_time'
              ? (h.row.endTime ?? undefined)
              : key === 'start_time'
                ? h.row.startTime
                : key === 'status'
                  ? h.row.status
                  : h.row.runId,
        ),
      );
      const { page, nextPageToken } = paginate(hits, limit, body.page_token);
      return { runs: page.map((h) => h.json), ...(nextPageToken ? { next_page_token: nextPageToken } : {}) };
    },
    async logOutputs(body: { run_id?: unknown; models?: { model_id?: unknown; step?: unknown }[] }) {
      const run = await requireRun(body);
      const models = (body.models ?? []).map((m, i) => ({ model_id: str(m.model_id, `models[${i}].model_id`), step: int(m.step, `models[${i}].step`, 0) }));
      await repo.transaction(async () => {
        const current = (await repo.lockRun(run.runId))!;
        const merged = [...current.outputs.filter((o) => !models.some((m) => m.model_id === o.model_id)), ...models];
        await repo.updateRun(run.runId, { outputs: merged });
      });
      return {};
    },

    // ---- for the registry (RunLookup)
    async runData(runId: string) {
      const run = await repo.run(runId);
      if (!run) return undefined;
      const metrics = latestMetrics(await repo.runMetrics(runId));
      return { params: await repo.runParams(runId), metrics: Object.fromEntries(metrics.map((m) => [m.key, m.value])) };
    },
    runArtifactUri: async (runId: string) => (await repo.run(runId))?.artifactUri,
    requireExperiment: (raw: unknown) => requireExperiment(raw),
  };
}
export type TrackingService = ReturnType<typeof createTrackingService>;
