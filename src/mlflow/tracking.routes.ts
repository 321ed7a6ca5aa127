import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { BodyInt, KeyValues, open, QueryInt, read, Str, StrList, write } from './schemas.js';
import type { LoggedModelsService } from './logged-models.service.js';
import type { TrackingService } from './tracking.service.js';

const RunRef = { run_id: Str, run_uuid: Str };
const Metric = open({ key: Str, value: Type.Optional(Type.Union([Type.Number(), Type.String()])), timestamp: BodyInt, step: BodyInt, model_id: Str });
const SearchBody = { filter: Str, max_results: QueryInt, page_token: Str, order_by: StrList };
const ModelIdParams = Type.Object({ model_id: Type.String({ maxLength: 64 }) });

/** Experiments, runs, metrics and MLflow 3 logged models (service.proto). Writes need `models:write`, as a training script's key has. */
export function mlflowTrackingRoutes(tracking: TrackingService, loggedModels: LoggedModelsService): FastifyPluginAsyncTypebox {
  return async (app) => {
    // ---- experiments
    app.post('/experiments/create', write({ body: open({ name: Str, artifact_location: Str, tags: KeyValues }) }), (req) =>
      tracking.createExperiment(req.body),
    );
    app.get('/experiments/get', read({ querystring: open({ experiment_id: Str }) }), (req) => tracking.getExperiment(req.query.experiment_id));
    app.get('/experiments/get-by-name', read({ querystring: open({ experiment_name: Str }) }), (req) =>
      tracking.getExperimentByName(req.query.experiment_name),
    );
    app.post('/experiments/search', read({ body: open({ ...SearchBody, view_type: Str }) }), (req) => tracking.searchExperiments(req.body));
    app.get('/experiments/search', read({ querystring: open({ ...SearchBody, view_type: Str }) }), (req) => tracking.searchExperiments(req.query));
    app.post('/experiments/update', write({ body: open({ experiment_id: Str, new_name: Str }) }), (req) => tracking.updateExperiment(req.body));
    app.post('/experiments/delete', write({ body: open({ experiment_id: Str }) }), (req) => tracking.setLifecycle(req.body, 'deleted'));
    app.post('/experiments/restore', write({ body: open({ experiment_id: Str }) }), (req) => tracking.setLifecycle(req.body, 'active'));
    app.post('/experiments/set-experiment-tag', write({ body: open({ experiment_id: Str, key: Str, value: Str }) }), (req) =>
      tracking.setExperimentTag(req.body),
    );

    // ---- runs
    app.post('/runs/create', write({ body: open({ experiment_id: Str, run_name: Str, start_time: BodyInt, user_id: Str, tags: KeyValues }) }), (req) =>
      tracking.createRun(req.body, req.actor),
    );
    app.get('/runs/get', read({ querystring: open(RunRef) }), (req) => tracking.getRun(req.query));
    app.post('/runs/update', write({ body: open({ ...RunRef, status: Str, end_time: BodyInt, run_name: Str }) }), (req) => tracking.updateRun(req.body));
    app.post('/runs/delete', write({ body: open(RunRef) }), (req) => tracking.setRunLifecycle(req.body, 'deleted'));
    app.post('/runs/restore', write({ body: open(RunRef) }), (req) => tracking.setRunLifecycle(req.body, 'active'));
    app.post('/runs/log-metric', write({ body: Type.Intersect([Metric, open(RunRef)]) }), (req) => tracking.logMetric(req.body as Record<string, unknown>));
    app.post('/runs/log-parameter', write({ body: open({ ...RunRef, key: Str, value: Str }) }), (req) => tracking.logParam(req.body));
    app.post(
      '/runs/log-batch',
      write({ body: open({ run_id: Str, metrics: Type.Optional(Type.Array(Metric, { maxItems: 10_000 })), params: KeyValues, tags: KeyValues }) }),
      (req) => tracking.logBatch(req.body),
    );
    app.post('/runs/set-tag', write({ body: open({ ...RunRef, key: Str, value: Str }) }), (req) => tracking.setTag(req.body));
    app.post('/runs/delete-tag', write({ body: open({ run_id: Str, key: Str }) }), (req) => tracking.deleteTag(req.body));
    app.post('/runs/search', read({ body: open({ experiment_ids: StrList, run_view_type: Str, ...SearchBody }) }), (req) => tracking.searchRuns(req.body));
    app.post(
      '/runs/outputs',
      write({ body: open({ run_id: Str, models: Type.Optional(Type.Array(open({ model_id: Str, step: BodyInt }), { maxItems: 1000 })) }) }),
      (req) => tracking.logOutputs(req.body),
    );
    app.get('/metrics/get-history', read({ querystring: open({ ...RunRef, metric_key: Str, max_results: QueryInt, page_token: Str }) }), (req) =>
      tracking.metricHistory(req.query),
    );

    // ---- logged models (MLflow 3)
    app.post(
      '/logged-models',
      write({ body: open({ experiment_id: Str, name: Str, source_run_id: Str, model_type: Str, params: KeyValues, tags: KeyValues }) }),
      (req) => loggedModels.createLoggedModel(req.body),
    );
    app.post('/logged-models/search', read({ body: open({ experiment_ids: StrList, ...SearchBody }) }), (req) => loggedModels.searchLoggedModels(req.body));
    app.get('/logged-models/:model_id', read({ params: ModelIdParams }), (req) => loggedModels.getLoggedModel(req.params.model_id));
    app.patch('/logged-models/:model_id', write({ params: ModelIdParams, body: open({ status: Str }) }), (req) =>
      loggedModels.finalizeLoggedModel(req.params.model_id, req.body),
    );
    app.delete('/logged-models/:model_id', write({ params: ModelIdParams }), (req) => loggedModels.deleteLoggedModel(req.params.model_id));
    app.post('/logged-models/:model_id/params', write({ params: ModelIdParams, body: open({ params: KeyValues }) }), (req) =>
      loggedModels.logLoggedModelParams(req.params.model_id, req.body),
    );
    app.patch('/logged-models/:model_id/tags', write({ params: ModelIdParams, body: open({ tags: KeyValues }) }), (req) =>
      loggedModels.setLoggedModelTags(req.params.model_id, req.body),
    );
    app.delete(
      '/logged-models/:model_id/tags/:key',
      write({ params: Type.Object({ model_id: Type.String({ maxLength: 64 }), key: Type.String({ maxLength: 1024 }) }) }),
      (req) => loggedModels.deleteLoggedModelTag(req.params.model_id, req.params.key),
    );
  };
}
