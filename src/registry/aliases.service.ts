import type { Actor } from '../actor.js';
import type { EventsService } from '../events/events.service.js';
import { AppError } from '../http/errors.js';
import { INT4_MAX } from '../http/schemas.js';
import type { ModelChanges } from './model-changes.js';
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

interface Resolved {
  modelId: number;
  revision: number;
  view: Version;
  /** The view as JSON, made on the first serving-path hit and reused while the entry holds. */
  json?: string;
  /** ModelChanges stamp and the model's generation taken before the read that validated the entry. */
  stamp: number | undefined;
  generation: number;
  /** Past this (ms, performance.now), a hit is checked with a round trip even if no change was pushed. */
  trustedUntil: number;
}

export function createAliasesService(deps: {
  repo: RegistryRepository;
  views: RegistryViews;
  events: EventsService;
  now?: () => Date;
  /** Pushed model changes (PostgreSQL): hits without a round trip. Without it, every hit checks the revision. */
  changes?: ModelChanges;
  /** How long a pushed-valid entry is trusted without a round trip (ALIAS_CACHE_TTL_MS): the bound for a lost notification. */
  trustMs?: number;
}) {
  const { repo, views, events, changes } = deps;
  const now = deps.now ?? (() => new Date());
  const trustMs = deps.trustMs ?? 1_000;
  /**
   * Alias lookup is what serving code calls on every deploy and health check. A resolved view is
   * kept with the model's revision, which database triggers bump on any change the view could
   * show (even one made by another process). A hit is served as is while nothing says the model
   * changed (see ModelChanges; at most `trustMs`), otherwise checked with one indexed lookup of
   * the revision — so it is never older than a change this process completed before the read.
   */
  const resolved = new Map<string, Resolved>();
  const stampNow = () => {
    const stamp = changes?.stamp();
    return { stamp, at: performance.now() };
  };
  const trusted = (hit: Resolved) =>
    hit.stamp !== undefined && hit.stamp === changes!.stamp() && hit.generation === changes!.generation(hit.modelId) && performance.now() < hit.trustedUntil;

  async function resolveEntry(name: string, alias: string): Promise<Resolved> {
    const cacheKey = `${name}\u0000${alias}`;
    const hit = resolved.get(cacheKey);
    if (hit && trusted(hit)) return hit;
    // Taken before any read below: a change reported after this moment distrusts the entry.
    const before = stampNow();
    if (hit) {
      const generation = changes?.generation(hit.modelId) ?? 0;
      const head = await repo.modelRevision(name);
      if (head && head[0] === hit.modelId && head[1] === hit.revision) {
        hit.stamp = before.stamp;
        hit.generation = generation;
        hit.trustedUntil = before.at + trustMs;
        return hit;
      }
    }
    const model = await views.requireModel(name);
    const generation = changes?.generation(model.id) ?? 0;
    const reference = VERSION_REFERENCE.exec(alias);
    let row;
    if (alias === 'latest') row = await repo.latestVersion(model.id);
    // v2147483648 and beyond cannot exist (versions are integer columns): not found, never a failed query.
    else if (reference) row = Number(reference[1]) <= INT4_MAX ? await repo.findVersion(model.id, Number(reference[1])) : undefined;
    else row = await repo.findAliasTarget(model.id, alias);
    if (!row) throw new AppError('ALIAS_NOT_FOUND', `model "${name}" has no alias "${alias}"`);
    const view = await views.versionView(model, row);
    if (resolved.size >= RESOLVE_CACHE_MAX) resolved.clear();
    // The generation is read after the model row (only then is the id known): a change notified
    // before this point committed before the reads that follow, which show it; one notified
    // later moves the generation and distrusts the entry.
    const entry: Resolved = { modelId: model.id, revision: model.revision, view, stamp: before.stamp, generation, trustedUntil: before.at + trustMs };
    resolved.set(cacheKey, entry);
    return entry;
  }

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
      return (await resolveEntry(name, alias)).view;
    },

    /** resolve, as the JSON the route sends: serialised once per cache entry, not per request. */
    async resolveJson(name: string, alias: string): Promise<string> {
      const entry = await resolveEntry(name, alias);
      entry.json ??= JSON.stringify(entry.view);
      return entry.json;
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
