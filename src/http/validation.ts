import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { FieldError } from './errors.js';

// ajv-formats ships CJS; under NodeNext its default export arrives wrapped.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function makeAjv(coerceTypes: boolean | 'array'): Ajv {
  // allErrors: a client fixes every field in one round trip. removeAdditional off: unknown
  // fields are rejected, not silently dropped. Numbers are strict: NaN/Infinity never validate.
  const ajv = new Ajv({
    allErrors: true,
    coerceTypes,
    removeAdditional: false,
    useDefaults: true,
    strict: false,
    // Errors carry their schema, so a failed pattern can be explained by the schema's description.
    verbose: true,
  });
  addFormats(ajv);
  return ajv;
}

const bodyAjv = makeAjv(false);
const paramAjv = makeAjv('array'); // ?tag=a:b once is still a list

/**
 * JSON bodies are validated without type coercion (a string "1e999" is not a number); path and
 * query strings are text on the wire, so they are coerced.
 */
export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : paramAjv;
  return ajv.compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
};

/** `/features/2/type` → `features[2].type`; the part (query/params) prefixes non-body paths. */
function toPath(instancePath: string, extra?: string): string {
  const segments = instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (extra !== undefined) segments.push(extra);
  return segments.reduce((path, seg) => (/^\d+$/.test(seg) ? `${path}[${seg}]` : path ? `${path}.${seg}` : seg), '');
}

/**
 * Messages a client can act on: an enum lists its values; a pattern is explained by the schema's
 * description (a raw regex is no help to a user) and shown raw only when nothing describes it.
 */
function friendlyMessage(error: Partial<ErrorObject>, params: Record<string, unknown>): string | undefined {
  if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    return `must be one of: ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  if (error.keyword === 'const') return `must be ${JSON.stringify(params.allowedValue)}`;
  if (error.keyword === 'pattern') {
    const description = (error.parentSchema as { description?: unknown } | undefined)?.description;
    return typeof description === 'string' ? `must be ${description}` : 'has an invalid format';
  }
  return undefined;
}

export function ajvErrorsToFields(errors: Partial<ErrorObject>[], context?: string): FieldError[] {
  const seen = new Set<string>();
  const fields: FieldError[] = [];
  // A failed anyOf/oneOf also reports each branch; keep the summary only when nothing more specific names that spot.
  const specific = new Set(errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf').map((e) => e.instancePath));
  for (const error of errors) {
    if ((error.keyword === 'anyOf' || error.keyword === 'oneOf') && specific.has(error.instancePath)) continue;
    const params = (error.params ?? {}) as Record<string, unknown>;
    let path: string;
    let message = error.message ?? 'is invalid';
    if (error.keyword === 'additionalProperties') {
      path = toPath(error.instancePath ?? '', String(params.additionalProperty));
      message = 'is not an allowed field';
    } else if (error.keyword === 'required') {
      path = toPath(error.instancePath ?? '', String(params.missingProperty));
      message = 'is required';
    } else {
      path = toPath(error.instancePath ?? '');
      message = friendlyMessage(error, params) ?? message;
    }
    if (context && context !== 'body') path = path ? `${context}.${path}` : context;
    if (path === '') path = context ?? 'body';
    const key = `${path}\u0000${message}`;
    if (!seen.has(key)) {
      seen.add(key);
      fields.push({ path, message });
    }
  }
  return fields;
}
