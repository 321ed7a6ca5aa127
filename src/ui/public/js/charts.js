import * as echarts from '/ui/vendor/echarts.js';
import { fmt } from './dom.js';

/**
 * The three drift charts, drawn by Apache ECharts with its SVG renderer (inspectable, crisp in
 * screenshots). Animation is off: ops read numbers, and the tests read the finished SVG. Each
 * chart also writes what it plotted as data attributes on its container, taken from the API data.
 */
function chart(el) {
  echarts.getInstanceByDom(el)?.dispose();
  return echarts.init(el, null, { renderer: 'svg' });
}

const PSI_COLOURS = ['#1a9850', '#fee08b', '#fdae61', '#d73027'];

/** Features × windows, each cell the window's PSI for that feature. */
export function heatmap(el, points, features, { psiThreshold = 0.2, onSelect } = {}) {
  const windows = points.map((p) => `#${p.reportId}`);
  const cap = psiThreshold * 2.5;
  const cells = [];
  points.forEach((p, x) => {
    const byName = new Map(p.features.map((f) => [f.name, f]));
    features.forEach((name, y) => {
      const f = byName.get(name);
      // The colour dimension saturates at 2.5× the threshold: one huge PSI must not wash the
      // merely-drifted cells out to green.
      if (f && typeof f.psi === 'number') cells.push([x, y, Number(f.psi.toFixed(4)), f.drifted ? 1 : 0, Math.min(f.psi, cap)]);
    });
  });
  Object.assign(el.dataset, {
    features: String(features.length),
    windows: String(windows.length),
    cells: JSON.stringify(cells.map(([x, y, psi, d]) => ({ window: points[x].reportId, feature: features[y], psi, drifted: d === 1 }))),
  });
  // Room for every feature row (CSSOM, which the CSP allows); past 30 windows the labels would
  // overlap, so the cells go unlabelled and a slider shows the newest 30 first.
  el.style.height = `${Math.max(380, features.length * 28 + 110)}px`;
  const many = windows.length > 30;
  const c = chart(el);
  c.setOption({
    animation: false,
    ...(many ? { dataZoom: [{ type: 'slider', xAxisIndex: 0, startValue: windows.length - 30, endValue: windows.length - 1, bottom: 4, height: 16 }] } : {}),
    tooltip: { formatter: (p) => `${features[p.value[1]]} · report ${windows[p.value[0]]}<br>PSI ${fmt.num(p.value[2])}${p.value[3] ? ' (drifted)' : ''}` },
    grid: { left: 120, right: 110, top: 16, bottom: many ? 64 : 48 },
    xAxis: { type: 'category', data: windows, name: 'window (report)', nameLocation: 'middle', nameGap: 28, splitArea: { show: true } },
    yAxis: { type: 'category', data: features, splitArea: { show: true } },
    visualMap: {
      min: 0,
      max: cap,
      dimension: 4,
      calculable: false,
      orient: 'vertical',
      right: 10,
      top: 'middle',
      itemHeight: 200,
      inRange: { color: PSI_COLOURS },
      text: [`PSI ≥ ${cap}`, '0'],
    },
    series: [
      {
        name: 'PSI',
        type: 'heatmap',
        data: cells,
        label: { show: !many, formatter: (p) => p.value[2].toFixed(2) },
        itemStyle: { borderColor: '#fff', borderWidth: 1 },
      },
    ],
  });
  if (onSelect) c.on('click', (p) => onSelect({ reportId: points[p.value[0]].reportId, feature: features[p.value[1]] }));
  return c;
}

/** PSI (left axis) and the KS/χ² p-value (right axis) of one feature across windows. */
export function timeline(el, points, feature, { psiThreshold = 0.2, alpha = 0.05 } = {}) {
  const rows = points.map((p) => ({ reportId: p.reportId, at: p.to ?? p.from, f: p.features.find((f) => f.name === feature) }));
  const psi = rows.map((r) => (typeof r.f?.psi === 'number' ? r.f.psi : null));
  const pValue = rows.map((r) => (typeof r.f?.pValue === 'number' ? r.f.pValue : null));
  Object.assign(el.dataset, { feature, points: String(rows.length), psi: JSON.stringify(psi), pValue: JSON.stringify(pValue) });
  const c = chart(el);
  c.setOption({
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { data: ['PSI', 'p-value'], top: 0 },
    grid: { left: 56, right: 90, top: 48, bottom: 40 },
    xAxis: { type: 'category', data: rows.map((r) => `#${r.reportId}`) },
    yAxis: [
      { type: 'value', name: 'PSI', min: 0 },
      { type: 'value', name: 'p-value', min: 0, max: 1, position: 'right' },
    ],
    series: [
      {
        name: 'PSI',
        type: 'line',
        data: psi,
        symbolSize: 7,
        markLine: { silent: true, symbol: 'none', data: [{ yAxis: psiThreshold, name: 'PSI threshold' }], label: { formatter: `PSI ${psiThreshold}` } },
      },
      {
        name: 'p-value',
        type: 'line',
        yAxisIndex: 1,
        data: pValue,
        symbolSize: 7,
        lineStyle: { type: 'dashed' },
        markLine: { silent: true, symbol: 'none', data: [{ yAxis: alpha }], label: { formatter: `α ${alpha}` } },
      },
    ],
  });
  return c;
}

/** Reference against current proportions per bin (numeric) or category, from one report. */
export function histogram(el, feature) {
  const h = feature.histogram;
  const labels =
    h.kind === 'categorical'
      ? h.categories.map(String)
      : // Inner edges: bin i is (edges[i-1], edges[i]], the two end bins are open.
        h.reference.map((_, i) => `(${i > 0 ? fmt.num(h.edges[i - 1], 3) : '−∞'}, ${i < h.edges.length ? fmt.num(h.edges[i], 3) : '∞'}]`);
  Object.assign(el.dataset, { feature: feature.name, bins: String(labels.length), reference: JSON.stringify(h.reference), current: JSON.stringify(h.current) });
  const c = chart(el);
  c.setOption({
    animation: false,
    tooltip: { trigger: 'axis', valueFormatter: (v) => `${(v * 100).toFixed(1)} %` },
    legend: { data: ['reference', 'current'], top: 0 },
    grid: { left: 56, right: 24, top: 40, bottom: 80 },
    xAxis: { type: 'category', data: labels, axisLabel: { rotate: 30 } },
    yAxis: { type: 'value', name: 'share', axisLabel: { formatter: (v) => `${Math.round(v * 100)}%` } },
    series: [
      { name: 'reference', type: 'bar', data: h.reference, itemStyle: { color: '#4575b4' } },
      { name: 'current', type: 'bar', data: h.current, itemStyle: { color: '#f46d43' } },
    ],
  });
  return c;
}

export function resizeAll() {
  for (const el of document.querySelectorAll('.chart')) echarts.getInstanceByDom(el)?.resize();
}
