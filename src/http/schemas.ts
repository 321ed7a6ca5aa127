import { type IntegerOptions, Type, type Static, type TSchema } from '@sinclair/typebox';

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

export function Page<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });
}

const errorRef = Type.Ref('Problem');

/** Every route documents the shared problem response for its error statuses. */
export function responses<T extends Record<number, TSchema>>(success: T) {
  return { ...success, '4xx': errorRef, '5xx': errorRef };
}
