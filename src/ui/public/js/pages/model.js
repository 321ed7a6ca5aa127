import { api, enc, hasRoute } from '../api.js';
import { badge, errorBox, fmt, h, table, unavailable } from '../dom.js';
import { driftCell, healthBanner, performanceText, retrainCell } from './monitoring.js';
import { retrainJobsTable } from './retrain.js';

const metricsText = (metrics) =>
  Object.entries(metrics ?? {})
    .map(([k, v]) => `${k}=${fmt.num(v)}`)
    .join(', ') || '—';

export async function modelPage(name) {
  const [model, versions, summary] = await Promise.all([
    api(`/models/${enc(name)}`),
    api(`/models/${enc(name)}/versions?limit=500`),
    api(`/models/${enc(name)}/summary`),
  ]);
  const list = versions.items;
  const rows = list.map((v) => [
    `v${v.version}`,
    v.parentVersion === null ? '—' : `v${v.parentVersion}`,
    v.aliases.map((a) => badge(a)),
    metricsText(v.metrics),
    v.features.length,
    v.runId ?? '—',
    fmt.time(v.createdAt),
  ]);
  const latest = list.reduce((best, v) => (best === undefined || v.version > best ? v.version : best), undefined);
  return h(
    'section',
    { id: 'model-page', dataset: { model: name } },
    h(
      'h1',
      {},
      model.name,
      ' ',
      h('a', { href: `#/models/${enc(name)}/drift`, className: 'small' }, 'drift →'),
      ' ',
      h('a', { href: `#/events?model=${enc(name)}`, className: 'small' }, 'events →'),
    ),
    model.description ? h('p', {}, model.description) : '',
    healthBanner(name, summary.health),
    h(
      'dl',
      { className: 'facts', id: 'model-status' },
      h('dt', {}, 'Drift'),
      h('dd', {}, driftCell(name, summary.drift)),
      h('dt', {}, 'Window'),
      h('dd', {}, summary.drift ? `${fmt.window(summary.drift.from, summary.drift.to)} · report #${summary.drift.reportId} (v${summary.drift.version})` : '—'),
      h('dt', {}, 'Performance'),
      h('dd', { id: 'model-performance' }, performanceText(summary.performance)),
      h('dt', {}, 'Last retrain'),
      h('dd', {}, retrainCell(summary.retrain)),
    ),
    h('h2', {}, 'Aliases'),
    h(
      'ul',
      { id: 'aliases' },
      Object.entries(model.aliases).map(([alias, v]) => h('li', {}, badge(alias), ` → v${v}`)),
    ),
    h('h2', {}, 'Versions'),
    h('div', { id: 'versions' }, table(['Version', 'Parent', 'Aliases', 'Metrics', 'Features', 'Run', 'Created'], rows)),
    h('h2', {}, 'Lineage', latest ? ` of v${latest}` : ''),
    h('div', { id: 'lineage' }, latest ? await lineage(name, latest, list) : 'No versions yet.'),
    h('h2', {}, 'Retrain jobs'),
    h('div', { id: 'model-retrain' }, await modelRetrainJobs(name)),
  );
}

/**
 * The chain back to v1. With the lineage route it shows the drift report and retrain job between
 * parent and child; without it, the parent links the versions carry (and says what is missing).
 */
async function lineage(name, version, versions) {
  if (await hasRoute('/models/{name}/versions/{version}/lineage')) {
    try {
      const data = await api(`/models/${enc(name)}/versions/${version}/lineage`);
      const chain = Array.isArray(data) ? data : (data.chain ?? data.items ?? data.versions ?? []);
      return h(
        'ol',
        { className: 'lineage', dataset: { source: 'api' } },
        chain.map((node) => h('li', {}, lineageNode(name, node))),
      );
    } catch (error) {
      return errorBox(error);
    }
  }
  const byVersion = new Map(versions.map((v) => [v.version, v]));
  const chain = [];
  for (let v = byVersion.get(version); v && chain.length < 1000; v = v.parentVersion === null ? undefined : byVersion.get(v.parentVersion)) chain.push(v);
  return h(
    'div',
    {},
    h(
      'ol',
      { className: 'lineage', dataset: { source: 'versions' } },
      chain.map((v) => h('li', {}, `v${v.version}`, v.parentVersion === null ? ' (root)' : ` ← parent v${v.parentVersion}`)),
    ),
    unavailable('The lineage route (drift reports and retrain jobs between versions)'),
  );
}

function lineageNode(name, node) {
  const version = node.version ?? node.modelVersion;
  const parts = [h('strong', {}, `v${version}`)];
  if (node.parentVersion !== undefined && node.parentVersion !== null) parts.push(` ← v${node.parentVersion}`);
  const reportId = node.driftReportId ?? node.driftReport?.id;
  if (reportId !== undefined && reportId !== null)
    parts.push(' · ', h('a', { href: `#/models/${enc(name)}/drift?report=${reportId}` }, `drift report #${reportId}`));
  const jobId = node.retrainJobId ?? node.retrainJob?.id;
  if (jobId !== undefined && jobId !== null) parts.push(' · ', h('a', { href: `#/retrain/${enc(String(jobId))}` }, `retrain job ${jobId}`));
  return parts;
}

async function modelRetrainJobs(name) {
  if (!(await hasRoute('/retrain-jobs'))) return unavailable('Retraining');
  try {
    const { items } = await api(`/retrain-jobs?model=${enc(name)}&limit=20`);
    return retrainJobsTable(items);
  } catch (error) {
    return errorBox(error);
  }
}
