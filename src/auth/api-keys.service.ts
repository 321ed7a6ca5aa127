import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { isUniqueViolation } from '../db/errors.js';
import { AppError } from '../http/errors.js';
import { decodeCursor, toPage } from '../http/pagination.js';
import type { EventsService } from '../events/events.service.js';
import type { ApiKeyRow, ApiKeysRepository } from './api-keys.repository.js';
import type { Actor } from '../actor.js';
import type { Scope } from './scopes.js';

// Re-exported for existing importers; new code imports it from src/actor.ts.
export type { Actor };

export interface ApiKeyView {
  id: string;
  name: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** 32 random bytes: unguessable, so sha256 at rest is enough (no slow KDF needed). */
export function generateToken(): string {
  return `mlc_${randomBytes(32).toString('base64url')}`;
}

const view = (row: ApiKeyRow): ApiKeyView => ({
  id: row.id,
  name: row.name,
  scopes: row.scopes,
  createdAt: row.createdAt,
  lastUsedAt: row.lastUsedAt,
});

// last_used_at is advisory; writing it on every request would serialise reads on the write lock.
const TOUCH_INTERVAL_MS = 60_000;
/**
 * Authenticated keys are remembered briefly: the lookup is on every request. A revocation made by
 * this process applies at once; one made by another process (a second API node) within this TTL.
 */
const AUTH_CACHE_TTL_MS = 5_000;
const AUTH_CACHE_MAX = 1_000;

export function createApiKeysService(deps: { repo: ApiKeysRepository; events: EventsService; now?: () => Date }) {
  const { repo, events } = deps;
  const now = deps.now ?? (() => new Date());
  const lastTouched = new Map<string, number>();
  const authCache = new Map<string, { actor: Actor; expires: number }>();

  function insertKey(name: string, scopes: string[], token: string): Promise<ApiKeyRow> {
    return repo.insert({
      id: randomUUID(),
      name,
      scopes,
      tokenHash: hashToken(token),
    });
  }

  return {
    /**
     * The cache alone, synchronously (the serving path's hit): the key's actor while its entry is
     * live, otherwise undefined — then `authenticate` decides.
     */
    cached(token: string): Actor | undefined {
      const entry = authCache.get(hashToken(token));
      return entry && entry.expires > now().getTime() ? entry.actor : undefined;
    },

    /** Resolves a bearer token to its key; undefined when unknown or revoked. */
    async authenticate(token: string): Promise<Actor | undefined> {
      const hash = hashToken(token);
      const t = now().getTime();
      const cached = authCache.get(hash);
      if (cached && cached.expires > t) return cached.actor;
      const row = await repo.findActiveByHash(hash);
      if (!row) {
        authCache.delete(hash);
        return undefined;
      }
      if ((lastTouched.get(row.id) ?? 0) + TOUCH_INTERVAL_MS < t) {
        lastTouched.set(row.id, t);
        // Advisory, so not awaited by the request; its own small transaction (writes need one).
        void repo.transaction(() => repo.touch(row.id, new Date(t).toISOString())).catch(() => undefined);
      }
      const actor = { keyId: row.id, name: row.name, scopes: row.scopes };
      if (authCache.size >= AUTH_CACHE_MAX) authCache.clear();
      authCache.set(hash, { actor, expires: t + AUTH_CACHE_TTL_MS });
      return actor;
    },

    async create(input: { name: string; scopes: Scope[] }, actor: Actor | undefined): Promise<ApiKeyView & { token: string }> {
      const token = generateToken();
      const row = await repo.transaction(async () => {
        const inserted = await insertKey(input.name, [...new Set(input.scopes)], token);
        await events.record({ type: 'api_key.created', data: { id: inserted.id, name: inserted.name, scopes: inserted.scopes }, actor });
        return inserted;
      });
      return { ...view(row), token };
    },

    async list(limit: number, cursor?: string) {
      const after = decodeCursor<string>(cursor, 'string');
      return toPage((await repo.listActive(limit + 1, after)).map(view), limit, (k) => k.id);
    },

    async revoke(id: string, actor: Actor | undefined): Promise<void> {
      await repo.transaction(async () => {
        const row = await repo.findById(id);
        if (!row || row.revokedAt) throw new AppError('API_KEY_NOT_FOUND', `no active API key ${id}`);
        if (row.scopes.includes('admin') && (await repo.countActiveAdmins()) <= 1) {
          throw new AppError('LAST_ADMIN_KEY', 'revoking this key would leave no admin key; create another first');
        }
        await repo.revoke(id, now().toISOString());
        await events.record({ type: 'api_key.revoked', data: { id, name: row.name }, actor });
      });
      for (const [hash, entry] of authCache) if (entry.actor.keyId === id) authCache.delete(hash);
    },

    /**
     * The first admin key: ADMIN_TOKEN when given (registered idempotently), otherwise a token
     * generated once when no admin key exists. Returns the token only when it was generated.
     * A revoked ADMIN_TOKEN stays revoked (rotation: create a new admin key, revoke the bootstrap
     * one, leave ADMIN_TOKEN in the environment): start-up goes on and reports `revokedKeyId`.
     */
    async bootstrapAdmin(adminToken: string | undefined): Promise<{ generatedToken?: string; revokedKeyId?: string }> {
      const attempt = () =>
        repo.transaction(async (): Promise<{ generatedToken?: string; revokedKeyId?: string }> => {
          if (adminToken !== undefined) {
            const existing = await repo.findByHash(hashToken(adminToken));
            if (existing?.revokedAt) return { revokedKeyId: existing.id };
            if (!existing) await insertKey('bootstrap-admin', ['admin'], adminToken);
            return {};
          }
          if ((await repo.countActiveAdmins()) > 0) return {};
          const token = generateToken();
          await insertKey('bootstrap-admin', ['admin'], token);
          return { generatedToken: token };
        });
      try {
        return await attempt();
      } catch (error) {
        // Several processes starting at once with the same ADMIN_TOKEN (PostgreSQL lets them all
        // see "no key yet"): one insert wins, the unique index stops the others, who then find it.
        if (!isUniqueViolation(error)) throw error;
        return attempt();
      }
    },
  };
}
export type ApiKeysService = ReturnType<typeof createApiKeysService>;
