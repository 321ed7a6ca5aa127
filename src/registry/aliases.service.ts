import type { Actor } from '../actor.js';
import type { EventsService } from '../events/events.service.js';
import { AppError } from '../http/errors.js';
import { INT4_MAX } from '../http/schemas.js';
import type { RegistryRepository } from './registry.repository.js';
import type { Version } from './registry.schemas.js';
import type { RegistryViews } from './views.js';

/** `latest` always means the highest version; `v<N>` always means version N. Neither can be set. */
const VERSION_REFERENCE = /^v([1-9][0-9]*)$/;

function assertSettable(alias: string): void {
  if (alias === 'latest' || VERSION_REFERENCE.test(alias)) {
    throw new AppError('ALIAS_RESERVED', `alias "${alias}" is reserved: "latest" and "v<N>" always resolve by number`, [
      { path: 'alias', message: 'is reserved' },
    ]);
  }
}

/** Bounded; a full cache is simply dropped (entries are cheap to rebuild). */
const RESOLVE_CACHE_MAX = 10_000;

export function createAliasesService(deps: { repo: RegistryRepository; views: RegistryViews; events: EventsService; now?: () => Date }) {
  const { repo, views, events } = deps;
  const now = deps.now ?? (() => new Date());
  /**
   * Alias lookup is what serving code calls on every deploy and health check. A resolved view is
   * kept with the model's revision, which database triggers bump on any change the view could
   * show (even one made by another process), so a hit costs one indexed lookup and is never stale.
   */
  const resolved = new Map<string, { modelId: number; revision: number; view: Version }>();

  return {
    /** Moves (or creates) an alias; the audit log records from → to in the same transaction. */
    async set(name: string, alias: string, version: number, actor: Actor | undefined) {
      assertSettable(alias);
      return repo.transaction(async () => {
        const model = await views.lockModel(name);
        const target = await views.requireVersion(model, version);
        const previousVersion = (await repo.findAliasTarget(model.id, alias))?.version ?? null;
        if (previousVersion !== version) {
          await repo.upsertAlias(model.id, alias, target.id, now().toISOString());
          await events.record({ type: 'alias.moved', model, data: { alias, from: previousVersion, to: version }, actor });
        }
        return { alias, version, previousVersion };
      });
    },

    /** Resolves an alias (or `latest`, or `v<N>`) to its version. */
    async resolve(name: string, alias: string): Promise<Version> {
      const cacheKey = `${name}\u0000${alias}`;
      const hit = resolved.get(cacheKey);
      if (hit) {
        const head = await repo.modelRevision(name);
        if (head && head[0] === hit.modelId && head[1] === hit.revision) return hit.view;
      }
      const model = await views.requireModel(name);
      const reference = VERSION_REFERENCE.exec(alias);
      let row;
      if (alias === 'latest') row = await repo.latestVersion(model.id);
      // v2147483648 and beyond cannot exist (versions are integer columns): not found, never a failed query.
      else if (reference) row = Number(reference[1]) <= INT4_MAX ? await repo.findVersion(model.id, Number(reference[1])) : undefined;
      else row = await repo.findAliasTarget(model.id, alias);
      if (!row) throw new AppError('ALIAS_NOT_FOUND', `model "${name}" has no alias "${alias}"`);
      const view = await views.versionView(model, row);
      if (resolved.size >= RESOLVE_CACHE_MAX) resolved.clear();
      resolved.set(cacheKey, { modelId: model.id, revision: model.revision, view });
      return view;
    },

    async remove(name: string, alias: string, actor: Actor | undefined): Promise<void> {
      assertSettable(alias);
      await repo.transaction(async () => {
        const model = await views.lockModel(name);
        const current = await repo.findAliasTarget(model.id, alias);
        if (!current) throw new AppError('ALIAS_NOT_FOUND', `model "${name}" has no alias "${alias}"`);
        const from = current.version;
        await repo.deleteAlias(model.id, alias);
        await events.record({ type: 'alias.deleted', model, data: { alias, from }, actor });
      });
    },
  };
}
export type AliasesService = ReturnType<typeof createAliasesService>;
