import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { MlflowRegistry } from './registry.service.js';
import { KeyValues, open, QueryInt, read, Str, StrList, write } from './schemas.js';

const NameQuery = open({ name: Str });
const VersionQuery = open({ name: Str, version: Str });
const SearchQuery = open({ filter: Str, max_results: QueryInt, page_token: Str, order_by: StrList });

/** `/api/2.0/mlflow/registered-models/*` and `/model-versions/*` (model_registry.proto). */
export function mlflowRegistryRoutes(registry: MlflowRegistry): FastifyPluginAsyncTypebox {
  return async (app) => {
    // ---- registered models
    app.post('/registered-models/create', write({ body: open({ name: Str, description: Str, tags: KeyValues }) }), (req) =>
      registry.createRegisteredModel(req.body, req.actor),
    );
    app.get('/registered-models/get', read({ querystring: NameQuery }), (req) => registry.getRegisteredModel(req.query.name));
    app.patch('/registered-models/update', write({ body: open({ name: Str, description: Str }) }), (req) =>
      registry.updateRegisteredModel(req.body, req.actor),
    );
    app.post('/registered-models/rename', write({ body: open({ name: Str, new_name: Str }) }), (req) => registry.renameRegisteredModel(req.body, req.actor));
    app.delete('/registered-models/delete', write({ body: Type.Optional(open({ name: Str })), querystring: NameQuery }), (req) =>
      registry.deleteRegisteredModel(req.body?.name ?? req.query.name, req.actor),
    );
    app.get('/registered-models/search', read({ querystring: SearchQuery }), (req) => registry.searchRegisteredModels(req.query));
    app.post('/registered-models/search', read({ body: SearchQuery }), (req) => registry.searchRegisteredModels(req.body));
    app.post('/registered-models/set-tag', write({ body: open({ name: Str, key: Str, value: Str }) }), (req) =>
      registry.setRegisteredModelTag(req.body, req.actor),
    );
    app.delete('/registered-models/delete-tag', write({ body: open({ name: Str, key: Str }) }), (req) =>
      registry.deleteRegisteredModelTag(req.body, req.actor),
    );
    app.post('/registered-models/alias', write({ body: open({ name: Str, alias: Str, version: Str }) }), (req) => registry.setAlias(req.body, req.actor));
    app.delete('/registered-models/alias', write({ body: open({ name: Str, alias: Str }) }), (req) => registry.deleteAlias(req.body, req.actor));
    app.get('/registered-models/alias', read({ querystring: open({ name: Str, alias: Str }) }), (req) => registry.getByAlias(req.query.name, req.query.alias));
    app.post('/registered-models/get-latest-versions', read({ body: open({ name: Str, stages: StrList }) }), (req) => registry.getLatestVersions(req.body));
    app.get('/registered-models/get-latest-versions', read({ querystring: open({ name: Str, stages: StrList }) }), (req) =>
      registry.getLatestVersions(req.query),
    );

    // ---- model versions
    app.post(
      '/model-versions/create',
      write({ body: open({ name: Str, source: Str, run_id: Str, model_id: Str, run_link: Str, description: Str, tags: KeyValues }) }),
      (req) => registry.createModelVersion(req.body, req.actor),
    );
    app.get('/model-versions/get', read({ querystring: VersionQuery }), (req) => registry.getModelVersion(req.query.name, req.query.version));
    app.patch('/model-versions/update', write({ body: open({ name: Str, version: Str, description: Str }) }), (req) =>
      registry.updateModelVersion(req.body, req.actor),
    );
    app.delete('/model-versions/delete', write({ body: open({ name: Str, version: Str }) }), (req) => registry.deleteModelVersion(req.body, req.actor));
    app.get('/model-versions/search', read({ querystring: SearchQuery }), (req) => registry.searchModelVersions(req.query));
    app.post('/model-versions/search', read({ body: SearchQuery }), (req) => registry.searchModelVersions(req.body));
    app.post('/model-versions/set-tag', write({ body: open({ name: Str, version: Str, key: Str, value: Str }) }), (req) =>
      registry.setModelVersionTag(req.body, req.actor),
    );
    app.delete('/model-versions/delete-tag', write({ body: open({ name: Str, version: Str, key: Str }) }), (req) =>
      registry.deleteModelVersionTag(req.body, req.actor),
    );
    app.post(
      '/model-versions/transition-stage',
      write({ body: open({ name: Str, version: Str, stage: Str, archive_existing_versions: Type.Optional(Type.Boolean()) }) }),
      (req) => registry.transitionStage(req.body, req.actor),
    );
    app.get('/model-versions/get-download-uri', read({ querystring: VersionQuery }), (req) => registry.getDownloadUri(req.query.name, req.query.version));
  };
}
