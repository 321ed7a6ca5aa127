import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ModelParams, Page, PageQuery, responses, VersionParams } from '../http/schemas.js';
import { CreateVersionBody, ListMetricsQuery, LogMetricsBody, Metric, Version, VersionPatchBody } from './registry.schemas.js';
import type { VersionsService } from './versions.service.js';

const tags = ['versions'];
const IdempotencyHeaders = Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) });

export function versionsRoutes(versions: VersionsService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/models/:name/versions',
      {
        config: { scope: 'models:write' },
        schema: {
          operationId: 'createVersion',
          description:
            'Registers the next version of the model (numbered by the server) with its features, params, metrics and task. With an Idempotency-Key, a retry of the same request answers 200 with the version first created; the same key with a different body is a 409.',
          tags,
          summary:
            'Register the next version (numbered by the server). Send Idempotency-Key to make retries safe: a replay answers 200 with the original version.',
          params: ModelParams,
          headers: IdempotencyHeaders,
          body: CreateVersionBody,
          response: responses({ 200: Version, 201: Version }, ['MODEL_NOT_FOUND', 'PARENT_VERSION_NOT_FOUND', 'IDEMPOTENCY_KEY_REUSED']),
        },
      },
      async (req, reply) => {
        const { version, replayed } = await versions.create(req.params.name, req.body, req.actor, req.headers['idempotency-key']);
        return reply.status(replayed ? 200 : 201).send(version);
      },
    );

    app.get(
      '/models/:name/versions',
      {
        config: { scope: 'read' },
        schema: {
          operationId: 'listVersions',
          description: "Lists the model's versions, newest first.",
          tags,
          summary: 'List versions, newest first',
          params: ModelParams,
          querystring: Type.Object(PageQuery, { additionalProperties: false }),
          response: responses({ 200: Page(Version) }, ['MODEL_NOT_FOUND']),
        },
      },
      async (req) => versions.list(req.params.name, req.query),
    );

    app.get(
      '/models/:name/versions/:version',
      {
        config: { scope: 'read' },
        schema: {
          operationId: 'getVersion',
          description: "Returns one version: features, params, latest metric values, task, aliases and its reference profile's summary.",
          tags,
          summary: 'Get a version: features, params, latest metrics, aliases',
          params: VersionParams,
          response: responses({ 200: Version }, ['MODEL_NOT_FOUND', 'VERSION_NOT_FOUND']),
        },
      },
      async (req) => versions.get(req.params.name, req.params.version),
    );

    app.patch(
      '/models/:name/versions/:version',
      {
        config: { scope: 'models:write' },
        schema: {
          operationId: 'updateVersion',
          description: 'Sets or clears the description and task, and/or replaces the tags of a version. Features, params and lineage do not change.',
          tags,
          summary: 'Update the description, replace the tags and/or set the task of a version',
          params: VersionParams,
          body: VersionPatchBody,
          response: responses({ 200: Version }, ['MODEL_NOT_FOUND', 'VERSION_NOT_FOUND']),
        },
      },
      async (req) => versions.update(req.params.name, req.params.version, req.body, req.actor),
    );

    app.post(
      '/models/:name/versions/:version/metrics',
      {
        config: { scope: 'models:write' },
        schema: {
          operationId: 'logMetrics',
          description: 'Appends metric points to the version; each key is a series ordered by step. The latest value per key shows in getVersion.',
          tags,
          summary: 'Append metric points (a series per key, ordered by step)',
          params: VersionParams,
          body: LogMetricsBody,
          response: responses({ 201: Type.Object({ accepted: Type.Integer() }, { examples: [{ accepted: 1 }] }) }, ['MODEL_NOT_FOUND', 'VERSION_NOT_FOUND']),
        },
      },
      async (req, reply) => reply.status(201).send(await versions.logMetrics(req.params.name, req.params.version, req.body)),
    );

    app.get(
      '/models/:name/versions/:version/metrics',
      {
        config: { scope: 'read' },
        schema: {
          operationId: 'listMetrics',
          description: "Lists the version's metric points in the order they were logged; `key` restricts to one series.",
          tags,
          summary: 'List metric points of a version in logging order; key= filters one series',
          params: VersionParams,
          querystring: ListMetricsQuery,
          response: responses({ 200: Page(Metric) }, ['MODEL_NOT_FOUND', 'VERSION_NOT_FOUND']),
        },
      },
      async (req) => versions.listMetrics(req.params.name, req.params.version, req.query),
    );
  };
}
