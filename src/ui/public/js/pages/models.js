import { api, enc } from '../api.js';
import { fmt, h, table } from '../dom.js';
import { driftCell, healthCell, performanceText, retrainCell } from './monitoring.js';

/** #/models: every model with its health, drift verdict and window, performance and newest retrain job — one request. */
export async function modelsPage() {
  const { items } = await api('/model-summaries?limit=500');
  const rows = items.map((m) => [
    h('a', { href: `#/models/${enc(m.name)}`, className: 'model-link' }, m.name),
    [
      m.latestVersion === null ? '—' : `v${m.latestVersion}`,
      Object.entries(m.aliases).length
        ? h(
            'div',
            { className: 'muted' },
            Object.entries(m.aliases)
              .map(([alias, v]) => `${alias} → v${v}`)
              .join(', '),
          )
        : '',
    ],
    healthCell(m.name, m.health),
    driftCell(m.name, m.drift),
    m.drift ? h('span', { className: 'window' }, fmt.window(m.drift.from, m.drift.to)) : '—',
    performanceText(m.performance),
    retrainCell(m.retrain),
    m.drift ? h('a', { href: `#/models/${enc(m.name)}/drift` }, 'drift →') : '',
  ]);
  return h(
    'section',
    { id: 'models-page', dataset: { models: String(items.length) } },
    h('h1', {}, 'Models'),
    items.length === 0
      ? h('p', {}, 'No models registered yet.')
      : table(['Model', 'Version', 'Monitoring', 'Drift (latest window)', 'Window covered', 'Performance', 'Last retrain', ''], rows),
  );
}
