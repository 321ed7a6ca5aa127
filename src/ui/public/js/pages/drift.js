import { api, enc } from '../api.js';
import { heatmap, histogram, performance, performanceMetrics, timeline } from '../charts.js';
import { badge, fmt, h, onMount, plural, table } from '../dom.js';

/**
 * #/models/:name/drift?report=&feature= — the heatmap of features × windows (PSI, drifted cells
 * outlined and lettered with why), the PSI, p-value and missing share of one feature over time,
 * performance per window against the registered baseline, and one report's histogram of that
 * feature (missing values included), reference against current. Clicking a cell picks both.
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
  const features = [...new Set(points.flatMap((p) => p.features.map((f) => f.name)))];
  const chosen = query.get('feature') ?? report.features.find((f) => f.drifted)?.name ?? features[0];
  const psiThreshold = report.options?.psiThreshold ?? 0.2;
  const alpha = report.options?.alpha ?? 0.05;
  const go = (changes) => {
    const q = new URLSearchParams({ report: String(reportId), feature: chosen, ...changes });
    location.hash = `#/models/${enc(name)}/drift?${q}`;
  };
  const newest = points.at(-1);
  const modelSince = since(points, (p) => p.datasetDrift);

  const heat = h('div', { id: 'heatmap', className: 'chart chart-tall' });
  const line = h('div', { id: 'timeline', className: 'chart' });
  const perf = h('div', { id: 'performance', className: 'chart' });
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
        `${fmt.window(r.window.from, r.window.to)} · #${r.id} · v${r.version}${r.datasetDrift ? ' · drifted' : ''}`,
      ),
    ),
  );
  const feature = report.features.find((f) => f.name === chosen);
  const hasPerformance = performanceMetrics(points).length > 0;

  page.append(
    h(
      'p',
      { id: 'drift-summary', dataset: { state: newest.datasetDrift ? 'drifted' : 'stable', since: modelSince?.from ?? '' } },
      `${points.length} windows, ${features.length} features. Latest window (${fmt.window(newest.from, newest.to)}): `,
      badge(newest.datasetDrift ? 'drifted' : 'stable'),
      ` ${Math.round((newest.driftShare ?? 0) * 100)}% of features drifted`,
      modelSince ? h('strong', { className: 'since' }, ` · drifting since ${fmt.time(modelSince.from)} (${plural(modelSince.windows, 'window')})`) : '',
      '.',
    ),
    h('h2', {}, 'PSI by feature and window'),
    h(
      'p',
      { className: 'hint legend' },
      'Outlined cells drifted; their letters say why: M missing rate, T test with effect size, P PSI. Tap a cell to inspect it.',
    ),
    heat,
    h('div', { className: 'pickers' }, h('label', {}, 'Feature ', featurePicker), h('label', {}, 'Report ', reportPicker)),
    h('h2', {}, `PSI, p-value and missing share of ${chosen}`),
    line,
    h('h2', {}, 'Performance per window'),
    hasPerformance ? perf : h('p', { id: 'no-performance' }, performanceAbsent(points)),
    h('h2', {}, `Histogram of ${chosen} in the window ${fmt.window(report.window.from, report.window.to)} (report #${reportId}): reference vs current`),
    feature?.histogram ? hist : h('p', { id: 'no-histogram' }, 'This report has no histogram for the feature (too few samples or not computed).'),
    h('h2', {}, `Report #${reportId}: window ${fmt.window(report.window.from, report.window.to)}, computed ${fmt.time(report.completedAt)}`),
    h('div', { id: 'report-table' }, reportTable(report, points)),
  );
  onMount(() => {
    heatmap(heat, points, features, { psiThreshold, onSelect: (cell) => go({ report: String(cell.reportId), feature: cell.feature }) });
    timeline(line, points, chosen, { psiThreshold, alpha });
    if (hasPerformance) performance(perf, points);
    if (feature?.histogram) histogram(hist, feature);
  });
  return page;
}

/** The unbroken run of windows, newest backwards, for which `test` holds: where it began. */
function since(points, test) {
  let i = points.length;
  while (i > 0 && test(points[i - 1])) i--;
  if (i === points.length) return null;
  return { from: points[i].from ?? points[i].to, windows: points.length - i, reportId: points[i].reportId };
}

function performanceAbsent(points) {
  const last = points.at(-1)?.performance;
  if (!last) return 'No performance in these reports.';
  return last.status === 'off'
    ? `Performance is off: ${last.reason ?? 'the version declares no task'}.`
    : `No labelled windows yet: ${last.reason ?? 'post labels'}.`;
}

const TEST_NAMES = { ks: 'KS', chi2: 'χ²' };
const EFFECT_NAMES = { wasserstein: 'Wasserstein', jensenShannon: 'Jensen–Shannon' };

/** The rules that fired for a feature, in words with their numbers. */
export function reasonText(f) {
  const rule = f.rule ?? {};
  const test = f.ks ? 'ks' : f.chi2 ? 'chi2' : null;
  const p = f.adjustedPValue ?? (test ? f[test].pValue : null);
  return (f.reasons ?? []).map((r) => {
    if (r === 'missing')
      return `missing rate ${fmt.pct(f.missing?.referenceRate)} → ${fmt.pct(f.missing?.currentRate)} (p ${fmt.num(f.missing?.adjustedPValue ?? f.missing?.pValue)})`;
    if (r === 'psi')
      return `PSI ${fmt.num(f.psi, 3)} ≥ ${rule.psiThreshold} (effective n ${Math.round(rule.effectiveSize ?? 0)} ≥ ${rule.psiMinEffectiveSize})`;
    if (r.startsWith('test+')) {
      const effect = r.slice(5);
      const size =
        effect === 'psi'
          ? `PSI ${fmt.num(f.psi, 3)} ≥ ${rule.psiThreshold}`
          : `${EFFECT_NAMES[effect] ?? effect} ${fmt.num(effect === 'wasserstein' ? f.wasserstein?.normalized : f[effect], 3)} ≥ ${rule.floor?.value}`;
      return `${TEST_NAMES[test] ?? 'test'} p ${fmt.num(p)} ≤ ${rule.testLevel ?? rule.alpha} and ${size}`;
    }
    return r;
  });
}

function reportTable(report, points) {
  return table(
    ['Feature', 'Drifted', 'Why', 'Drifting since', 'PSI', 'Test p', 'Missing (ref → cur)'],
    report.features.map((f) => {
      const run = since(points, (p) => p.features.find((x) => x.name === f.name)?.drifted === true);
      return [
        f.name,
        f.drifted ? badge('drifted') : f.status === 'ok' ? 'no' : f.status,
        h('span', { className: 'reasons', dataset: { feature: f.name, reasons: (f.reasons ?? []).join(' ') } }, reasonText(f).join('; ') || '—'),
        h('span', { className: 'feature-since', dataset: { feature: f.name } }, run ? `${fmt.time(run.from)} (${plural(run.windows, 'window')})` : '—'),
        fmt.num(f.psi),
        fmt.num(f.ks?.pValue ?? f.chi2?.pValue),
        `${fmt.pct(f.missing?.referenceRate)} → ${fmt.pct(f.missing?.currentRate)}`,
      ];
    }),
  );
}
