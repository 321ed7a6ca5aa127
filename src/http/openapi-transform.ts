import type { FastifySchema, RouteOptions } from 'fastify';
import { ERRORS, type ErrorCode } from './errors.js';
import { PROBLEM_CODES } from './schemas.js';

/**
 * Makes the generated OpenAPI document say what the server does, for every route including those
 * added later (each route only declares its schema, scope, accepted media types and its own
 * problem codes):
 * - routes without a `scope` are open: `security: []` overrides the global bearer requirement;
 * - parameters and body fields with a default are optional for the client (the server fills
 *   the default), at any depth of the body and in every named schema;
 * - a schema with an `$id` (Model, Version, DriftReport, …) becomes a component under
 *   `#/components/schemas` and is referenced wherever it is used; its `examples[0]` becomes the
 *   example of the request or response that carries it;
 * - errors are `application/problem+json` under their own statuses (400, 401, 404, …), each
 *   listing the codes it can carry: the route's own (`responses(…, codes)`) plus those every route
 *   of its kind shares (authentication, validation, body limits, database, overload);
 * - every response declares X-Request-Id; 429 and 503 declare Retry-After;
 * - error responses several operations share word for word are one `#/components/responses`
 *   entry each (openapiShareResponses, the swagger `transformObject`);
 * - a response schema with `contentMediaType` is served as that media type (e.g. artifact bytes),
 *   and a response schema's `headers` are the response's headers;
 * - a route with `config.rawBody` documents its body as bytes of the accepted media types;
 * - a wildcard path (`/artifacts/*`) is documented as a `{path}` parameter.
 */

type Schema = Record<string, unknown> & { properties?: Record<string, Record<string, unknown>>; required?: string[] };
type OpenApiObject = { components: { schemas: Record<string, unknown>; examples?: Record<string, unknown> } };

/** The document's tags: every operation's tag is one of these. */
export const OPENAPI_TAGS = [
  { name: 'models', description: 'Registered models: create, list, search, update, delete; their audit log' },
  { name: 'versions', description: 'Versions of a model: features, params, task, metrics' },
  { name: 'aliases', description: 'Named pointers at versions (production, staging, …)' },
  { name: 'artifacts', description: "A version's files, streamed in and out with their sha256" },
  { name: 'monitoring', description: 'Reference data, serving samples, labels, monitors and drift reports' },
  { name: 'retraining', description: 'Retrain jobs (drift-triggered or manual), external pipelines, lineage' },
  { name: 'events', description: 'The audit log across models' },
  { name: 'webhooks', description: 'Signed event notifications (Standard Webhooks) and their delivery log' },
  { name: 'api-keys', description: 'API keys and their scopes (admin only)' },
  { name: 'operations', description: 'Liveness, readiness and Prometheus metrics' },
];

const COMPONENTS = '#/components/schemas/';
const PROBLEM_REF = { $ref: `${COMPONENTS}Problem` };

const STATUS_TEXT: Record<string, string> = {
  '200': 'OK',
  '201': 'Created',
  '202': 'Accepted',
  '204': 'No content',
  '400': 'Bad request',
  '401': 'Unauthenticated',
  '403': 'Forbidden',
  '404': 'Not found',
  '408': 'Request timeout',
  '409': 'Conflict',
  '413': 'Content too large',
  '414': 'URI too long',
  '415': 'Unsupported media type',
  '429': 'Too many requests',
  '500': 'Internal server error',
  '503': 'Service unavailable',
};

const REQUEST_ID_HEADER = {
  'X-Request-Id': {
    type: 'string',
    description: "The caller's X-Request-Id (1 to 128 plain characters) or a new UUID; the server log names it",
  },
};
const RETRY_AFTER_HEADER = { 'Retry-After': { type: 'integer', minimum: 0, description: 'Seconds to wait before retrying' } };
const WWW_AUTHENTICATE_HEADER = { 'WWW-Authenticate': { type: 'string', description: 'Bearer realm="mlcycle" (on a missing or unknown key)' } };

function isProblemRef(schema: unknown): boolean {
  const ref = (schema as { $ref?: unknown } | undefined)?.$ref;
  return typeof ref === 'string' && ref.replace(/#$/, '') === 'Problem';
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

/**
 * Replaces every named subschema (one with an `$id`) by a reference to its component, adding the
 * component (itself with its named parts referenced, defaults optional) on first sight.
 */
function named(schema: unknown, doc: OpenApiObject): unknown {
  if (Array.isArray(schema)) return schema.map((s) => named(s, doc));
  if (schema === null || typeof schema !== 'object') return schema;
  const s = schema as Schema;
  if (typeof s.$id === 'string' && s.$id !== 'Problem') {
    const id = s.$id;
    if (!(id in doc.components.schemas)) {
      doc.components.schemas[id] = {}; // reserved first: a schema that contains itself stops here
      const { $id: _id, ...rest } = s;
      doc.components.schemas[id] = optionalDefaultsDeep(namedParts(rest, doc));
    }
    return { $ref: `${COMPONENTS}${id}` };
  }
  return namedParts(s, doc);
}

function namedParts(s: Schema, doc: OpenApiObject): Schema {
  const out: Schema = { ...s };
  if (s.properties) out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, named(v, doc) as Schema]));
  for (const key of ['items', 'additionalProperties', 'anyOf', 'oneOf', 'allOf', 'not'] as const)
    if (s[key] !== undefined && typeof s[key] === 'object') out[key] = named(s[key], doc);
  return out;
}

/** The example of a request or response body: its own, or its named schema's first. */
function exampleOf(schema: unknown): unknown {
  const examples = (schema as { examples?: unknown } | undefined)?.examples;
  return Array.isArray(examples) && examples.length > 0 ? examples[0] : undefined;
}

function media(schema: unknown, doc: OpenApiObject): Record<string, unknown> {
  const example = exampleOf(schema);
  return { schema: named(schema, doc), ...(example !== undefined ? { example } : {}) };
}

/**
 * A request body's media: @fastify/swagger keeps only its schema, and lifts a single `examples`
 * beside it to the example (a `$ref` keeps no siblings there: request bodies are not named).
 */
function bodyMedia(schema: unknown, doc: OpenApiObject): Record<string, unknown> {
  const example = exampleOf(schema);
  return { schema: { ...(named(schema, doc) as Schema), ...(example !== undefined ? { examples: [example] } : {}) } };
}

const problemType = (code: ErrorCode) => `https://mlcycle.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`;

function problemExample(code: ErrorCode) {
  const { status, title } = ERRORS[code];
  const validation = code === 'VALIDATION_FAILED';
  return {
    summary: title,
    value: {
      type: problemType(code),
      title,
      status,
      detail: validation ? 'name: is required' : title,
      code,
      ...(validation ? { errors: [{ path: 'name', message: 'is required' }] } : {}),
    },
  };
}

/** One error status of an operation: problem+json whose `code` is one of `codes`. */
function problemResponse(status: string, codes: ErrorCode[], doc: OpenApiObject): Schema {
  const examples = (doc.components.examples ??= {});
  for (const code of codes) examples[code] ??= problemExample(code);
  const list = codes.map((code) => `\`${code}\` (${ERRORS[code].title})`).join(', ');
  const retry = codes.some((code) => 'retryAfterSeconds' in ERRORS[code]);
  return {
    description: `${STATUS_TEXT[status] ?? 'Error'}, as application/problem+json (RFC 9457); \`code\` is one of: ${list}`,
    headers: { ...REQUEST_ID_HEADER, ...(retry ? RETRY_AFTER_HEADER : {}), ...(status === '401' ? WWW_AUTHENTICATE_HEADER : {}) },
    content: {
      'application/problem+json': {
        schema: { allOf: [PROBLEM_REF, { type: 'object', properties: { code: { type: 'string', enum: codes } } }] },
        examples: Object.fromEntries(codes.map((code) => [code, { $ref: `#/components/examples/${code}` }])),
      },
    },
  };
}

function successResponse(status: string, schema: Schema, doc: OpenApiObject): Schema {
  const { headers, description: own, ...body } = schema;
  const description = typeof own === 'string' ? own : (STATUS_TEXT[status] ?? 'Response');
  const allHeaders = { ...REQUEST_ID_HEADER, ...((headers as Schema | undefined) ?? {}) };
  if (body.content && typeof body.content === 'object') return { description, headers: allHeaders, content: body.content };
  if (body.type === 'null') return { description, headers: allHeaders, type: 'null' };
  if (typeof body.contentMediaType === 'string') {
    const { contentMediaType, ...bytes } = body;
    return { description, headers: allHeaders, content: { [contentMediaType]: { schema: bytes } } };
  }
  return { description, headers: allHeaders, content: { 'application/json': media(schema.$id ? schema : body, doc) } };
}

interface RouteConfig {
  scope?: string;
  accepts?: string[];
  rawBody?: boolean;
  bodyDocs?: Record<string, object>;
}

/** The problem codes a route answers because of what it is, whatever its handler does. */
function sharedCodes(url: string, schema: FastifySchema, config: RouteConfig, route: RouteOptions): ErrorCode[] {
  const codes: ErrorCode[] = [];
  const query = schema.querystring as Schema | undefined;
  if (schema.params) codes.push('MALFORMED_URL', 'URI_TOO_LONG');
  if (schema.params || query || schema.body || schema.headers || config.rawBody) codes.push('VALIDATION_FAILED');
  if (query?.properties?.cursor) codes.push('INVALID_CURSOR');
  if (config.rawBody) {
    if (!config.accepts?.includes('*/*')) codes.push('UNSUPPORTED_MEDIA_TYPE');
    if (route.bodyLimit !== undefined) codes.push('PAYLOAD_TOO_LARGE');
  } else if (schema.body) codes.push('MALFORMED_BODY', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE');
  // The minimum body rate is watched on the socket, before routing, for any request that sends a body.
  codes.push('REQUEST_TOO_SLOW');
  if (config.scope) codes.push('UNAUTHENTICATED', 'FORBIDDEN', 'TOO_MANY_REQUESTS');
  codes.push('INTERNAL', 'OVERLOADED');
  if (url.startsWith('/api/')) codes.push('DATABASE_UNAVAILABLE', 'DATABASE_BUSY');
  return codes;
}

const CATALOGUE_ORDER = Object.keys(ERRORS) as ErrorCode[];

function errorResponses(own: ErrorCode[], shared: ErrorCode[]): Record<string, ErrorCode[]> {
  const all = new Set([...own, ...shared]);
  const byStatus: Record<string, ErrorCode[]> = {};
  for (const code of CATALOGUE_ORDER) if (all.has(code)) (byStatus[String(ERRORS[code].status)] ??= []).push(code);
  return byStatus;
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

export function openapiTransform({ schema, url, route, openapiObject }: { schema: FastifySchema; url: string; route: RouteOptions; openapiObject?: object }): {
  schema: FastifySchema;
  url: string;
} {
  if (!schema) return { schema, url };
  const doc = (openapiObject ?? {}) as OpenApiObject;
  doc.components ??= { schemas: {} };
  doc.components.schemas ??= {};
  const out: Record<string, unknown> = { ...schema };
  const config = (route.config ?? {}) as RouteConfig;
  if (!config.scope) out.security = [];
  if (out.querystring) out.querystring = optionalDefaults(out.querystring as Schema);
  if (url.endsWith('*')) {
    url = `${url.slice(0, -1)}{path}`;
    if (out.params) out.params = renameWildcard(out.params as Schema, 'path');
  }
  if (config.rawBody && config.bodyDocs) {
    // Parsed by the handler, documented per media type (bytes where the route says nothing).
    const bytes = { type: 'string', format: 'binary' };
    const types = config.accepts ?? ['application/octet-stream'];
    out.body = { content: Object.fromEntries(types.map((type) => [type, bodyMedia(config.bodyDocs?.[type] ?? bytes, doc)])) };
  } else if (config.rawBody) {
    out.body = { type: 'string', format: 'binary', description: 'the raw bytes, streamed' };
    out.consumes = config.accepts ?? ['application/octet-stream'];
  } else if (out.body) {
    const body = optionalDefaultsDeep(out.body) as Schema;
    const types = config.accepts ?? ['application/json'];
    out.body = { content: Object.fromEntries(types.map((type) => [type, bodyMedia(body, doc)])) };
  }
  const own: ErrorCode[] = [];
  const responses: Record<string, Schema> = {};
  for (const [status, s] of Object.entries((schema.response ?? {}) as Record<string, Schema>)) {
    if (isProblemRef(s)) own.push(...(((s as Record<string, unknown>)[PROBLEM_CODES] as ErrorCode[] | undefined) ?? []));
    else responses[status] = successResponse(status, s, doc);
  }
  for (const [status, codes] of Object.entries(errorResponses(own, sharedCodes(url, schema, config, route)))) {
    const problem = problemResponse(status, codes, doc);
    const existing = responses[status];
    // A status the route answers with its own body too (/readyz's 503): both media types.
    responses[status] = existing
      ? {
          ...existing,
          description: `${existing.description}; or ${problem.description}`,
          content: { ...(existing.content as object), ...(problem.content as object) },
          headers: { ...(existing.headers as object), ...(problem.headers as object) },
        }
      : problem;
  }
  out.response = responses;
  return { schema: out as FastifySchema, url };
}

type Operations = Record<string, Record<string, { responses?: Record<string, unknown> }>>;

const pascal = (code: string) => code.toLowerCase().replace(/(^|_)([a-z])/g, (_m, _s, c: string) => c.toUpperCase());

/**
 * The swagger `transformObject`: an error response that several operations share word for word
 * (401 UNAUTHENTICATED, 503 OVERLOADED/DATABASE_UNAVAILABLE/DATABASE_BUSY, …) becomes one entry of
 * `#/components/responses`, named after its codes, and each operation references it.
 */
export function openapiShareResponses(documentObject: object): object {
  const { openapiObject } = documentObject as { openapiObject: object };
  const doc = openapiObject as { paths?: Operations; components?: { responses?: Record<string, unknown> } };
  const seen = new Map<string, { count: number; response: unknown; codes: string[] }>();
  const each = (visit: (status: string, response: unknown, responses: Record<string, unknown>) => void) => {
    for (const ops of Object.values(doc.paths ?? {}))
      for (const op of Object.values(ops))
        for (const [status, response] of Object.entries(op.responses ?? {})) if (Number(status) >= 400) visit(status, response, op.responses!);
  };
  const codesOf = (response: unknown) =>
    ((response as { content?: Record<string, { schema?: { allOf?: { properties?: { code?: { enum?: string[] } } }[] } }> }).content?.[
      'application/problem+json'
    ]?.schema?.allOf?.[1]?.properties?.code?.enum ?? []) as string[];
  each((_status, response) => {
    const codes = codesOf(response);
    if (codes.length === 0) return;
    const key = JSON.stringify(response);
    const entry = seen.get(key) ?? { count: 0, response, codes };
    entry.count++;
    seen.set(key, entry);
  });
  const names = new Map<string, string>();
  for (const [key, entry] of seen) {
    if (entry.count < 2) continue;
    const base = entry.codes.map(pascal).join('Or');
    let name = base;
    for (let i = 2; names.has(name) || [...names.values()].includes(name); i++) name = `${base}${i}`;
    names.set(key, name);
  }
  if (names.size === 0) return openapiObject;
  const shared: Record<string, unknown> = {};
  for (const [key, name] of [...names].sort((a, b) => a[1].localeCompare(b[1]))) shared[name] = seen.get(key)!.response;
  doc.components = { ...doc.components, responses: { ...doc.components?.responses, ...shared } };
  each((status, response, responses) => {
    const name = names.get(JSON.stringify(response));
    if (name) responses[status] = { $ref: `#/components/responses/${name}` };
  });
  return openapiObject;
}
