import { createHash } from 'node:crypto';
import type { Actor } from '../actor.js';
import type { EventsService } from '../events/events.service.js';
import { isUniqueViolation } from '../db/errors.js';
import { AppError, invalidField } from '../http/errors.js';
import { decodeCursor, toPage } from '../http/pagination.js';
import type { RegistryRepository } from './registry.repository.js';
import type { CreateVersionBody, LogMetricsBody, TaskBody, Version, VersionPatchBody } from './registry.schemas.js';
import type { RegistryViews } from './views.js';

/** Stable JSON (sorted keys) so a retried body hashes the same whatever its key order. */
function canonicalHash(value: unknown): string {
  const canon = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canon)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canon((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(canon(value)))
    .digest('hex');
}

/** `positive` names a class, so it belongs to classification only. */
function checkTask(task: TaskBody | null | undefined, path: string): void {
  if (task?.type === 'regression' && task.positive !== undefined)
    throw invalidField(`${path}.positive`, 'is for a classification task only; a regression has no positive class');
}

/** Thrown inside the registration transaction to roll back its number bump when the key was seen before. */
class Replay extends Error {
  constructor(
    readonly requestHash: string,
    readonly resourceId: number,
  ) {
    super('idempotent replay');
  }
}

/** The stored columns of a new version that come straight from its body (both registration paths). */
function versionColumns(input: CreateVersionBody, features: NonNullable<CreateVersionBody['features']>, actor: Actor | undefined) {
  return {
    description: input.description ?? null,
    features,
    artifactUri: input.artifactUri ?? null,
    runId: input.runId ?? null,
    gitCommit: input.gitCommit ?? null,
    parentVersion: input.parentVersion ?? null,
    task: input.task ?? null,
    createdBy: actor?.name ?? null,
  };
}

const parentNotFound = (parentVersion: number | undefined) =>
  new AppError('PARENT_VERSION_NOT_FOUND', `parentVersion ${parentVersion} does not exist`, [{ path: 'parentVersion', message: 'does not exist' }]);

export function createVersionsService(deps: { repo: RegistryRepository; views: RegistryViews; events: EventsService; now?: () => Date }) {
  const { repo, views, events } = deps;
  const now = deps.now ?? (() => new Date());

  /** A key seen before: the version its first use created, if the body is the same. */
  async function replay(name: string, idempotencyKey: string | undefined, requestHash: string, prior: { requestHash: string; resourceId: number }) {
    if (prior.requestHash !== requestHash) {
      throw new AppError('IDEMPOTENCY_KEY_REUSED', `Idempotency-Key "${idempotencyKey}" was used for a different version body`);
    }
    const model = await views.requireModel(name);
    return { version: await views.versionView(model, (await repo.findVersionById(prior.resourceId))!), replayed: true };
  }

  /**
   * PostgreSQL: the registration is one statement (repo.registerVersion), and its answer is built
   * from what was sent — a new version has no aliases and no reference yet, and its tags, params
   * and metrics are exactly the body's — so no read follows it either.
   */
  async function registerInOneStatement(
    register: NonNullable<RegistryRepository['registerVersion']>,
    name: string,
    input: CreateVersionBody,
    features: NonNullable<CreateVersionBody['features']>,
    at: string,
    requestHash: string,
    actor: Actor | undefined,
    idempotencyKey: string | undefined,
  ): Promise<{ version: Version; replayed: boolean }> {
    const attempt = () =>
      register({
        name,
        at,
        idempotencyKey: idempotencyKey ?? null,
        requestHash,
        ...versionColumns(input, features, actor),
        tags: input.tags ?? {},
        params: input.params ?? {},
        metrics: input.metrics ?? {},
        actorKeyId: actor?.keyId ?? null,
        actorName: actor?.name ?? null,
      });
    let result;
    try {
      result = await attempt();
    } catch (error) {
      // Two first uses of one Idempotency-Key at once: the later one's key insert fails and the
      // statement leaves nothing behind; run again, it now sees the key and replays. Inside a
      // caller's transaction the failure aborts that transaction, so it is the caller's to retry.
      if (!isUniqueViolation(error) || !idempotencyKey || repo.inTransaction()) throw error;
      result = await attempt();
    }
    if (result.kind === 'no-model') throw new AppError('MODEL_NOT_FOUND', `model "${name}" does not exist`);
    if (result.kind === 'no-parent') throw parentNotFound(input.parentVersion);
    if (result.kind === 'replay') return replay(name, idempotencyKey, requestHash, result);
    events.deliveriesWritten(result.deliveries);
    const version: Version = {
      model: name,
      version: result.version,
      ...versionColumns(input, features, actor),
      tags: { ...(input.tags ?? {}) },
      params: { ...(input.params ?? {}) },
      metrics: { ...(input.metrics ?? {}) },
      aliases: [],
      reference: null,
      createdAt: at,
      updatedAt: at,
    };
    return { version, replayed: false };
  }

  return {
    /**
     * Registers the next version. The model's counter is bumped first, in the same statement that
     * locks the model row (a row lock on PostgreSQL; SQLite's BEGIN IMMEDIATE already holds the
     * database's write lock), so concurrent registrations queue on it and get 1…N with no gap and
     * no duplicate — a rolled-back registration rolls its number back too. The unique index on
     * (model, version) backs it. With an Idempotency-Key, a retry returns the version the first
     * attempt created: the key is checked under the lock, and a replay rolls the bump back.
     */
    async create(name: string, input: CreateVersionBody, actor: Actor | undefined, idempotencyKey?: string): Promise<{ version: Version; replayed: boolean }> {
      const seen = new Set<string>();
      const features = input.features ?? [];
      features.forEach((f, i) => {
        if (seen.has(f.name)) throw invalidField(`features[${i}].name`, `duplicate feature "${f.name}"`);
        seen.add(f.name);
      });
      checkTask(input.task, 'task');
      const at = now().toISOString();
      const requestHash = canonicalHash(input);
      if (repo.registerVersion) return registerInOneStatement(repo.registerVersion, name, input, features, at, requestHash, actor, idempotencyKey);
      try {
        const result = await repo.transaction(async () => {
          const model = await repo.claimVersionNumber(name, at);
          if (!model) throw new AppError('MODEL_NOT_FOUND', `model "${name}" does not exist`);
          const number = model.lastVersion;
          const scope = `version:${model.id}`;
          if (idempotencyKey) {
            const prior = await repo.findIdempotencyKey(scope, idempotencyKey);
            if (prior) throw new Replay(prior.requestHash, prior.resourceId);
          }
          if (input.parentVersion !== undefined && !(await repo.findVersion(model.id, input.parentVersion))) throw parentNotFound(input.parentVersion);
          const row = await repo.insertVersion({
            modelId: model.id,
            version: number,
            ...versionColumns(input, features, actor),
            createdAt: at,
            updatedAt: at,
          });
          await repo.insertVersionTags(row.id, input.tags ?? {});
          await repo.insertVersionParams(row.id, input.params ?? {});
          await repo.insertMetrics(Object.entries(input.metrics ?? {}).map(([key, value]) => ({ versionId: row.id, key, value, step: 0, timestamp: at })));
          if (idempotencyKey) await repo.insertIdempotencyKey({ scope, key: idempotencyKey, requestHash, resourceId: row.id, createdAt: at });
          await events.record({ type: 'version.created', model, data: { version: number, parentVersion: row.parentVersion, runId: row.runId }, actor });
          return { model, row };
        });
        return { version: await views.versionView(result.model, result.row), replayed: false };
      } catch (error) {
        if (!(error instanceof Replay)) throw error;
        return replay(name, idempotencyKey, requestHash, error);
      }
    },

    async get(name: string, version: number): Promise<Version> {
      const model = await views.requireModel(name);
      return await views.versionView(model, await views.requireVersion(model, version));
    },

    async list(name: string, query: { limit: number; cursor?: string }) {
      const model = await views.requireModel(name);
      const before = decodeCursor<number>(query.cursor, 'number');
      const page = toPage(await repo.listVersions(model.id, query.limit + 1, before), query.limit, (r) => r.version);
      return { items: await Promise.all(page.items.map((r) => views.versionView(model, r))), nextCursor: page.nextCursor };
    },

    async update(name: string, version: number, patch: VersionPatchBody, actor: Actor | undefined): Promise<Version> {
      checkTask(patch.task, 'task');
      const { model, id } = await repo.transaction(async () => {
        const model = await views.requireModel(name);
        const row = await views.requireVersion(model, version);
        const changes: Record<string, unknown> = { updatedAt: now().toISOString() };
        if (patch.description !== undefined) changes.description = patch.description;
        if (patch.task !== undefined) changes.task = patch.task;
        await repo.updateVersion(row.id, changes);
        if (patch.tags !== undefined) await repo.setVersionTags(row.id, patch.tags);
        await events.record({ type: 'version.updated', model, data: { version, ...patch }, actor });
        return { model, id: row.id };
      });
      return views.versionView(model, (await repo.findVersionById(id))!);
    },

    async logMetrics(name: string, version: number, body: LogMetricsBody): Promise<{ accepted: number }> {
      const at = now().toISOString();
      await repo.transaction(async () => {
        const model = await views.requireModel(name);
        const row = await views.requireVersion(model, version);
        await repo.insertMetrics(
          body.metrics.map((m) => ({
            versionId: row.id,
            key: m.key,
            value: m.value,
            step: m.step ?? 0,
            timestamp: m.timestamp ? new Date(m.timestamp).toISOString() : at,
          })),
        );
      });
      return { accepted: body.metrics.length };
    },

    async listMetrics(name: string, version: number, query: { limit: number; cursor?: string; key?: string }) {
      const model = await views.requireModel(name);
      const row = await views.requireVersion(model, version);
      const after = decodeCursor<number>(query.cursor, 'number');
      const page = toPage(await repo.listMetrics(row.id, query.limit + 1, after, query.key), query.limit, (m) => m.id);
      return { items: page.items.map((m) => ({ key: m.key, value: m.value, step: m.step, timestamp: m.timestamp })), nextCursor: page.nextCursor };
    },
  };
}
export type VersionsService = ReturnType<typeof createVersionsService>;
