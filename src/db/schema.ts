import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * Registry metadata. Timestamps are ISO-8601 UTC strings (sortable as text, readable in SQL).
 * Every dedupe the service relies on is backed by a unique constraint here, so a retry or a
 * race can never produce a second row.
 */
const createdAt = () => text('created_at').notNull().default(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`);

export const models = sqliteTable('models', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull(),
  description: text('description'),
  /** Highest version number ever issued; versions are numbered from it so numbers are never reused. */
  lastVersion: integer('last_version').notNull().default(0),
  /**
   * Bumped by triggers (migrations/0001) on any change to the model's versions, tags, params,
   * metrics or aliases, so readers can validate a cached view with one indexed lookup — from
   * any process writing the same database.
   */
  revision: integer('revision').notNull().default(0),
  createdAt: createdAt(),
  updatedAt: text('updated_at').notNull(),
}, (t) => [uniqueIndex('models_name_unique').on(t.name)]);

export const modelTags = sqliteTable('model_tags', {
  modelId: integer('model_id').notNull().references(() => models.id, { onDelete: 'cascade' }),
  key: text('key').notNull(),
  value: text('value').notNull(),
}, (t) => [primaryKey({ columns: [t.modelId, t.key] }), index('model_tags_kv').on(t.key, t.value)]);

export const versions = sqliteTable('versions', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  modelId: integer('model_id').notNull().references(() => models.id, { onDelete: 'cascade' }),
  version: integer('version').notNull(),
  description: text('description'),
  features: text('features', { mode: 'json' }).notNull().$type<{ name: string; type: 'numeric' | 'categorical' }[]>(),
  artifactUri: text('artifact_uri'),
  runId: text('run_id'),
  gitCommit: text('git_commit'),
  parentVersion: integer('parent_version'),
  createdBy: text('created_by'),
  createdAt: createdAt(),
  updatedAt: text('updated_at').notNull(),
}, (t) => [uniqueIndex('versions_model_version_unique').on(t.modelId, t.version)]);

export const versionTags = sqliteTable('version_tags', {
  versionId: integer('version_id').notNull().references(() => versions.id, { onDelete: 'cascade' }),
  key: text('key').notNull(),
  value: text('value').notNull(),
}, (t) => [primaryKey({ columns: [t.versionId, t.key] })]);

export const versionParams = sqliteTable('version_params', {
  versionId: integer('version_id').notNull().references(() => versions.id, { onDelete: 'cascade' }),
  key: text('key').notNull(),
  value: text('value').notNull(),
}, (t) => [primaryKey({ columns: [t.versionId, t.key] })]);

export const versionMetrics = sqliteTable('version_metrics', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  versionId: integer('version_id').notNull().references(() => versions.id, { onDelete: 'cascade' }),
  key: text('key').notNull(),
  value: real('value').notNull(),
  step: integer('step').notNull().default(0),
  timestamp: text('timestamp').notNull(),
}, (t) => [index('version_metrics_series').on(t.versionId, t.key, t.step)]);

export const aliases = sqliteTable('aliases', {
  modelId: integer('model_id').notNull().references(() => models.id, { onDelete: 'cascade' }),
  alias: text('alias').notNull(),
  versionId: integer('version_id').notNull().references(() => versions.id, { onDelete: 'cascade' }),
  updatedAt: text('updated_at').notNull(),
}, (t) => [primaryKey({ columns: [t.modelId, t.alias] })]);

export const artifacts = sqliteTable('artifacts', {
  versionId: integer('version_id').notNull().references(() => versions.id, { onDelete: 'cascade' }),
  path: text('path').notNull(),
  storageKey: text('storage_key').notNull(),
  size: integer('size').notNull(),
  sha256: text('sha256').notNull(),
  contentType: text('content_type').notNull(),
  createdAt: createdAt(),
}, (t) => [primaryKey({ columns: [t.versionId, t.path] })]);

/** Audit log. No foreign key: the trail of a deleted model must survive the model. */
export const events = sqliteTable('events', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  modelId: integer('model_id'),
  modelName: text('model_name'),
  type: text('type').notNull(),
  data: text('data', { mode: 'json' }).notNull().$type<Record<string, unknown>>(),
  actorKeyId: text('actor_key_id'),
  actorName: text('actor_name'),
  createdAt: createdAt(),
}, (t) => [index('events_model').on(t.modelId, t.id)]);

export const apiKeys = sqliteTable('api_keys', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** sha256 of the whole token: tokens are 256-bit random, so a slow KDF buys nothing here. */
  tokenHash: text('token_hash').notNull(),
  // token_prefix dropped (migration 0002): for a user-chosen ADMIN_TOKEN it was half the secret.
  scopes: text('scopes', { mode: 'json' }).notNull().$type<string[]>(),
  createdAt: createdAt(),
  lastUsedAt: text('last_used_at'),
  revokedAt: text('revoked_at'),
}, (t) => [uniqueIndex('api_keys_token_hash_unique').on(t.tokenHash)]);

/** Remembered responses for Idempotency-Key retries, scoped per operation. */
export const idempotencyKeys = sqliteTable('idempotency_keys', {
  scope: text('scope').notNull(),
  key: text('key').notNull(),
  requestHash: text('request_hash').notNull(),
  resourceId: integer('resource_id').notNull(),
  createdAt: createdAt(),
}, (t) => [primaryKey({ columns: [t.scope, t.key] })]);
