import { api, enc, hasRoute } from '../api.js';
import { badge, errorBox, fmt, h, table, unavailable } from '../dom.js';

const STATUSES = ['', 'queued', 'running', 'succeeded', 'failed', 'cancelled'];

export function retrainJobsTable(jobs) {
  if (jobs.length === 0) return h('p', {}, 'No retrain jobs.');
  return table(
    ['Job', 'Model', 'Status', 'Result', 'Trigger', 'Created', 'Finished'],
    jobs.map((j) => [
      h('a', { href: `#/retrain/${enc(String(j.id))}` }, String(j.id)),
      j.model ? h('a', { href: `#/models/${enc(j.model)}` }, j.model) : '—',
      h('span', { className: 'job-status', dataset: { job: String(j.id), status: j.status } }, badge(String(j.status))),
      h('span', { className: 'job-result', dataset: { job: String(j.id) } }, jobResult(j)),
      j.trigger ?? '—',
      fmt.time(j.createdAt),
      fmt.time(j.finishedAt ?? j.completedAt),
    ]),
  );
}

/** What the job came to: the promotion decision and the new version, or the error. */
export function jobResult(j) {
  if (j.error) return h('span', { className: 'error' }, j.error);
  const e = j.evaluation;
  if (e)
    return `${e.decision === 'promoted' ? `promoted → ${e.alias}` : `kept as ${e.alias}`}${j.resultVersion ? ` (v${j.resultVersion})` : ''}: ${e.metric} ${score(e.challenger)} vs ${score(e.champion)}`;
  if (j.resultVersion) return `v${j.resultVersion} registered (not evaluated)`;
  return j.status === 'queued' || j.status === 'running' ? '…' : '—';
}

/** #/retrain lists jobs (filter by model and status); #/retrain/:id shows one with its log tail. */
export async function retrainPage(id, query = new URLSearchParams()) {
  const page = h('section', { id: 'retrain-page' }, h('h1', {}, id ? `Retrain job ${id}` : 'Retrain jobs'));
  if (!(await hasRoute('/retrain-jobs'))) {
    page.append(unavailable('Retraining (the retrain jobs API)'));
    return page;
  }
  try {
    if (id) page.append(await jobDetail(id));
    else page.append(filterForm(query), retrainJobsTable((await api(`/retrain-jobs?${jobQuery(query)}`)).items));
  } catch (error) {
    page.append(errorBox(error));
  }
  return page;
}

function jobQuery(query) {
  const q = new URLSearchParams({ limit: '100' });
  for (const key of ['model', 'status']) if (query.get(key)) q.set(key, query.get(key));
  return q.toString();
}

function filterForm(query) {
  const model = h('input', { name: 'model', placeholder: 'model', value: query.get('model') ?? '' });
  const status = h(
    'select',
    { name: 'status' },
    STATUSES.map((s) => h('option', { value: s, selected: s === (query.get('status') ?? '') }, s || 'any status')),
  );
  const form = h('form', { className: 'filters' }, model, status, h('button', { type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = new URLSearchParams();
    if (model.value) q.set('model', model.value);
    if (status.value) q.set('status', status.value);
    location.hash = `#/retrain?${q}`;
  });
  return form;
}

function reportLink(job) {
  const id = job.triggerReportId ?? job.driftReportId;
  return id ? h('a', { href: `#/models/${enc(job.model)}/drift?report=${id}` }, `#${id}`) : '—';
}

async function jobDetail(id) {
  const job = await api(`/retrain-jobs/${enc(id)}`);
  // The job's own trail from the model's audit log: what it did, and the training set's size
  // (the new version's reference is profiled from train.csv).
  const trail = job.model ? (await api(`/models/${enc(job.model)}/events?limit=200`)).items.filter((e) => e.data?.job === job.id).reverse() : [];
  const registered = trail.find((e) => e.type === 'retrain.version_registered');
  const trainRows = registered?.data?.reference?.rows;
  const tail = job.logTail ?? '';
  const facts = [
    ['Model', job.model ? h('a', { href: `#/models/${enc(job.model)}` }, job.model) : '—'],
    ['Status', h('span', { className: 'job-status', dataset: { job: String(job.id), status: job.status } }, badge(String(job.status)))],
    ['Base version', job.baseVersion ? `v${job.baseVersion}` : '—'],
    ['New version', job.resultVersion ? h('a', { href: `#/models/${enc(job.model)}` }, `v${job.resultVersion}`) : '—'],
    ['Trigger', job.trigger ?? '—'],
    ['Drift report', reportLink(job)],
    ['Attempts', job.attempts ?? '—'],
    ['Training rows', typeof trainRows === 'number' ? `${trainRows}${registered.data.reference.source ? ` (${registered.data.reference.source})` : ''}` : '—'],
    ['Holdout rows', job.evaluation ? String(job.evaluation.rows) : '—'],
    ['Dataset', job.datasetUri ?? '—'],
    ['Created', fmt.time(job.createdAt)],
    ['Finished', fmt.time(job.finishedAt ?? job.completedAt)],
    ['Error', job.error ?? '—'],
  ];
  return h(
    'div',
    {},
    h(
      'dl',
      { className: 'facts' },
      facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
    ),
    h('h2', {}, 'Evaluation'),
    evaluationBox(job),
    h('h2', {}, 'History'),
    trail.length
      ? h(
          'ol',
          { id: 'job-trail', className: 'trail' },
          trail.map((e) => h('li', { dataset: { type: e.type } }, `${fmt.time(e.createdAt)} · ${e.type}`, e.data?.reason ? ` · ${e.data.reason}` : '')),
        )
      : h('p', { id: 'job-trail' }, 'No events for this job.'),
    h('h2', {}, 'Log (tail)'),
    h('pre', { id: 'log-tail' }, Array.isArray(tail) ? tail.join('\n') : String(tail || '(empty)')),
  );
}

const score = (v) => (typeof v === 'number' ? v.toFixed(4) : '—');

/** mlcycle's own scoring of champion and challenger on the same holdout rows, and what it decided. */
function evaluationBox(job) {
  const e = job.evaluation;
  if (!e) return h('p', { id: 'evaluation' }, job.status === 'succeeded' ? 'No promote policy: not evaluated.' : 'Not evaluated (yet).');
  const facts = [
    ['Decision', h('span', { dataset: { decision: e.decision } }, badge(e.decision === 'promoted' ? `promoted → ${e.alias}` : e.alias))],
    ['Metric', e.metric],
    ['Holdout rows', String(e.rows)],
    [`Champion${e.championVersion ? ` (v${e.championVersion}, posted predictions)` : ''}`, score(e.champion)],
    [`Challenger${job.resultVersion ? ` (v${job.resultVersion})` : ''}`, score(e.challenger)],
    [
      `p-value${e.test ? ` (${e.test === 'mcnemar' ? 'exact McNemar' : 'paired bootstrap'})` : ''}`,
      typeof e.pValue === 'number' ? e.pValue.toPrecision(3) : '—',
    ],
    ['Gain', typeof e.champion === 'number' && typeof e.challenger === 'number' ? fmt.num(e.challenger - e.champion) : '—'],
    ['Needed', `gain ≥ ${e.minImprovement} and p ≤ ${e.alpha}`],
    ['Reason', e.reason],
  ];
  return h(
    'dl',
    { className: 'facts', id: 'evaluation' },
    facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
  );
}
