import type { Actor } from '../actor.js';
import type { EventsService } from '../events/events.service.js';
import type { RegistryRepository } from '../registry/registry.repository.js';
import type { RegistryViews } from '../registry/views.js';
import { resolveMonitor, validateMonitorConfig } from './monitor-config.js';
import type { MonitoringRepository } from './monitoring.repository.js';
import type { MonitorConfig } from './monitoring.schemas.js';

/** PUT/GET of a model's monitor. A model that never had one is monitored with the defaults. */
export function createMonitorsService(deps: { repo: MonitoringRepository; registry: RegistryRepository; views: RegistryViews; events: EventsService; now?: () => Date }) {
  const { repo, registry, views, events } = deps;
  const now = deps.now ?? (() => new Date());

  function view(name: string, config: MonitorConfig, updatedAt: string | null) {
    const settings = resolveMonitor(config);
    return { model: name, config, effective: { ...settings, window: settings.window } as Record<string, unknown>, updatedAt };
  }

  return {
    async get(name: string) {
      const model = await views.requireModel(name);
      const config = (await repo.monitorConfig(model.id)) as MonitorConfig | undefined;
      return view(model.name, config ?? {}, null);
    },

    async put(name: string, config: MonitorConfig, actor: Actor | undefined) {
      const model = await views.requireModel(name);
      const latest = await registry.latestVersion(model.id);
      validateMonitorConfig(config, latest?.features);
      const at = now().toISOString();
      await repo.transaction(async () => {
        await repo.putMonitorConfig(model.id, config as Record<string, unknown>, at);
        await events.record({ type: 'monitor.updated', model, data: { config }, actor });
      });
      return view(model.name, config, at);
    },
  };
}
export type MonitorsService = ReturnType<typeof createMonitorsService>;
