import { type IntegerOptions, Type, type Static, type TSchema } from '@sinclair/typebox';
import { ERRORS, type ErrorCode } from './errors.js';

/** DESIGN.md name rule: models, aliases, tag keys. */
export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$';
export const NAME_RULE = "1 to 128 characters: letters, digits, '.', '_' or '-', starting with a letter or digit";
export const Name = Type.String({ pattern: NAME_PATTERN, minLength: 1, maxLength: 128, description: NAME_RULE });
/**
 * Longest path parameter the router matches (Fastify's default, 100, is shorter than a name).
 * Names need no percent-encoding, so 128 would do; the slack lets an over-long value reach
 * validation and get a 400 naming the field rather than a 414.
 */
export const MAX_PARAM_LENGTH = 512;

export const Tags = Type.Record(Type.String({ pattern: NAME_PATTERN, description: NAME_RULE }), Type.String({ maxLength: 1024 }), {
  maxProperties: 100,
});

export const Timestamp = Type.String({ format: 'date-time' });

/**
 * The largest value of a PostgreSQL `integer` (int4) column, which every id, version number and
 * step is stored in. A larger number in a request would make the query itself fail (a 500), so
 * every integer a request carries is bounded by the column it ends up in (a 400 naming it).
 */
export const INT4_MAX = 2_147_483_647;

/** An integer parameter that fits an `integer` column: at most INT4_MAX unless `options` says less. */
export function Int(options: IntegerOptions = {}) {
  return Type.Integer({ maximum: INT4_MAX, ...options });
}

/** A row id or version number: 1 … INT4_MAX. */
export const Id = Int({ minimum: 1 });

/**
 * `type: [T, "null"]` rather than anyOf: fast-json-stringify serialises it directly, while anyOf
 * makes it run a validator per field per response (it cost the alias lookup half its speed).
 */
export function Nullable<T extends TSchema & { type: string }>(schema: T) {
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'] });
}

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { $id: 'Problem', title: 'Problem' },
);
export type ProblemBody = Static<typeof ProblemSchema>;

export const ModelParams = Type.Object({ name: Name }, { additionalProperties: false });
export const VersionParams = Type.Object({ name: Name, version: Id }, { additionalProperties: false });

export const PageQuery = {
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
};

/**
 * A page of `item`. A named item (`$id`) makes a named page (`ModelPage`) whose example is built
 * from the item's, so every list operation documents one.
 */
export function Page<T extends TSchema>(item: T) {
  const name = typeof item.$id === 'string' ? item.$id : undefined;
  const example = Array.isArray(item.examples) ? { items: [item.examples[0]], nextCursor: null } : undefined;
  return Type.Object(
    { items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'pass as `cursor` for the next page; null on the last' }) },
    { ...(name ? { $id: `${name}Page`, title: `${name}Page` } : {}), ...(example ? { examples: [example] } : {}) },
  );
}

const errorRef = Type.Ref('Problem');

/** Where a route's own problem codes travel to the OpenAPI transform (it adds the ones every route shares). */
export const PROBLEM_CODES = 'x-problem-codes';

/**
 * A route's responses: its success bodies, plus the problem codes its own logic can answer
 * (MODEL_NOT_FOUND, MODEL_EXISTS, …), grouped by status. The codes every route of a kind shares
 * (authentication, validation, body limits, database, overload) are added by the OpenAPI
 * transform from the route's declaration (http/openapi-transform.ts).
 */
export function responses<T extends Record<number, TSchema>>(success: T, codes: readonly ErrorCode[] = []) {
  const byStatus: Record<string, ErrorCode[]> = {};
  for (const code of codes) (byStatus[String(ERRORS[code].status)] ??= []).push(code);
  const problems = Object.fromEntries(
    Object.entries(byStatus).map(([status, list]) => [status, Type.Unsafe<ProblemBody>({ $ref: 'Problem', [PROBLEM_CODES]: list })]),
  );
  // Typed as before (error statuses are Problem bodies), so handlers' reply types stay as they were.
  return { ...success, ...problems } as unknown as T & { '4xx': typeof errorRef; '5xx': typeof errorRef };
}
