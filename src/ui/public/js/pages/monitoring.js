import { enc } from '../api.js';
import { fmt, h, plural } from '../dom.js';

/** What each failure reason means to the person reading the dashboard, and what to do about it. */
const REASONS = {
  no_reference: 'no reference data on this version or any ancestor',
  job_failed: 'the drift job gave up',
};
const LABELS = { healthy: 'healthy', stale: 'stale', failing: 'failing', no_reference: 'no reference', idle: 'idle' };
const BADGE = { healthy: 'stable', stale: 'pending', failing: 'failed', no_reference: 'failed', idle: 'idle' };

/** One line on the state: why it is not healthy, or when the last report finished. */
export function healthText(health) {
  switch (health.state) {
    case 'healthy':
      return `last report ${fmt.time(health.lastReportAt)}`;
    case 'stale':
      return health.message ?? `no report since ${fmt.time(health.lastReportAt)}`;
    case 'failing':
    case 'no_reference':
      return REASONS[health.reason] ?? health.reason ?? 'unknown reason';
    default:
      return 'no report finished yet';
  }
}

/** The models table's cell: the state as a badge, then the reason or the last report's time. */
export function healthCell(name, health) {
  return h(
    'span',
    { className: 'monitoring-status', dataset: { model: name, state: health.state, reason: health.reason ?? '' } },
    h('span', { className: `badge badge-${BADGE[health.state]}` }, LABELS[health.state]),
    ` ${healthText(health)}`,
  );
}

/** The model page's banner: loud (an alert with the report's own message and a link) unless healthy or idle. */
export function healthBanner(name, health) {
  const attrs = { id: 'monitoring', dataset: { state: health.state, reason: health.reason ?? '' } };
  if (health.state === 'healthy' || health.state === 'idle')
    return h('p', { ...attrs, className: 'hint' }, `Monitoring ${LABELS[health.state]}: ${healthText(health)}.`);
  return h(
    'div',
    { ...attrs, className: 'monitoring-stopped', role: 'alert' },
    h('strong', {}, `Monitoring ${LABELS[health.state]}`),
    `: ${healthText(health)}`,
    health.reportId ? [' · ', h('a', { href: `#/models/${enc(name)}/drift?report=${health.reportId}` }, `report #${health.reportId}`)] : '',
    health.lastReportAt ? ` · last successful report ${fmt.time(health.lastReportAt)}` : ' · no successful report yet',
    health.message && health.state !== 'stale' ? h('div', { className: 'monitoring-message' }, health.message) : '',
  );
}

/** The newest report's verdict, with the window it covers and since when the model drifts. */
export function driftCell(name, drift) {
  const state = !drift ? 'no-reports' : drift.datasetDrift ? 'drifted' : 'stable';
  return h(
    'span',
    { className: 'drift-status', dataset: { model: name, state, since: drift?.driftingSince ?? '' } },
    h('span', { className: `badge badge-${state}` }, state),
    drift ? ` ${Math.round(drift.driftShare * 100)}% of features` : '',
    drift?.driftedFeatures.length ? ` (${drift.driftedFeatures.join(', ')})` : '',
    drift?.driftingSince
      ? h('span', { className: 'since' }, ` drifting since ${fmt.time(drift.driftingSince)} (${plural(drift.driftingWindows, 'window')})`)
      : '',
  );
}

/** "accuracy 0.83 (baseline 0.87)", or why there is none. */
export function performanceText(perf) {
  if (!perf) return '—';
  if (perf.status !== 'ok') return perf.status === 'off' ? 'off (no task declared)' : 'no labels yet';
  const keys = perf.task === 'regression' ? ['mae', 'rmse'] : ['accuracy', perf.metrics.f1 !== undefined ? 'f1' : 'f1_macro'];
  const parts = keys
    .filter((k) => perf.metrics[k] !== undefined)
    .map((k) => `${k} ${fmt.num(perf.metrics[k], 3)}${perf.baseline?.[k] !== undefined ? ` (baseline ${fmt.num(perf.baseline[k], 3)})` : ''}`);
  return `${parts.join(', ')}${perf.degraded ? ' · degraded' : ''}`;
}

export function retrainCell(job) {
  if (!job) return '—';
  const outcome =
    job.status === 'succeeded'
      ? job.decision === 'promoted'
        ? `promoted v${job.resultVersion}`
        : job.resultVersion
          ? `v${job.resultVersion} (not promoted)`
          : 'succeeded'
      : job.status;
  return h(
    'span',
    { className: 'retrain-cell', dataset: { job: String(job.id), status: job.status } },
    h('a', { href: `#/retrain/${job.id}` }, `#${job.id}`),
    ` ${outcome}`,
    job.error ? h('span', { className: 'error' }, `: ${job.error}`) : '',
  );
}
