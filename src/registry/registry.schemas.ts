import { Type, type Static } from '@sinclair/typebox';
import { EventTypeQuery } from '../events/events.schemas.js';
import { Id, Int, Name, Nullable, PageQuery, Tags, Timestamp } from '../http/schemas.js';

const Description = Type.String({ maxLength: 10_000 });
const FiniteNumber = Type.Number(); // ajv rejects NaN/±Infinity for type number

/** A plain string enum (not a union of literals) so a bad value gets one clear error. */
export const FeatureType = Type.Unsafe<'numeric' | 'categorical'>({ type: 'string', enum: ['numeric', 'categorical'] });

/** What a column is; `id` and `timestamp` columns are stored but never drift features. */
export const FeatureRole = Type.Unsafe<'feature' | 'id' | 'timestamp'>({
  type: 'string',
  enum: ['feature', 'id', 'timestamp'],
  description: 'default feature',
});

export const Feature = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 256 }), type: FeatureType, role: Type.Optional(FeatureRole) },
  { additionalProperties: false, $id: 'Feature', title: 'Feature', examples: [{ name: 'age', type: 'numeric' }] },
);

/**
 * What the model predicts: drift reports compute performance for it (docs/drift-semantics.md,
 * "Performance"). `positive` (classification only) is the class that binary scores and the
 * binary precision/recall/F1 are about; classes are integers or strings.
 */
export const Task = Type.Object(
  {
    type: Type.Unsafe<'classification' | 'regression'>({ type: 'string', enum: ['classification', 'regression'] }),
    // Integer classes within int4, as every integer the API takes (labels are compared as numbers).
    positive: Type.Optional(
      Type.Union([Type.Integer({ minimum: -2147483648, maximum: 2147483647 }), Type.String({ minLength: 1, maxLength: 256 })], {
        description: 'classification only',
      }),
    ),
  },
  { additionalProperties: false, $id: 'Task', title: 'Task', examples: [{ type: 'classification', positive: 1 }] },
);
export type TaskBody = Static<typeof Task>;

/** Params keep their JSON scalar type: 0.1 stays a number, true a boolean, "adam" a string. */
const ParamValue = Type.Union([Type.String({ maxLength: 4096 }), Type.Number(), Type.Boolean()]);

// ---- models
export const CreateModelBody = Type.Object(
  { name: Name, description: Type.Optional(Description), tags: Type.Optional(Tags) },
  { additionalProperties: false, examples: [{ name: 'churn', description: 'Monthly churn classifier', tags: { team: 'growth' } }] },
);
export type CreateModelBody = Static<typeof CreateModelBody>;

/** The editable fields of a model or a version: description (null clears it) and tags (replaced whole). */
export const PatchBody = Type.Object(
  { description: Type.Optional(Type.Union([Description, Type.Null()])), tags: Type.Optional(Tags) },
  { additionalProperties: false, minProperties: 1, examples: [{ description: 'Monthly churn classifier, EU', tags: { team: 'growth', region: 'eu' } }] },
);
export type PatchBody = Static<typeof PatchBody>;

/** A version's editable fields: the model's, plus its task (null clears it). */
export const VersionPatchBody = Type.Object(
  { description: Type.Optional(Type.Union([Description, Type.Null()])), tags: Type.Optional(Tags), task: Type.Optional(Type.Union([Task, Type.Null()])) },
  { additionalProperties: false, minProperties: 1, examples: [{ task: { type: 'classification', positive: 1 } }] },
);
export type VersionPatchBody = Static<typeof VersionPatchBody>;

export const ListModelsQuery = Type.Object(
  {
    ...PageQuery,
    q: Type.Optional(Type.String({ maxLength: 256 })),
    tag: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}:.*$', maxLength: 1200 }), { maxItems: 20 })),
  },
  { additionalProperties: false },
);
export type ListModelsQuery = Static<typeof ListModelsQuery>;

export const Model = Type.Object(
  {
    name: Type.String(),
    description: Nullable(Type.String()),
    tags: Type.Record(Type.String(), Type.String()),
    latestVersion: Nullable(Type.Integer({ description: 'null until the first version is registered' })),
    aliases: Type.Record(Type.String(), Type.Integer(), { description: 'alias → version number' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  {
    $id: 'Model',
    title: 'Model',
    examples: [
      {
        name: 'churn',
        description: 'Monthly churn classifier',
        tags: { team: 'growth' },
        latestVersion: 3,
        aliases: { production: 2, staging: 3 },
        createdAt: '2026-11-02T09:15:00.000Z',
        updatedAt: '2026-12-01T16:40:12.000Z',
      },
    ],
  },
);
export type Model = Static<typeof Model>;

// ---- versions
export const CreateVersionBody = Type.Object(
  {
    features: Type.Optional(
      Type.Array(Feature, {
        minItems: 1,
        maxItems: 10_000,
        description: 'the columns drift is computed on; when left out, the first reference upload declares them (its columns and types)',
      }),
    ),
    artifactUri: Type.Optional(Type.String({ maxLength: 2048 })),
    runId: Type.Optional(Type.String({ maxLength: 256 })),
    gitCommit: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{7,64}$' })),
    description: Type.Optional(Description),
    tags: Type.Optional(Tags),
    params: Type.Optional(
      Type.Record(Type.String({ minLength: 1, maxLength: 256 }), ParamValue, {
        maxProperties: 1000,
        description: 'hyperparameters; each value is a JSON string, number or boolean and is returned with the same type',
      }),
    ),
    metrics: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 256 }), FiniteNumber, { maxProperties: 1000 })),
    parentVersion: Type.Optional(Id),
    /** Without it, reports say performance is off; a retrained version inherits its parent's. */
    task: Type.Optional(Task),
  },
  {
    additionalProperties: false,
    examples: [
      {
        features: [
          { name: 'age', type: 'numeric' },
          { name: 'plan', type: 'categorical' },
        ],
        runId: 'run-2026-12-01',
        gitCommit: '3f2a9c1',
        params: { max_depth: 6, criterion: 'gini' },
        metrics: { accuracy: 0.91 },
        parentVersion: 2,
        task: { type: 'classification', positive: 1 },
      },
    ],
  },
);
export type CreateVersionBody = Static<typeof CreateVersionBody>;

export const Version = Type.Object(
  {
    model: Type.String(),
    version: Type.Integer(),
    description: Nullable(Type.String()),
    features: Type.Array(Feature),
    artifactUri: Nullable(Type.String()),
    runId: Nullable(Type.String()),
    gitCommit: Nullable(Type.String()),
    parentVersion: Nullable(Type.Integer()),
    task: Nullable(Task),
    tags: Type.Record(Type.String(), Type.String()),
    params: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
    metrics: Type.Record(Type.String(), Type.Number()),
    aliases: Type.Array(Type.String()),
    /** The version's reference profile (what its drift reports compare with), null when it has none. */
    reference: Nullable(
      Type.Object({
        rows: Type.Integer(),
        source: Type.Union([Type.Literal('uploaded'), Type.Literal('trainer-output'), Type.Literal('training-data')]),
        sha256: Type.String(),
        updatedAt: Timestamp,
      }),
    ),
    createdBy: Nullable(Type.String()),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  {
    $id: 'Version',
    title: 'Version',
    examples: [
      {
        model: 'churn',
        version: 3,
        description: null,
        features: [
          { name: 'age', type: 'numeric' },
          { name: 'plan', type: 'categorical' },
        ],
        artifactUri: null,
        runId: 'run-2026-12-01',
        gitCommit: '3f2a9c1',
        parentVersion: 2,
        task: { type: 'classification', positive: 1 },
        tags: { trainer: 'sklearn' },
        params: { max_depth: 6, criterion: 'gini' },
        metrics: { accuracy: 0.91 },
        aliases: ['staging'],
        reference: {
          rows: 50000,
          source: 'uploaded',
          sha256: 'a3f5c0de9b1e4f27a3f5c0de9b1e4f27a3f5c0de9b1e4f27a3f5c0de9b1e4f27',
          updatedAt: '2026-12-01T16:45:00.000Z',
        },
        createdBy: 'key_7f3a',
        createdAt: '2026-12-01T16:40:12.000Z',
        updatedAt: '2026-12-01T16:45:00.000Z',
      },
    ],
  },
);
export type Version = Static<typeof Version>;

// ---- metrics
export const MetricPoint = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 256 }),
    value: FiniteNumber,
    step: Type.Optional(Int({ minimum: 0 })),
    timestamp: Type.Optional(Timestamp),
  },
  { additionalProperties: false },
);
export const LogMetricsBody = Type.Object(
  { metrics: Type.Array(MetricPoint, { minItems: 1, maxItems: 10_000 }) },
  { additionalProperties: false, examples: [{ metrics: [{ key: 'val_loss', value: 0.231, step: 12 }] }] },
);
export type LogMetricsBody = Static<typeof LogMetricsBody>;
export const Metric = Type.Object(
  { key: Type.String(), value: Type.Number(), step: Type.Integer(), timestamp: Timestamp },
  { $id: 'Metric', title: 'Metric', examples: [{ key: 'val_loss', value: 0.231, step: 12, timestamp: '2026-12-01T16:20:00.000Z' }] },
);
export const ListMetricsQuery = Type.Object({ ...PageQuery, key: Type.Optional(Type.String({ maxLength: 256 })) }, { additionalProperties: false });

// ---- aliases
export const AliasParams = Type.Object({ name: Name, alias: Name }, { additionalProperties: false });
export const SetAliasBody = Type.Object({ version: Id }, { additionalProperties: false, examples: [{ version: 3 }] });
export const AliasView = Type.Object(
  {
    alias: Type.String(),
    version: Type.Integer(),
    previousVersion: Nullable(Type.Integer({ description: 'where the alias pointed before; null when it is new' })),
  },
  { $id: 'Alias', title: 'Alias', examples: [{ alias: 'production', version: 3, previousVersion: 2 }] },
);

// ---- artifacts
export const Artifact = Type.Object(
  {
    path: Type.String(),
    size: Type.Integer(),
    sha256: Type.String(),
    contentType: Type.String(),
    createdAt: Timestamp,
  },
  {
    $id: 'Artifact',
    title: 'Artifact',
    examples: [
      {
        path: 'model/weights.bin',
        size: 1048576,
        sha256: 'a3f5c0de9b1e4f27a3f5c0de9b1e4f27a3f5c0de9b1e4f27a3f5c0de9b1e4f27',
        contentType: 'application/octet-stream',
        createdAt: '2026-12-01T16:41:00.000Z',
      },
    ],
  },
);
export type Artifact = Static<typeof Artifact>;

// ---- audit log (the event view lives in events/)
export { Event } from '../events/events.schemas.js';
export const EventsQuery = Type.Object({ ...PageQuery, type: Type.Optional(EventTypeQuery) }, { additionalProperties: false });
