import * as echarts from '/ui/vendor/echarts.js';
import { fmt, zone } from './dom.js';

/**
 * The drift charts, drawn by Apache ECharts with its SVG renderer (inspectable, crisp in
 * screenshots). Animation is off: ops read numbers, and the tests read the finished SVG. Each
 * chart also writes what it plotted as data attributes on its container, taken from the API data.
 * Window axes are the windows' own times (their end; the zone in the axis name), never report ids.
 */
function chart(el) {
  echarts.getInstanceByDom(el)?.dispose();
  return echarts.init(el, null, { renderer: 'svg' });
}

const PSI_COLOURS = ['#1a9850', '#fee08b', '#fdae61', '#d73027'];
const NARROW = 600;
/** Short letters for the rules that fired, drawn in the heatmap's cells. */
export const REASON_MARKS = { missing: 'M', psi: 'P', test: 'T' };
export const reasonMarks = (reasons) =>
  [...new Set((reasons ?? []).map((r) => (r === 'missing' ? 'M' : r === 'psi' ? 'P' : r.startsWith('test') ? 'T' : '?')))].join('');

/** One label per window from its end time, unique (seconds added, then a counter, when windows share a minute). */
export function windowLabels(points) {
  const at = (p) => p.to ?? p.from;
  let labels = points.map((p) => fmt.axis(at(p)));
  if (new Set(labels).size < labels.length) labels = points.map((p) => fmt.axis(at(p), true));
  const seen = new Map();
  return labels.map((l) => {
    const n = (seen.get(l) ?? 0) + 1;
    seen.set(l, n);
    return n > 1 ? `${l} (${n})` : l;
  });
}
const windowAxisName = () => `window end (${zone.name()})`;

/** A slider that can be seen and grabbed, plus drag/pinch zoom, showing the newest `visible` windows first. */
function zoom(count, visible, bottom) {
  if (count <= visible) return {};
  return {
    dataZoom: [
      { type: 'inside', xAxisIndex: 0, startValue: count - visible, endValue: count - 1, zoomLock: false },
      {
        type: 'slider',
        xAxisIndex: 0,
        startValue: count - visible,
        endValue: count - 1,
        bottom,
        height: 26,
        showDetail: false,
        brushSelect: false,
        borderColor: '#8a99a8',
        backgroundColor: '#eef2f6',
        fillerColor: 'rgba(43,108,176,0.35)',
        handleSize: '120%',
        handleStyle: { color: '#2b6cb0', borderColor: '#1d4e80' },
        moveHandleSize: 8,
        moveHandleStyle: { color: '#2b6cb0', opacity: 0.8 },
        dataBackground: { lineStyle: { opacity: 0 }, areaStyle: { opacity: 0 } },
      },
    ],
  };
}

/** Features × windows, each cell the window's PSI for that feature; drifted cells outlined and marked with why. */
export function heatmap(el, points, features, { psiThreshold = 0.2, onSelect } = {}) {
  const windows = windowLabels(points);
  const cap = psiThreshold * 2.5;
  const cells = [];
  const data = [];
  points.forEach((p, x) => {
    const byName = new Map(p.features.map((f) => [f.name, f]));
    features.forEach((name, y) => {
      const f = byName.get(name);
      if (!f) return;
      const psi = typeof f.psi === 'number' ? Number(f.psi.toFixed(4)) : null;
      const marks = f.drifted ? reasonMarks(f.reasons) : '';
      cells.push({ window: p.reportId, at: p.to ?? p.from, feature: name, psi, drifted: f.drifted, reasons: f.reasons ?? [], marks });
      // The colour dimension saturates at 2.5× the threshold: one huge PSI must not wash the
      // merely-drifted cells out to green. A cell drifted for another reason (missing rate, a
      // test) keeps its PSI colour but is outlined and lettered, so it never looks "fine".
      data.push({
        value: [x, y, psi ?? 0, f.drifted ? 1 : 0, Math.min(psi ?? 0, cap)],
        ...(f.drifted ? { itemStyle: { borderColor: '#5c0a0a', borderWidth: 3 } } : {}),
        marks,
      });
    });
  });
  Object.assign(el.dataset, {
    features: String(features.length),
    windows: String(windows.length),
    labels: JSON.stringify(windows),
    cells: JSON.stringify(cells),
  });

  const width = el.clientWidth || 800;
  const narrow = width < NARROW;
  const longest = Math.max(...features.map((f) => f.length), 4);
  const left = Math.min(narrow ? 84 : 160, 12 + longest * 7);
  const right = narrow ? 12 : 110;
  const visible = Math.max(3, Math.floor((width - left - right) / (narrow ? 50 : 58)));
  const many = windows.length > visible;
  const top = narrow ? 44 : 16;
  const bottom = (many ? 44 : 0) + 56;
  // Room for every feature row (CSSOM, which the CSP allows).
  el.style.height = `${Math.max(narrow ? 260 : 380, features.length * 30 + top + bottom)}px`;
  Object.assign(el.dataset, { plotWidth: String(width - left - right), visible: String(Math.min(visible, windows.length)) });
  const c = chart(el);
  c.setOption({
    animation: false,
    ...zoom(windows.length, visible, 6),
    tooltip: {
      formatter: (p) => {
        const cell = cells[p.dataIndex];
        return `${cell.feature} · window ending ${fmt.time(cell.at)} (report #${cell.window})<br>PSI ${fmt.num(cell.psi)}${cell.drifted ? ` · drifted: ${cell.reasons.join(', ')}` : ''}`;
      },
    },
    grid: { left, right, top, bottom },
    xAxis: {
      type: 'category',
      data: windows,
      name: windowAxisName(),
      nameLocation: 'middle',
      nameGap: 40,
      axisLabel: { rotate: 30, fontSize: 10, hideOverlap: true },
      splitArea: { show: true },
    },
    yAxis: { type: 'category', data: features, splitArea: { show: true }, axisLabel: { width: left - 12, overflow: 'truncate' } },
    visualMap: {
      min: 0,
      max: cap,
      dimension: 4,
      calculable: false,
      inRange: { color: PSI_COLOURS },
      text: [`PSI ≥ ${cap}`, '0'],
      ...(narrow
        ? { orient: 'horizontal', left: 'center', top: 0, itemWidth: 12, itemHeight: 140 }
        : { orient: 'vertical', right: 10, top: 'middle', itemHeight: 200 }),
    },
    series: [
      {
        name: 'PSI',
        type: 'heatmap',
        data,
        label: { show: true, fontSize: narrow ? 10 : 12, formatter: (p) => `${p.value[2].toFixed(2)}${p.data.marks ? ` ${p.data.marks}` : ''}` },
        itemStyle: { borderColor: '#fff', borderWidth: 1 },
      },
    ],
  });
  if (onSelect) c.on('click', (p) => onSelect({ reportId: points[p.value[0]].reportId, feature: features[p.value[1]] }));
  return c;
}

function narrowGrid(el, wide) {
  return (el.clientWidth || 800) < NARROW ? { left: 44, right: 44, top: 56, bottom: 84 } : wide;
}

/** PSI (left axis), the test's p-value and the missing share (right axis, 0–1) of one feature across windows. */
export function timeline(el, points, feature, { psiThreshold = 0.2, alpha = 0.05 } = {}) {
  const rows = points.map((p) => p.features.find((f) => f.name === feature));
  const psi = rows.map((f) => (typeof f?.psi === 'number' ? f.psi : null));
  const pValue = rows.map((f) => (typeof f?.pValue === 'number' ? f.pValue : null));
  const missing = rows.map((f) => (typeof f?.missingRate?.current === 'number' ? f.missingRate.current : null));
  const labels = windowLabels(points);
  Object.assign(el.dataset, {
    feature,
    points: String(rows.length),
    labels: JSON.stringify(labels),
    psi: JSON.stringify(psi),
    pValue: JSON.stringify(pValue),
    missing: JSON.stringify(missing),
  });
  const c = chart(el);
  c.setOption({
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { data: ['PSI', 'p-value', 'missing share'], top: 0 },
    grid: narrowGrid(el, { left: 56, right: 90, top: 48, bottom: 72 }),
    ...zoom(labels.length, (el.clientWidth || 800) < NARROW ? 8 : 40, 4),
    xAxis: {
      type: 'category',
      data: labels,
      name: windowAxisName(),
      nameLocation: 'middle',
      nameGap: 46,
      axisLabel: { rotate: 30, fontSize: 10, hideOverlap: true },
    },
    yAxis: [
      { type: 'value', name: 'PSI', min: 0 },
      { type: 'value', name: 'p / share', min: 0, max: 1, position: 'right' },
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
      { name: 'missing share', type: 'line', yAxisIndex: 1, data: missing, symbolSize: 5, lineStyle: { type: 'dotted' }, itemStyle: { color: '#7b3294' } },
    ],
  });
  return c;
}

/** The metrics a window's performance is plotted with: accuracy and F1, or MAE and RMSE. */
export function performanceMetrics(points) {
  const ok = points.map((p) => p.performance).filter((x) => x?.status === 'ok');
  if (ok.length === 0) return [];
  if (ok.some((x) => x.task === 'regression')) return ['mae', 'rmse'];
  return ['accuracy', ok.some((x) => x.metrics.f1 !== undefined) ? 'f1' : 'f1_macro'];
}

/** Per window, the performance metrics against the baseline registered on the version (dashed). */
export function performance(el, points) {
  const metrics = performanceMetrics(points);
  const labels = windowLabels(points);
  const series = {};
  const baseline = {};
  for (const m of metrics) {
    series[m] = points.map((p) => (p.performance?.status === 'ok' && typeof p.performance.metrics[m] === 'number' ? p.performance.metrics[m] : null));
    const b = [...points].reverse().find((p) => typeof p.performance?.baseline?.[m] === 'number');
    if (b) baseline[m] = b.performance.baseline[m];
  }
  Object.assign(el.dataset, { metrics: JSON.stringify(series), baseline: JSON.stringify(baseline), labels: JSON.stringify(labels) });
  const colours = ['#2b6cb0', '#dd6b20'];
  // The axis spans the values and the baselines (a mark line outside the axis is not drawn).
  const values = [...Object.values(series).flat(), ...Object.values(baseline)].filter((v) => typeof v === 'number');
  const span = Math.max(...values) - Math.min(...values) || Math.abs(values[0] ?? 1) * 0.1 || 0.1;
  const lo = Math.min(...values) - span * 0.15;
  const hi = Math.max(...values) + span * 0.15;
  const round = (v) => Number(v.toPrecision(3));
  const c = chart(el);
  c.setOption({
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { data: metrics, top: 0 },
    grid: narrowGrid(el, { left: 56, right: 90, top: 48, bottom: 72 }),
    ...zoom(labels.length, (el.clientWidth || 800) < NARROW ? 8 : 40, 4),
    xAxis: {
      type: 'category',
      data: labels,
      name: windowAxisName(),
      nameLocation: 'middle',
      nameGap: 46,
      axisLabel: { rotate: 30, fontSize: 10, hideOverlap: true },
    },
    yAxis: { type: 'value', min: round(lo), max: round(hi), axisLabel: { formatter: (v) => fmt.num(v, 3) } },
    series: metrics.map((m, i) => ({
      name: m,
      type: 'line',
      data: series[m],
      connectNulls: false,
      symbolSize: 7,
      itemStyle: { color: colours[i] },
      ...(baseline[m] !== undefined
        ? {
            markLine: {
              silent: true,
              symbol: 'none',
              lineStyle: { type: 'dashed', color: colours[i] },
              data: [{ yAxis: baseline[m] }],
              label: { formatter: `${m} baseline ${fmt.num(baseline[m], 3)}`, position: 'insideEndTop' },
            },
          }
        : {}),
    })),
  });
  return c;
}

/**
 * Reference against current, as shares of all rows: each bin's share among present values times
 * the present share, and a last "missing" bar — so a feature drifting by its missing rate shows it.
 */
export function histogram(el, feature) {
  const h = feature.histogram;
  const labels =
    h.kind === 'categorical'
      ? h.categories.map(String)
      : // Inner edges: bin i is (edges[i-1], edges[i]], the two end bins are open.
        h.reference.map((_, i) => `(${i > 0 ? fmt.num(h.edges[i - 1], 3) : '−∞'}, ${i < h.edges.length ? fmt.num(h.edges[i], 3) : '∞'}]`);
  const miss = { reference: feature.missing?.referenceRate ?? 0, current: feature.missing?.currentRate ?? 0 };
  const scaled = (shares, rate) => [...shares.map((s) => s * (1 - rate)), rate];
  Object.assign(el.dataset, {
    feature: feature.name,
    bins: String(labels.length),
    reference: JSON.stringify(h.reference),
    current: JSON.stringify(h.current),
    missing: JSON.stringify(miss),
  });
  const narrow = (el.clientWidth || 800) < NARROW;
  const c = chart(el);
  c.setOption({
    animation: false,
    tooltip: { trigger: 'axis', valueFormatter: (v) => `${(v * 100).toFixed(1)} %` },
    legend: { data: ['reference', 'current'], top: 0 },
    grid: narrow ? { left: 40, right: 8, top: 40, bottom: 96 } : { left: 56, right: 24, top: 40, bottom: 80 },
    xAxis: { type: 'category', data: [...labels, 'missing'], axisLabel: { rotate: narrow ? 60 : 30, fontSize: narrow ? 9 : 12, interval: 0 } },
    yAxis: { type: 'value', name: 'share of rows', axisLabel: { formatter: (v) => `${Math.round(v * 100)}%` } },
    series: [
      { name: 'reference', type: 'bar', data: scaled(h.reference, miss.reference), itemStyle: { color: '#4575b4' } },
      { name: 'current', type: 'bar', data: scaled(h.current, miss.current), itemStyle: { color: '#f46d43' } },
    ],
  });
  return c;
}

export function resizeAll() {
  for (const el of document.querySelectorAll('.chart')) echarts.getInstanceByDom(el)?.resize();
}
