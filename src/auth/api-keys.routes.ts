import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { Nullable, Page, PageQuery, responses, Timestamp } from '../http/schemas.js';
import type { ApiKeysService } from './api-keys.service.js';
import { SCOPES, type Scope } from './scopes.js';

const tags = ['api-keys'];
const API_KEY_EXAMPLE = { id: 'key_7f3a', name: 'ci', scopes: ['models:write', 'read'], createdAt: '2026-11-30T12:00:00.000Z', lastUsedAt: null };
const ApiKeyFields = {
  id: Type.String({ description: 'the key id: what to name in logs, audit events and DELETE /api-keys/{id}; no part of the token is ever shown again' }),
  name: Type.String(),
  scopes: Type.Array(Type.String()),
  createdAt: Timestamp,
  lastUsedAt: Nullable(Timestamp),
};
const ApiKey = Type.Object(ApiKeyFields, { $id: 'ApiKey', title: 'ApiKey', examples: [API_KEY_EXAMPLE] });
const CreatedApiKey = Type.Object(
  { ...ApiKeyFields, token: Type.String({ description: 'shown once; only its hash is stored' }) },
  { $id: 'CreatedApiKey', title: 'CreatedApiKey', examples: [{ ...API_KEY_EXAMPLE, token: 'mlc_7f3a_Zq0mN4v8yR2tK6wB1xH5jL9cD3pF7sG' }] },
);
const CreateApiKeyBody = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' }),
    scopes: Type.Array(Type.Unsafe<Scope>({ type: 'string', enum: [...SCOPES] }), { minItems: 1, maxItems: SCOPES.length, uniqueItems: true }),
  },
  { additionalProperties: false, examples: [{ name: 'ci', scopes: ['models:write', 'read'] }] },
);

export function apiKeysRoutes(apiKeys: ApiKeysService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/api-keys',
      {
        config: { scope: 'admin' },
        schema: {
          operationId: 'createApiKey',
          description: 'Creates a key with the given scopes. The token is returned in this response only; the server keeps its hash. Needs an admin key.',
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
          description: 'Lists API keys, newest first, with their scopes and when each was last used; tokens are never returned.',
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
          description: 'Revokes a key: it stops authenticating at once. The last key with the admin scope cannot be revoked (409 LAST_ADMIN_KEY).',
          tags,
          summary: 'Revoke an API key; the last admin key cannot be revoked',
          params: Type.Object({ id: Type.String({ maxLength: 64 }) }, { additionalProperties: false }),
          response: responses({ 204: Type.Null() }, ['API_KEY_NOT_FOUND', 'LAST_ADMIN_KEY']),
        },
      },
      async (req, reply) => {
        await apiKeys.revoke(req.params.id, req.actor);
        return reply.status(204).send(null);
      },
    );
  };
}
