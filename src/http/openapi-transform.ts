import type { FastifySchema, RouteOptions } from 'fastify';

/**
 * Makes the generated OpenAPI document say what the server does, for every route including those
 * added later (each route only declares its schema, scope and accepted media types):
 * - routes without a `scope` are open: `security: []` overrides the global bearer requirement;
 * - parameters and body fields with a default are optional for the client (the server fills
 *   the default), at any depth of the body;
 * - error responses are `application/problem+json`; every response has a real description;
 * - a response schema with `contentMediaType` is served as that media type (e.g. artifact bytes);
 * - a route with `config.rawBody` documents its body as bytes of the accepted media types;
 * - a wildcard path (`/artifacts/*`) is documented as a `{path}` parameter.
 */

type Schema = Record<string, unknown> & { properties?: Record<string, Record<string, unknown>>; required?: string[] };

const STATUS_TEXT: Record<string, string> = {
  '200': 'OK',
  '201': 'Created',
  '202': 'Accepted',
  '204': 'No content',
  '503': 'Service unavailable',
};
const PROBLEM_DESCRIPTION = 'Error, as application/problem+json (RFC 9457) with a stable `code`';

function isProblemRef(schema: unknown): boolean {
  const ref = (schema as { $ref?: unknown } | undefined)?.$ref;
  return typeof ref === 'string' && ref.replace(/#$/, '') === 'Problem';
}

function response(status: string, schema: Schema): Schema {
  if (isProblemRef(schema)) {
    return { description: PROBLEM_DESCRIPTION, content: { 'application/problem+json': { schema: { $ref: 'Problem' } } } };
  }
  const description = typeof schema.description === 'string' ? schema.description : (STATUS_TEXT[status] ?? 'Response');
  if (typeof schema.contentMediaType === 'string') {
    const { contentMediaType, ...body } = schema;
    return { description, content: { [contentMediaType]: { schema: { ...body, description: undefined } } } };
  }
  return { ...schema, description };
}

/** Properties that have a default are optional on the wire, whatever the server-side schema says. */
function optionalDefaults(schema: Schema): Schema {
  const props = schema.properties ?? {};
  return { ...schema, required: (schema.required ?? []).filter((key) => !('default' in (props[key] ?? {}))) };
}

/** optionalDefaults through a whole body schema: nested objects, array items and union branches. */
function optionalDefaultsDeep(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(optionalDefaultsDeep);
  if (schema === null || typeof schema !== 'object') return schema;
  const s = schema as Schema;
  const out: Schema = { ...s };
  if (s.properties) out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, optionalDefaultsDeep(v) as Schema]));
  for (const key of ['items', 'additionalProperties', 'anyOf', 'oneOf', 'allOf'] as const)
    if (s[key] !== undefined && typeof s[key] === 'object') out[key] = optionalDefaultsDeep(s[key]);
  return Array.isArray(s.required) ? optionalDefaults(out) : out;
}

function renameWildcard(params: Schema, name: string): Schema {
  const { '*': wildcard, ...rest } = params.properties ?? {};
  if (!wildcard) return params;
  return {
    ...params,
    properties: { ...rest, [name]: wildcard },
    required: [...(params.required ?? []).filter((key) => key !== '*'), name],
  };
}

export function openapiTransform({ schema, url, route }: { schema: FastifySchema; url: string; route: RouteOptions }): { schema: FastifySchema; url: string } {
  if (!schema) return { schema, url };
  const out: Record<string, unknown> = { ...schema };
  const config = (route.config ?? {}) as { scope?: string; accepts?: string[]; rawBody?: boolean };
  if (!config.scope) out.security = [];
  if (out.querystring) out.querystring = optionalDefaults(out.querystring as Schema);
  if (url.endsWith('*')) {
    url = `${url.slice(0, -1)}{path}`;
    if (out.params) out.params = renameWildcard(out.params as Schema, 'path');
  }
  if (config.rawBody) {
    out.body = { type: 'string', format: 'binary', description: 'the raw bytes, streamed' };
    out.consumes = config.accepts ?? ['application/octet-stream'];
  } else {
    if (out.body) out.body = optionalDefaultsDeep(out.body);
    if (out.body && config.accepts) out.consumes = config.accepts;
  }
  if (out.response) {
    out.response = Object.fromEntries(Object.entries(out.response as Record<string, Schema>).map(([status, s]) => [status, response(status, s)]));
  }
  return { schema: out as FastifySchema, url };
}
