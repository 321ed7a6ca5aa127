import { api, session } from './api.js';
import { resizeAll } from './charts.js';
import { errorBox, h, runMounted, zone } from './dom.js';
import { driftPage } from './pages/drift.js';
import { eventsPage } from './pages/events.js';
import { modelPage } from './pages/model.js';
import { modelsPage } from './pages/models.js';
import { retrainPage } from './pages/retrain.js';

/**
 * Hash routes, so the server serves one static page and needs no fallback route:
 * #/models · #/models/:name · #/models/:name/drift?report=&feature= · #/retrain · #/retrain/:id ·
 * #/events?model=&type=
 */
const ROUTES = [
  [/^#\/models\/([^/?]+)\/drift$/, (m, q) => driftPage(decodeURIComponent(m[1]), q)],
  [/^#\/models\/([^/?]+)$/, (m) => modelPage(decodeURIComponent(m[1]))],
  [/^#\/retrain\/([^/?]+)$/, (m) => retrainPage(decodeURIComponent(m[1]))],
  [/^#\/retrain$/, (_m, q) => retrainPage(undefined, q)],
  [/^#\/events$/, (_m, q) => eventsPage(q)],
  [/^#\/models$/, () => modelsPage()],
];

const main = document.getElementById('main');

function keyForm(message) {
  const input = h('input', { type: 'password', id: 'api-key', name: 'api-key', autocomplete: 'off', placeholder: 'API key', required: true, size: 40 });
  const status = h(
    'p',
    { className: message ? 'error' : 'hint' },
    message ?? 'The key is kept in this browser tab only (sessionStorage) and sent as a Bearer token.',
  );
  const form = h(
    'form',
    { id: 'key-form', className: 'key-form' },
    h('h1', {}, 'Sign in with an API key'),
    h('label', { for: 'api-key' }, 'API key '),
    input,
    h('button', { type: 'submit' }, 'Open dashboard'),
    status,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    session.set(input.value.trim());
    try {
      await api('/models?limit=1');
      render();
    } catch (error) {
      session.clear();
      status.className = 'error';
      status.textContent = error.status === 401 ? 'That key was not accepted.' : error.message;
    }
  });
  return form;
}

function sessionBar() {
  const slot = document.getElementById('session');
  const tz = h(
    'button',
    {
      type: 'button',
      id: 'tz-toggle',
      title: 'Show times in UTC or in this browser’s time zone',
      dataset: { zone: zone.local() ? 'local' : 'utc' },
      onclick: () => {
        zone.toggle();
        render();
      },
    },
    zone.local() ? `Local (${zone.name()})` : 'UTC',
  );
  slot.replaceChildren(
    tz,
    session.key()
      ? h(
          'button',
          {
            type: 'button',
            id: 'sign-out',
            onclick: () => {
              session.clear();
              render();
            },
          },
          'Forget key',
        )
      : '',
  );
}

async function render() {
  sessionBar();
  if (!session.key()) {
    main.replaceChildren(keyForm());
    main.dataset.state = 'ready';
    return;
  }
  const [path, query = ''] = (location.hash || '#/models').split('?');
  const match = ROUTES.map(([re, page]) => [re.exec(path), page]).find(([m]) => m);
  main.replaceChildren(h('p', { className: 'loading' }, 'Loading…'));
  main.dataset.state = 'loading';
  try {
    const page = match ? await match[1](match[0], new URLSearchParams(query)) : h('p', {}, 'No such page. ', h('a', { href: '#/models' }, 'Models'));
    main.replaceChildren(page);
  } catch (error) {
    if (error.status === 401) {
      session.clear();
      main.replaceChildren(keyForm('The key was refused (revoked or wrong); enter another.'));
      main.dataset.state = 'ready';
      return;
    }
    main.replaceChildren(errorBox(error));
  }
  // Charts are drawn once their containers are in the document (they need a size).
  runMounted();
  main.dataset.state = 'ready';
}

window.addEventListener('hashchange', render);
// Charts lay out differently on a phone (legend, margins, windows that fit): crossing that width
// draws the page again; other resizes just resize the charts.
let narrow = innerWidth < 640;
window.addEventListener('resize', () => {
  if (innerWidth < 640 === narrow) return resizeAll();
  narrow = innerWidth < 640;
  render();
});
render();
