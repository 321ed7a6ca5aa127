export const SCOPES = ['admin', 'models:write', 'samples:write', 'read', 'metrics'] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * What a route needs. `admin` satisfies everything; a `models:write` key (a training script)
 * may also read what it wrote; `samples:write` (serving code) writes samples only; `metrics`
 * (a Prometheus scraper) reads GET /metrics only.
 */
export function hasScope(granted: readonly string[], required: Scope): boolean {
  if (granted.includes('admin')) return true;
  if (granted.includes(required)) return true;
  return required === 'read' && granted.includes('models:write');
}
