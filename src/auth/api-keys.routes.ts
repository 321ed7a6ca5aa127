import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { Nullable, Page, PageQuery, responses, Timestamp } from '../http/schemas.js';
import type { ApiKeysService } from './api-keys.service.js';
import { SCOPES, type Scope } from './scopes.js';

const tags = ['api-keys'];
const ApiKey = Type.Object({
  id: Type.String({ description: 'the key id: what to name in logs, audit events and DELETE /api-keys/{id}; no part of the token is ever shown again' }),
  name: Type.String(),
  scopes: Type.Array(Type.String()),
  createdAt: Timestamp,
  lastUsedAt: Nullable(Timestamp),
});
const CreatedApiKey = Type.Intersect([ApiKey, Type.Object({ token: Type.String({ description: 'shown once; only its hash is stored' }) })]);
const CreateApiKeyBody = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' }),
    scopes: Type.Array(Type.Unsafe<Scope>({ type: 'string', enum: [...SCOPES] }), { minItems: 1, maxItems: SCOPES.length, uniqueItems: true }),
  },
  { additionalProperties: false },
);

export function apiKeysRoutes(apiKeys: ApiKeysService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/api-keys',
      {
        config: { scope: 'admin' },
        schema: {
          operationId: 'createApiKey',
          tags,
          summary: 'Create an API key; the token is in this response only',
          body: CreateApiKeyBody,
          response: responses({ 201: CreatedApiKey }),
        },
      },
      async (req, reply) => reply.status(201).send(await apiKeys.create(req.body, req.actor)),
    );

    app.get(
      '/api-keys',
      {
        config: { scope: 'admin' },
        schema: {
          operationId: 'listApiKeys',
          tags,
          summary: 'List API keys (never their tokens)',
          querystring: Type.Object(PageQuery, { additionalProperties: false }),
          response: responses({ 200: Page(ApiKey) }),
        },
      },
      async (req) => apiKeys.list(req.query.limit, req.query.cursor),
    );

    app.delete(
      '/api-keys/:id',
      {
        config: { scope: 'admin' },
        schema: {
          operationId: 'revokeApiKey',
          tags,
          summary: 'Revoke an API key; the last admin key cannot be revoked',
          params: Type.Object({ id: Type.String({ maxLength: 64 }) }, { additionalProperties: false }),
          response: responses({ 204: Type.Null() }),
        },
      },
      async (req, reply) => {
        await apiKeys.revoke(req.params.id, req.actor);
        return reply.status(204).send(null);
      },
    );
  };
}
