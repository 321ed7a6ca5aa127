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
          description:
            'Points the alias at a version, creating it or moving it (the answer says where it pointed before). `latest` and `v<N>` are reserved names.',
          tags,
          summary: 'Point an alias at a version (moves it if set); "latest" and "v<N>" are reserved',
          params: AliasParams,
          body: SetAliasBody,
          response: responses({ 200: AliasView }, ['MODEL_NOT_FOUND', 'VERSION_NOT_FOUND', 'ALIAS_RESERVED']),
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
          description: 'Returns the version an alias points at. `latest` resolves to the highest version and `v3` to version 3 without being set.',
          tags,
          summary: 'The version an alias points at ("latest" = highest, "v3" = version 3)',
          params: AliasParams,
          response: responses({ 200: Version }, ['MODEL_NOT_FOUND', 'VERSION_NOT_FOUND', 'ALIAS_NOT_FOUND']),
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
          description: 'Removes the alias; the version it pointed at stays.',
          tags,
          summary: 'Remove an alias (the version stays)',
          params: AliasParams,
          response: responses({ 204: Type.Null() }, ['MODEL_NOT_FOUND', 'ALIAS_NOT_FOUND', 'ALIAS_RESERVED']),
        },
      },
      async (req, reply) => {
        await aliases.remove(req.params.name, req.params.alias, req.actor);
        return reply.status(204).send(null);
      },
    );
  };
}
