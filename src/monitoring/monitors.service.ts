import type { Actor } from '../actor.js';
import type { EventsService } from '../events/events.service.js';
import type { RegistryRepository } from '../registry/registry.repository.js';
import type { RegistryViews } from '../registry/views.js';
import { AppError } from '../http/errors.js';
import { validateRetrainConfig } from '../retraining/retrain-config.js';
import { publicExecutor } from '../retraining/retrain-jobs.service.js';
import { resolveMonitor, validateMonitorConfig } from './monitor-config.js';
import type { MonitoringRepository } from './monitoring.repository.js';
import type { MonitorConfig } from './monitoring.schemas.js';

/** PUT/GET of a model's monitor. A model that never had one is monitored with the defaults. */
export function createMonitorsService(deps: {
  repo: MonitoringRepository;
  registry: RegistryRepository;
  views: RegistryViews;
  events: EventsService;
  /** The outbound URL policy: a webhook executor's target must not be a private address. */
  checkUrl?: (url: string, field: string) => Promise<void>;
  now?: () => Date;
}) {
  const { repo, registry, views, events } = deps;
  const now = deps.now ?? (() => new Date());

  /** An executor's secret and environment values are write-only: never in a view or an event. */
  function masked(config: MonitorConfig): MonitorConfig {
    if (!config.retrain) return config;
    return { ...config, retrain: { ...config.retrain, executor: publicExecutor(config.retrain.executor) } } as MonitorConfig;
  }

  function view(name: string, config: MonitorConfig, updatedAt: string | null) {
    const settings = resolveMonitor(config);
    return { model: name, config: masked(config), effective: { ...settings, window: settings.window } as Record<string, unknown>, updatedAt };
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
      const isAdmin = actor?.scopes.includes('admin') ?? false;
      if (config.retrain) {
        // The worker runs the executor's command (or calls its URL with the training data):
        // choosing it is an admin's decision, not any models:write key's.
        if (!isAdmin)
          throw new AppError('FORBIDDEN', 'setting a retrain policy (its executor runs on the workers) needs the "admin" scope', [
            { path: 'retrain.executor', message: 'needs the "admin" scope' },
          ]);
        validateRetrainConfig(config.retrain);
        if (config.retrain.executor.type === 'webhook') await deps.checkUrl?.(config.retrain.executor.url, 'retrain.executor.url');
      }
      const at = now().toISOString();
      const stored = await repo.transaction(async () => {
        let next = config;
        if (!config.retrain && !isAdmin) {
          // A models:write key tunes the monitor; the admin's retrain policy stays as it is
          // (only an admin key changes or removes it). Read in the transaction: no lost update.
          const current = (await repo.monitorConfig(model.id)) as MonitorConfig | undefined;
          if (current?.retrain) next = { ...config, retrain: current.retrain };
        }
        await repo.putMonitorConfig(model.id, next as Record<string, unknown>, at);
        await events.record({ type: 'monitor.updated', model, data: { config: masked(next) }, actor });
        return next;
      });
      return view(model.name, stored, at);
    },
  };
}
export type MonitorsService = ReturnType<typeof createMonitorsService>;
