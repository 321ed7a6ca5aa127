import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { responses } from '../http/schemas.js';
import type { AliasesService } from './aliases.service.js';
import { AliasParams, AliasView, SetAliasBody, Version } from './registry.schemas.js';

const tags = ['aliases'];

export function aliasesRoutes(aliases: AliasesService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.put(
      '/models/:name/aliases/:alias',
      {
        config: { scope: 'models:write' },
        schema: {
          operationId: 'setAlias',
          tags,
          summary: 'Point an alias at a version (moves it if set); "latest" and "v<N>" are reserved',
          params: AliasParams,
          body: SetAliasBody,
          response: responses({ 200: AliasView }),
        },
      },
      async (req) => aliases.set(req.params.name, req.params.alias, req.body.version, req.actor),
    );

    app.get(
      '/models/:name/aliases/:alias',
      {
        config: { scope: 'read' },
        schema: {
          operationId: 'resolveAlias',
          tags,
          summary: 'The version an alias points at ("latest" = highest, "v3" = version 3)',
          params: AliasParams,
          response: responses({ 200: Version }),
        },
      },
      // The serving path: the cached view's JSON is sent as is (serialised once per cache entry).
      async (req, reply) => reply.type('application/json; charset=utf-8').send(await aliases.resolveJson(req.params.name, req.params.alias)),
    );

    app.delete(
      '/models/:name/aliases/:alias',
      {
        config: { scope: 'models:write' },
        schema: {
          operationId: 'deleteAlias',
          tags,
          summary: 'Remove an alias (the version stays)',
          params: AliasParams,
          response: responses({ 204: Type.Null() }),
        },
      },
      async (req, reply) => {
        await aliases.remove(req.params.name, req.params.alias, req.actor);
        return reply.status(204).send(null);
      },
    );
  };
}
