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
  const segments = instancePath.split('/').slice(1).map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (extra !== undefined) segments.push(extra);
  return segments.reduce((path, seg) => (/^\d+$/.test(seg) ? `${path}[${seg}]` : path ? `${path}.${seg}` : seg), '');
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
