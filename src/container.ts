import { createArtifactStore } from './artifacts/index.js';
import type { ArtifactStore } from './artifacts/artifact-store.js';
import { createApiKeysRepository } from './auth/api-keys.repository.js';
import { createApiKeysService } from './auth/api-keys.service.js';
import type { Config } from './config.js';
import { openDatabase, type Database } from './db/client.js';
import { createEventsRepository } from './events/events.repository.js';
import { createEventsService } from './events/events.service.js';
import { createAliasesService } from './registry/aliases.service.js';
import { createArtifactsService } from './registry/artifacts.service.js';
import { createModelsService } from './registry/models.service.js';
import { createRegistryRepository } from './registry/registry.repository.js';
import { createVersionsService } from './registry/versions.service.js';
import { createRegistryViews } from './registry/views.js';

export interface ContainerOverrides {
  store?: ArtifactStore;
  now?: () => Date;
  log?: (message: string) => void;
}

/** Wires the database, the stores and the services once; the API and the workers share it. */
export async function createContainer(config: Config, overrides: ContainerOverrides = {}) {
  const database: Database = await openDatabase(config.database, overrides.log);
  const store = overrides.store ?? createArtifactStore(config.artifacts);
  const now = overrides.now;

  const events = createEventsService({ repo: createEventsRepository(database), now });
  const apiKeys = createApiKeysService({ repo: createApiKeysRepository(database), events, now });
  const repo = createRegistryRepository(database);
  const views = createRegistryViews(repo);

  return {
    config,
    database,
    store,
    events,
    apiKeys,
    models: createModelsService({ repo, views, events, store, now }),
    versions: createVersionsService({ repo, views, events, now }),
    aliases: createAliasesService({ repo, views, events, now }),
    artifacts: createArtifactsService({ repo, views, events, store, now }),
    readiness: {
      database: () => database.ping(),
      artifactStore: () => store.ping(),
    },
    async close(): Promise<void> {
      await database.close();
    },
  };
}
export type Container = Awaited<ReturnType<typeof createContainer>>;
