/**
 * API access for the dashboard. The key lives in sessionStorage only: it is gone when the tab
 * closes and is never written to localStorage or a cookie (so no CSRF surface either).
 */
const KEY = 'mlcycle.apiKey';

export const session = {
  key: () => sessionStorage.getItem(KEY),
  set: (key) => sessionStorage.setItem(KEY, key),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.status = status;
    this.code = problem?.code;
  }
}

export async function api(path) {
  const res = await fetch(`/api/v1${path}`, { headers: { authorization: `Bearer ${session.key()}`, accept: 'application/json' } });
  if (res.ok) return res.json();
  let problem;
  try {
    problem = await res.json();
  } catch {
    problem = undefined;
  }
  throw new ApiError(res.status, problem);
}

export const enc = encodeURIComponent;

let spec;
/**
 * Which routes this server has, from its own OpenAPI document (an open route). Panels for routes
 * still being rolled out (retrain jobs, lineage) check here first, so they show "not available"
 * without ever requesting a 404 — which the browser would log as an error.
 */
function openapi() {
  spec ??= fetch('/openapi.json')
    .then((r) => (r.ok ? r.json() : { paths: {} }))
    .catch(() => ({ paths: {} }));
  return spec;
}

export async function hasRoute(pattern) {
  const paths = (await openapi()).paths ?? {};
  return Object.hasOwn(paths, `/api/v1${pattern}`);
}

/** The values a GET route's query parameter accepts (its enum), e.g. the event types of /events. */
export async function queryEnum(pattern, name) {
  const parameters = (await openapi()).paths?.[`/api/v1${pattern}`]?.get?.parameters ?? [];
  const p = parameters.find((x) => x.in === 'query' && x.name === name);
  return p?.schema?.enum ?? [];
}
