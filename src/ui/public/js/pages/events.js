import { api, enc, queryEnum } from '../api.js';
import { fmt, h, table } from '../dom.js';

/** Event data in one line: the fields that say what happened, values shortened. */
function summary(data) {
  return Object.entries(data ?? {})
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => {
      const text = typeof v === 'object' ? JSON.stringify(v) : String(v);
      return `${k}=${text.length > 80 ? `${text.slice(0, 77)}…` : text}`;
    })
    .join(' · ');
}

/** #/events?model=&type=&cursor=: the audit log, newest first, filtered by model and type. */
export async function eventsPage(query) {
  const model = query.get('model') ?? '';
  const type = query.get('type') ?? '';
  const q = new URLSearchParams({ limit: '100' });
  if (type) q.set('type', type);
  if (query.get('cursor')) q.set('cursor', query.get('cursor'));
  const [types, page] = await Promise.all([queryEnum('/events', 'type'), api(model ? `/models/${enc(model)}/events?${q}` : `/events?${q}`)]);

  const modelInput = h('input', { name: 'model', id: 'events-model', placeholder: 'model', value: model });
  const typeSelect = h(
    'select',
    { name: 'type', id: 'events-type' },
    ['', ...types].map((t) => h('option', { value: t, selected: t === type }, t || 'any type')),
  );
  const form = h('form', { className: 'filters', id: 'events-filter' }, modelInput, typeSelect, h('button', { type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    if (modelInput.value.trim()) next.set('model', modelInput.value.trim());
    if (typeSelect.value) next.set('type', typeSelect.value);
    location.hash = `#/events?${next}`;
  });
  const rows = page.items.map((e) => [
    fmt.time(e.createdAt),
    h('span', { className: 'event-type', dataset: { type: e.type } }, e.type),
    e.model ? h('a', { href: `#/models/${enc(e.model)}` }, e.model) : '—',
    e.actor?.name ?? (e.actor ? e.actor.keyId : 'mlcycle'),
    h('span', { className: 'event-data' }, summary(e.data)),
  ]);
  const older = new URLSearchParams();
  if (model) older.set('model', model);
  if (type) older.set('type', type);
  if (page.nextCursor) older.set('cursor', page.nextCursor);
  return h(
    'section',
    { id: 'events-page', dataset: { events: String(page.items.length) } },
    h('h1', {}, 'Events', model ? ` · ${model}` : ''),
    form,
    page.items.length === 0 ? h('p', { id: 'no-events' }, 'No events match.') : table(['Time', 'Type', 'Model', 'By', 'What'], rows),
    page.nextCursor ? h('p', {}, h('a', { id: 'events-older', href: `#/events?${older}` }, 'Older events →')) : '',
  );
}
