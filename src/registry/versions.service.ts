import { createHash } from 'node:crypto';
import type { Actor } from '../actor.js';
import type { EventsService } from '../events/events.service.js';
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

export function createVersionsService(deps: { repo: RegistryRepository; views: RegistryViews; events: EventsService; now?: () => Date }) {
  const { repo, views, events } = deps;
  const now = deps.now ?? (() => new Date());

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
          if (input.parentVersion !== undefined && !(await repo.findVersion(model.id, input.parentVersion))) {
            throw new AppError('PARENT_VERSION_NOT_FOUND', `parentVersion ${input.parentVersion} does not exist`, [
              { path: 'parentVersion', message: 'does not exist' },
            ]);
          }
          const row = await repo.insertVersion({
            modelId: model.id,
            version: number,
            description: input.description ?? null,
            features,
            artifactUri: input.artifactUri ?? null,
            runId: input.runId ?? null,
            gitCommit: input.gitCommit ?? null,
            parentVersion: input.parentVersion ?? null,
            task: input.task ?? null,
            createdBy: actor?.name ?? null,
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
        if (error.requestHash !== requestHash) {
          throw new AppError('IDEMPOTENCY_KEY_REUSED', `Idempotency-Key "${idempotencyKey}" was used for a different version body`);
        }
        const model = await views.requireModel(name);
        return { version: await views.versionView(model, (await repo.findVersionById(error.resourceId))!), replayed: true };
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
