import { api, enc } from '../api.js';
import { badge, fmt, h, table } from '../dom.js';
import { monitorStatus, monitoringCell } from './monitoring.js';

/** The newest finished report says whether a model drifts; pending ones are shown only when nothing finished yet. */
export async function latestReport(name) {
  const { items } = await api(`/models/${enc(name)}/drift-reports?limit=20`);
  return items.find((r) => r.status === 'done') ?? items[0];
}

export function driftState(report) {
  if (!report) return 'no-reports';
  if (report.status !== 'done') return report.status;
  return report.datasetDrift ? 'drifted' : 'stable';
}

export async function modelsPage() {
  const { items } = await api('/models?limit=500');
  const rows = await Promise.all(
    items.map(async (m) => {
      const [report, monitoring] = await Promise.all([latestReport(m.name), monitorStatus(m.name)]);
      const state = driftState(report);
      const tr = [
        h('a', { href: `#/models/${enc(m.name)}`, className: 'model-link' }, m.name),
        m.latestVersion === null ? '—' : `v${m.latestVersion}`,
        Object.entries(m.aliases)
          .map(([alias, v]) => `${alias} → v${v}`)
          .join(', ') || '—',
        h(
          'span',
          { className: 'drift-status', dataset: { model: m.name, state } },
          badge(state),
          report?.status === 'done' ? ` ${Math.round((report.driftShare ?? 0) * 100)}% of features` : '',
        ),
        monitoringCell(monitoring),
        report ? fmt.time(report.completedAt ?? report.createdAt) : '—',
        report ? h('a', { href: `#/models/${enc(m.name)}/drift` }, 'drift →') : '',
      ];
      return tr;
    }),
  );
  return h(
    'section',
    { id: 'models-page' },
    h('h1', {}, 'Models'),
    items.length === 0
      ? h('p', {}, 'No models registered yet.')
      : table(['Model', 'Latest', 'Aliases', 'Drift (latest report)', 'Monitoring', 'Reported', ''], rows),
  );
}
