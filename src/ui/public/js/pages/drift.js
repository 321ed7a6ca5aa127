import { api, enc } from '../api.js';
import { heatmap, histogram, timeline } from '../charts.js';
import { badge, fmt, h, onMount, table } from '../dom.js';

/**
 * #/models/:name/drift?report=&feature= — the heatmap of features × windows (PSI), the PSI and
 * p-value timeline of one feature, and one report's histogram of that feature, reference against
 * current. Clicking a heatmap cell picks both the report and the feature.
 */
export async function driftPage(name, query) {
  const [timelineData, reports] = await Promise.all([api(`/models/${enc(name)}/drift/timeline`), api(`/models/${enc(name)}/drift-reports?limit=200`)]);
  const points = timelineData.points;
  const done = reports.items.filter((r) => r.status === 'done');
  // A failed or pending report has nothing to plot: say what happened to it, then show the latest finished one.
  const requested = reports.items.find((r) => r.id === Number(query.get('report')));
  const notice =
    requested && requested.status !== 'done'
      ? h(
          'p',
          { id: 'report-notice', className: 'error', role: 'alert' },
          `Report #${requested.id} ${requested.status}${requested.error ? `: ${requested.error}` : ''}`,
        )
      : '';
  const page = h('section', { id: 'drift-page', dataset: { model: name } }, h('h1', {}, `Drift · `, h('a', { href: `#/models/${enc(name)}` }, name)), notice);
  if (done.length === 0 || points.length === 0) {
    page.append(h('p', { id: 'no-reports' }, 'No finished drift reports yet: post reference data and samples, then come back.'));
    return page;
  }
  const reportId = requested && requested.status !== 'done' ? done[0].id : Number(query.get('report')) || done[0].id;
  const report = await api(`/drift-reports/${reportId}`);
  // Features in the order the newest window lists them; the drifted ones of the chosen report first in the picker.
  const features = [...new Set(points.flatMap((p) => p.features.map((f) => f.name)))];
  const chosen = query.get('feature') ?? report.features.find((f) => f.drifted)?.name ?? features[0];
  const psiThreshold = report.options?.psiThreshold ?? 0.2;
  const alpha = report.options?.alpha ?? 0.05;
  const go = (changes) => {
    const q = new URLSearchParams({ report: String(reportId), feature: chosen, ...changes });
    location.hash = `#/models/${enc(name)}/drift?${q}`;
  };

  const heat = h('div', { id: 'heatmap', className: 'chart chart-tall' });
  const line = h('div', { id: 'timeline', className: 'chart' });
  const hist = h('div', { id: 'histogram', className: 'chart' });
  const featurePicker = h(
    'select',
    { id: 'feature-picker', onchange: (e) => go({ feature: e.target.value }) },
    features.map((f) => h('option', { value: f, selected: f === chosen }, f)),
  );
  const reportPicker = h(
    'select',
    { id: 'report-picker', onchange: (e) => go({ report: e.target.value }) },
    done.map((r) =>
      h(
        'option',
        { value: String(r.id), selected: r.id === reportId },
        `#${r.id} · v${r.version} · ${fmt.time(r.window.to ?? r.completedAt)}${r.datasetDrift ? ' · drifted' : ''}`,
      ),
    ),
  );
  const feature = report.features.find((f) => f.name === chosen);

  page.append(
    h(
      'p',
      {},
      `${points.length} windows, ${features.length} features. Latest report `,
      badge(done[0].datasetDrift ? 'drifted' : 'stable'),
      ` (${Math.round((done[0].driftShare ?? 0) * 100)}% of features drifted). Click a cell to inspect it.`,
    ),
    h('h2', {}, 'PSI by feature and window'),
    heat,
    h('div', { className: 'pickers' }, h('label', {}, 'Feature ', featurePicker), h('label', {}, 'Report ', reportPicker)),
    h('h2', {}, `PSI and p-value of ${chosen}`),
    line,
    h('h2', {}, `Histogram of ${chosen} in report #${reportId}: reference vs current`),
    feature?.histogram ? hist : h('p', { id: 'no-histogram' }, 'This report has no histogram for the feature (too few samples or not computed).'),
    h('h2', {}, `Report #${reportId}`),
    reportTable(report),
  );
  onMount(() => {
    heatmap(heat, points, features, { psiThreshold, onSelect: (cell) => go({ report: String(cell.reportId), feature: cell.feature }) });
    timeline(line, points, chosen, { psiThreshold, alpha });
    if (feature?.histogram) histogram(hist, feature);
  });
  return page;
}

function reportTable(report) {
  return table(
    ['Feature', 'Status', 'PSI', 'KS D', 'KS p', 'χ² p', 'Drifted'],
    report.features.map((f) => [
      f.name,
      f.status ?? '—',
      fmt.num(f.psi),
      fmt.num(f.ks?.statistic),
      fmt.num(f.ks?.pValue),
      fmt.num(f.chi2?.pValue),
      f.drifted ? badge('drifted') : 'no',
    ]),
  );
}
