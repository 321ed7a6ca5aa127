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
  // On a phone a wide table scrolls inside its own box; the page itself never scrolls sideways.
  return h('div', { className: 'table-wrap' }, bareTable(headers, rows));
}

function bareTable(headers, rows) {
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
          // The header rides on each cell: on a phone the rows become cards labelled with it.
          cells.map((c, i) => h('td', { 'data-label': headers[i] || undefined }, h('span', { className: 'cell' }, c))),
        ),
      ),
    ),
  );
}

/**
 * Times are shown in UTC unless the user picked local time (kept in this tab, like the key); every
 * shown time names its zone.
 */
const TZ_KEY = 'mlcycle.tz';
export const zone = {
  local: () => sessionStorage.getItem(TZ_KEY) === 'local',
  toggle: () => (zone.local() ? sessionStorage.removeItem(TZ_KEY) : sessionStorage.setItem(TZ_KEY, 'local')),
  /** "UTC", or the browser's offset such as "UTC+02:00" for a given instant. */
  name: (date = new Date()) => {
    if (!zone.local()) return 'UTC';
    const off = -date.getTimezoneOffset();
    const abs = Math.abs(off);
    return off === 0 ? 'UTC' : `UTC${off > 0 ? '+' : '−'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  },
};
const pad = (n) => String(n).padStart(2, '0');
/** [year, month, day, hours, minutes, seconds] in the chosen zone. */
function parts(date) {
  return zone.local()
    ? [date.getFullYear(), date.getMonth() + 1, date.getDate(), date.getHours(), date.getMinutes(), date.getSeconds()]
    : [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()];
}

export const fmt = {
  /** "2026-12-04 18:46:23 UTC" */
  time: (iso) => {
    if (!iso) return '—';
    const d = new Date(iso);
    const [y, mo, da, hh, mi, ss] = parts(d);
    return `${y}-${pad(mo)}-${pad(da)} ${pad(hh)}:${pad(mi)}:${pad(ss)} ${zone.name(d)}`;
  },
  /** Without the zone and year, for chart axes (whose name carries the zone): "12-04 18:46", seconds when `seconds`. */
  axis: (iso, seconds = false) => {
    if (!iso) return '—';
    const [, mo, da, hh, mi, ss] = parts(new Date(iso));
    return `${pad(mo)}-${pad(da)} ${pad(hh)}:${pad(mi)}${seconds ? `:${pad(ss)}` : ''}`;
  },
  /** A window as "from – to", the second without its date when the same day. */
  window: (from, to) => {
    if (!from && !to) return '—';
    if (!from || !to || from === to) return fmt.time(to ?? from);
    const a = fmt.time(from);
    const b = fmt.time(to);
    return a.slice(0, 10) === b.slice(0, 10) ? `${a.slice(0, 19)} – ${b.slice(11)}` : `${a} – ${b}`;
  },
  /** "3 h 12 min", "45 s" */
  age: (ms) => {
    if (typeof ms !== 'number' || !Number.isFinite(ms)) return '—';
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 90) return `${s} s`;
    const m = Math.round(s / 60);
    if (m < 90) return `${m} min`;
    const hours = Math.floor(m / 60);
    return hours < 48 ? `${hours} h ${m % 60} min` : `${Math.round(hours / 24)} d`;
  },
  num: (x, digits = 4) =>
    typeof x === 'number' && Number.isFinite(x)
      ? Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3)
        ? x.toExponential(2)
        : String(Number(x.toFixed(digits)))
      : '—',
  pct: (x) => (typeof x === 'number' && Number.isFinite(x) ? `${(x * 100).toFixed(x > 0 && x < 0.1 ? 1 : 0)} %` : '—'),
};

/** "1 window", "3 windows" */
export const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

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
