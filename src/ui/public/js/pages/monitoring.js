import { api, enc } from '../api.js';
import { fmt, h } from '../dom.js';

/** What each failure reason means to the person reading the dashboard, and what to do about it. */
const REASONS = {
  no_reference: 'no reference data on this version or any ancestor',
  job_failed: 'the drift job gave up',
};

/** GET /models/{name}/monitor/status: ok, stopped (the newest finished report failed) or idle. */
export function monitorStatus(name) {
  return api(`/models/${enc(name)}/monitor/status`);
}

const reasonText = (status) => REASONS[status.reason] ?? status.reason ?? 'unknown reason';

/** The models table's cell: loud when stopped, quiet otherwise. */
export function monitoringCell(status) {
  const attrs = { className: 'monitoring-status', dataset: { model: status.model, state: status.state, reason: status.reason ?? '' } };
  if (status.state === 'stopped') return h('span', attrs, h('span', { className: 'badge badge-stopped' }, 'monitoring stopped'), ` ${reasonText(status)}`);
  if (status.state === 'ok')
    return h('span', attrs, h('span', { className: 'badge badge-stable' }, 'monitoring'), ` last report ${fmt.time(status.lastReportAt)}`);
  return h('span', attrs, h('span', { className: 'badge' }, 'idle'), ' no report finished yet');
}

/** The model page's banner: the reason, the failed report's own message (it says how to fix it) and a link to it. */
export function monitoringBanner(status) {
  const attrs = { id: 'monitoring', dataset: { state: status.state, reason: status.reason ?? '' } };
  if (status.state !== 'stopped')
    return h(
      'p',
      { ...attrs, className: 'hint' },
      status.state === 'ok' ? `Monitoring: last report finished ${fmt.time(status.lastReportAt)}.` : 'Monitoring: no drift report has finished yet.',
    );
  return h(
    'div',
    { ...attrs, className: 'monitoring-stopped', role: 'alert' },
    h('strong', {}, 'Monitoring stopped'),
    `: ${reasonText(status)}`,
    status.version === null ? '' : ` (v${status.version})`,
    ' · ',
    h('a', { href: `#/models/${enc(status.model)}/drift?report=${status.reportId}` }, `report #${status.reportId}`),
    status.lastReportAt ? ` · last successful report ${fmt.time(status.lastReportAt)}` : ' · no successful report yet',
    status.message ? h('div', { className: 'monitoring-message' }, status.message) : '',
  );
}
