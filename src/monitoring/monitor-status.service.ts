import type { RegistryRepository } from '../registry/registry.repository.js';
import type { RegistryViews } from '../registry/views.js';
import { failureReasonOf, type MonitorStatus } from './monitoring.schemas.js';
import type { ReportStateRepository } from './report-state.repository.js';

/**
 * Whether a model's windows still end in reports. Its newest finished report decides: a failed
 * one means monitoring has stopped (every later window of that version will fail the same way
 * until someone acts), so the dashboard says so instead of showing the last good verdict.
 */
export function createMonitorStatusService(deps: {
  views: RegistryViews;
  registry: Pick<RegistryRepository, 'findVersionById'>;
  state: ReportStateRepository;
}) {
  const { views, registry, state } = deps;
  return {
    async status(name: string): Promise<MonitorStatus> {
      const model = await views.requireModel(name);
      const [newest, lastReportAt] = await Promise.all([state.newestFinished(model.id), state.lastDoneAt(model.id)]);
      const version = newest ? await registry.findVersionById(newest.versionId) : undefined;
      const failed = newest?.status === 'failed';
      return {
        model: model.name,
        state: !newest ? 'idle' : failed ? 'stopped' : 'ok',
        reason: failureReasonOf(newest ?? { status: 'idle', failureReason: null, error: null }),
        message: failed ? newest.error : null,
        reportId: newest?.id ?? null,
        version: version?.version ?? null,
        lastReportAt: lastReportAt ?? null,
      };
    },
  };
}
export type MonitorStatusService = ReturnType<typeof createMonitorStatusService>;
