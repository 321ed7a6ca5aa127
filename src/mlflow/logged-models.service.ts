import { AppError, invalidField } from '../http/errors.js';
import { matches, maxResults, paginate, parseFilter } from './filter.js';
import { type KeyValue, tagList, tagRecord } from './mapping.js';
import type { ExperimentRow, LoggedModelRow, TrackingRepository } from './tracking.repository.js';
import { experimentIdsOf, hex32, metricJson, modelUri, str } from './tracking.shared.js';

const LOGGED_MODEL_STATUSES = ['LOGGED_MODEL_PENDING', 'LOGGED_MODEL_READY', 'LOGGED_MODEL_UPLOAD_FAILED'];

/**
 * MLflow 3 logged models (`m-<32 hex>`): what `mlflow.pyfunc.log_model` creates before uploading
 * the model's files under its `artifact_uri`, and what `register_model("models:/m-…")` registers.
 */
export function createLoggedModelsService(deps: { repo: TrackingRepository; requireExperiment: (raw: unknown) => Promise<ExperimentRow>; now?: () => Date }) {
  const { repo, requireExperiment } = deps;
  const now = () => (deps.now ?? (() => new Date()))().getTime();

  async function loggedModelJson(m: LoggedModelRow) {
    const metrics = await repo.metricsOfModel(m.modelId);
    return {
      info: {
        model_id: m.modelId,
        experiment_id: String(m.experimentId),
        name: m.name,
        ...(m.sourceRunId ? { source_run_id: m.sourceRunId } : {}),
        ...(m.modelType ? { model_type: m.modelType } : {}),
        status: m.status,
        artifact_uri: m.artifactUri,
        creation_timestamp_ms: m.creationTime,
        last_updated_timestamp_ms: m.lastUpdateTime,
        tags: tagList(m.tags),
      },
      data: { params: tagList(m.params), metrics: metrics.map((x) => ({ ...metricJson(x), run_id: x.runId })) },
    };
  }

  async function requireLoggedModel(id: unknown) {
    const modelId = str(id, 'model_id');
    const m = await repo.loggedModel(modelId);
    if (!m) throw new AppError('LOGGED_MODEL_NOT_FOUND', `no logged model with id ${modelId}`);
    return m;
  }

  /** Read-modify-write of a logged model's tags or params under its row lock: racing calls never lose each other's keys. */
  async function locked(id: unknown, change: (m: NonNullable<Awaited<ReturnType<TrackingRepository['lockLoggedModel']>>>) => Promise<void>) {
    const modelId = str(id, 'model_id');
    await repo.transaction(async () => {
      const m = await repo.lockLoggedModel(modelId);
      if (!m) throw new AppError('LOGGED_MODEL_NOT_FOUND', `no logged model with id ${modelId}`);
      await change(m);
    });
  }

  return {
    async createLoggedModel(body: {
      experiment_id?: unknown;
      name?: unknown;
      source_run_id?: unknown;
      model_type?: unknown;
      params?: KeyValue[];
      tags?: KeyValue[];
    }) {
      const experiment = await requireExperiment(body.experiment_id);
      const modelId = `m-${hex32()}`;
      const at = now();
      const sourceRunId = typeof body.source_run_id === 'string' && body.source_run_id !== '' ? body.source_run_id : null;
      await repo.transaction(() =>
        repo.insertLoggedModel({
          modelId,
          experimentId: experiment.id,
          name: typeof body.name === 'string' && body.name !== '' ? body.name : 'model',
          sourceRunId,
          modelType: typeof body.model_type === 'string' ? body.model_type : null,
          status: 'LOGGED_MODEL_PENDING',
          artifactUri: modelUri(experiment.id, modelId),
          tags: tagRecord(body.tags),
          params: tagRecord(body.params, 'params'),
          creationTime: at,
          lastUpdateTime: at,
        }),
      );
      return { model: await loggedModelJson((await repo.loggedModel(modelId))!) };
    },
    getLoggedModel: async (id: unknown) => ({ model: await loggedModelJson(await requireLoggedModel(id)) }),
    async finalizeLoggedModel(id: unknown, body: { status?: unknown }) {
      const m = await requireLoggedModel(id);
      if (typeof body.status !== 'string' || !LOGGED_MODEL_STATUSES.includes(body.status))
        throw invalidField('status', `must be one of ${LOGGED_MODEL_STATUSES.join(', ')}`);
      const status = body.status;
      await repo.transaction(() => repo.updateLoggedModel(m.modelId, { status, lastUpdateTime: now() }));
      return { model: await loggedModelJson((await repo.loggedModel(m.modelId))!) };
    },
    async setLoggedModelTags(id: unknown, body: { tags?: KeyValue[] }) {
      const incoming = tagRecord(body.tags);
      await locked(id, (m) => repo.updateLoggedModel(m.modelId, { tags: { ...m.tags, ...incoming }, lastUpdateTime: now() }));
      return {};
    },
    /** `mlflow.log_model_params`: params of a logged model, merged (a key logged again keeps its last value). */
    async logLoggedModelParams(id: unknown, body: { params?: KeyValue[] }) {
      const incoming = tagRecord(body.params, 'params');
      await locked(id, (m) => repo.updateLoggedModel(m.modelId, { params: { ...m.params, ...incoming }, lastUpdateTime: now() }));
      return {};
    },
    async deleteLoggedModelTag(id: unknown, key: string) {
      await locked(id, (m) => {
        const { [key]: _gone, ...tags } = m.tags;
        return repo.updateLoggedModel(m.modelId, { tags, lastUpdateTime: now() });
      });
      return {};
    },
    async deleteLoggedModel(id: unknown) {
      const m = await requireLoggedModel(id);
      await repo.transaction(() => repo.deleteLoggedModel(m.modelId));
      return {};
    },
    async searchLoggedModels(body: { experiment_ids?: unknown; filter?: string; max_results?: unknown; page_token?: string; order_by?: unknown }) {
      const ids = experimentIdsOf(body.experiment_ids);
      const clauses = parseFilter(body.filter, { attributes: ['name', 'model_id', 'status', 'source_run_id', 'model_type'], kinds: ['tag', 'param'] });
      const limit = maxResults(body.max_results, 100, 10_000);
      const rows = (await repo.loggedModelsOf(ids)).filter((m) =>
        matches(clauses, {
          attributes: { name: m.name, model_id: m.modelId, status: m.status, source_run_id: m.sourceRunId ?? '', model_type: m.modelType ?? '' },
          tags: m.tags,
          params: m.params,
        }),
      );
      const { page, nextPageToken } = paginate(rows, limit, body.page_token);
      return { models: await Promise.all(page.map(loggedModelJson)), ...(nextPageToken ? { next_page_token: nextPageToken } : {}) };
    },

    /** For the registry: a logged model's source run and artifact root. */
    async loggedModel(modelId: string) {
      const m = await repo.loggedModel(modelId);
      return m ? { sourceRunId: m.sourceRunId, artifactUri: m.artifactUri } : undefined;
    },
  };
}
export type LoggedModelsService = ReturnType<typeof createLoggedModelsService>;
