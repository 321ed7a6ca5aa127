import { type TProperties, Type } from '@sinclair/typebox';

/**
 * Request schemas of the MLflow routes. Proto3 JSON: every field may be left out (defaults), and
 * clients send fields this server ignores (`run_uuid` next to `run_id`), so objects are open;
 * what is sent must have the proto's type, and the services say which fields are required.
 */
export const Str = Type.Optional(Type.String({ maxLength: 65_536 }));
export const KeyValues = Type.Optional(
  Type.Array(Type.Object({ key: Type.String({ minLength: 1, maxLength: 1024 }), value: Type.Optional(Type.String({ maxLength: 65_536 })) }), {
    maxItems: 10_000,
  }),
);
export const StrList = Type.Optional(Type.Array(Type.String({ maxLength: 1024 }), { maxItems: 1000 }));
/** Query-string integers arrive as text; the services bound them (`max_results`). */
export const QueryInt = Type.Optional(Type.Union([Type.Integer(), Type.String({ maxLength: 20 })]));
export const BodyInt = Type.Optional(Type.Integer());

export const open = (properties: TProperties) => Type.Object(properties, { additionalProperties: true });

/** Route options of an MLflow route: hidden from openapi/ (documented in docs/mlflow.md), guarded by a scope. */
export const read = <S extends object>(schema: S) => ({ config: { scope: 'read' as const }, schema: { hide: true, ...schema } });
export const write = <S extends object>(schema: S) => ({ config: { scope: 'models:write' as const }, schema: { hide: true, ...schema } });
