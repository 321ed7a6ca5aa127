import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ModelParams, Page, responses } from '../http/schemas.js';
import type { ModelsService } from './models.service.js';
import { CreateModelBody, Event, EventsQuery, ListModelsQuery, Model, PatchBody } from './registry.schemas.js';

const tags = ['models'];

export function modelsRoutes(models: ModelsService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/models',
      {
        config: { scope: 'models:write' },
        schema: {
          operationId: 'createModel',
          description: 'Registers a model name with an optional description and tags. Versions are added under it with createVersion.',
          tags,
          summary: 'Create a model',
          body: CreateModelBody,
          response: responses({ 201: Model }, ['MODEL_EXISTS']),
        },
      },
      async (req, reply) => reply.status(201).send(await models.create(req.body, req.actor)),
    );

    app.get(
      '/models',
      {
        config: { scope: 'read' },
        schema: {
          operationId: 'listModels',
          description: 'Lists models a page at a time (`cursor` from the previous page). `q` matches name and description; each `tag=key:value` must hold.',
          tags,
          summary: 'List models; q searches name and description, tag=k:v filters (repeatable)',
          querystring: ListModelsQuery,
          response: responses({ 200: Page(Model) }),
        },
      },
      async (req) => models.list(req.query),
    );

    app.get(
      '/models/:name',
      {
        config: { scope: 'read' },
        schema: {
          operationId: 'getModel',
          description: 'Returns one model with its latest version number and its aliases.',
          tags,
          summary: 'Get a model with its latest version number and aliases',
          params: ModelParams,
          response: responses({ 200: Model }, ['MODEL_NOT_FOUND']),
        },
      },
      async (req) => models.get(req.params.name),
    );

    app.patch(
      '/models/:name',
      {
        config: { scope: 'models:write' },
        schema: {
          operationId: 'updateModel',
          description: 'Sets or clears (null) the description and/or replaces the tags as a whole. Records a `model.updated` event.',
          tags,
          summary: 'Update description and/or replace tags',
          params: ModelParams,
          body: PatchBody,
          response: responses({ 200: Model }, ['MODEL_NOT_FOUND']),
        },
      },
      async (req) => models.update(req.params.name, req.body, req.actor),
    );

    app.get(
      '/models/:name/events',
      {
        config: { scope: 'read' },
        schema: {
          operationId: 'listModelEvents',
          description: "The model's audit log, newest first: what changed, when and by which key. `type` filters one event type.",
          tags,
          summary: 'Audit log of the model, newest first (version created, alias moved from→to, by which key)',
          params: ModelParams,
          querystring: EventsQuery,
          response: responses({ 200: Page(Event) }, ['MODEL_NOT_FOUND']),
        },
      },
      async (req) => models.events(req.params.name, req.query),
    );

    app.delete(
      '/models/:name',
      {
        config: { scope: 'models:write' },
        schema: {
          operationId: 'deleteModel',
          description: 'Deletes the model with its versions, aliases and artifacts. Its audit events remain readable through listEvents.',
          tags,
          summary: 'Delete a model, its versions and artifacts',
          params: ModelParams,
          response: responses({ 204: Type.Null() }, ['MODEL_NOT_FOUND']),
        },
      },
      async (req, reply) => {
        await models.remove(req.params.name, req.actor, (msg, err) => req.log.warn({ err }, msg));
        return reply.status(204).send(null);
      },
    );
  };
}
