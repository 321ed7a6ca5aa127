/**
 * A tiny element builder. Everything from the API goes in as text (textContent), never as HTML,
 * so a model or feature name cannot inject markup.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'className') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function table(headers, rows) {
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((x) => h('th', {}, x)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((cells) =>
        h(
          'tr',
          {},
          cells.map((c) => h('td', {}, c)),
        ),
      ),
    ),
  );
}

export const fmt = {
  time: (iso) => (iso ? new Date(iso).toISOString().replace('T', ' ').slice(0, 19) : '—'),
  num: (x, digits = 4) =>
    typeof x === 'number' && Number.isFinite(x)
      ? Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3)
        ? x.toExponential(2)
        : String(Number(x.toFixed(digits)))
      : '—',
};

export function badge(state) {
  return h('span', { className: `badge badge-${state.replace(/[^a-z-]/g, '')}` }, state);
}

/** A panel saying what is missing instead of an error: used while a route is not deployed yet. */
export function unavailable(what) {
  return h('p', { className: 'unavailable', dataset: { state: 'unavailable' } }, `${what} is not available on this server yet.`);
}

export function errorBox(error) {
  return h('p', { className: 'error', role: 'alert' }, error?.message ?? String(error));
}

const mounted = [];
/** Runs `fn` once the page being built is in the document (charts need their container's size). */
export function onMount(fn) {
  mounted.push(fn);
}
export function runMounted() {
  for (const fn of mounted.splice(0)) fn();
}
