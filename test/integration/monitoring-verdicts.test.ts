import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InlineQueue } from '../../src/queue/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import * as C from '../helpers/drift-cases.js';

/**
 * Issue 17's table through the service: reference and windows posted over HTTP, reports computed
 * by the drift job with the monitor's defaults. Smaller than bench:verdicts (runtime), with
 * bounds the old verdict (PSI ≥ 0.2 or adjusted p < α, roles unknown) fails.
 */
type Feature = { name: string; drifted: boolean; reasons: string[]; rule: { floor: { name: string; value: number } } };
type Report = { id: number; status: string; datasetDrift: boolean; driftedFeatures: string[] };

const plain = (col: C.CaseColumn) => (col instanceof Float64Array ? Array.from(col) : col);
function chunks(side: Record<string, C.CaseColumn>, size: number): Record<string, (number | string)[]>[] {
  const n = Object.values(side)[0]!.length;
  const out: Record<string, (number | string)[]>[] = [];
  for (let i = 0; i < n; i += size) out.push(Object.fromEntries(Object.entries(side).map(([k, v]) => [k, plain(v).slice(i, i + size)])));
  return out;
}

describe('issue 17 verdicts through the service', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ queue: 'inline' });
  });
  afterAll(async () => t?.close());

  async function monitored(
    name: string,
    c: C.DriftCase,
    window: number,
    roles: Record<string, 'id' | 'timestamp'> = {},
    monitor: Record<string, unknown> = {},
  ): Promise<Report[]> {
    const features = Object.entries(c.kinds).map(([n, type]) => ({ name: n, type, ...(roles[n] ? { role: roles[n] } : {}) }));
    expect((await t.call({ method: 'POST', url: '/api/v1/models', payload: { name } })).statusCode).toBe(201);
    const v = await t.call({ method: 'POST', url: `/api/v1/models/${name}/versions`, payload: { features } });
    expect(v.statusCode, v.body).toBe(201);
    for (const columns of chunks(c.reference, 10_000)) {
      const r = await t.call({ method: 'POST', url: `/api/v1/models/${name}/versions/1/reference`, payload: { columns } });
      expect(r.statusCode, r.body).toBe(200);
    }
    const m = await t.call({ method: 'PUT', url: `/api/v1/models/${name}/monitor`, payload: { window: { size: window }, ...monitor } });
    expect(m.statusCode, m.body).toBe(200);
    for (const w of c.windows) {
      for (const columns of chunks(w, 10_000)) {
        const s = await t.call({ method: 'POST', url: `/api/v1/models/${name}/samples`, payload: { version: 1, columns } });
        expect(s.statusCode, s.body).toBe(202);
      }
    }
    await (t.container.queue as InlineQueue).idle();
    const page = (await t.call({ method: 'GET', url: `/api/v1/models/${name}/drift-reports?limit=500` })).json<{ items: Report[] }>();
    expect(page.items.map((r) => r.status)).toEqual(c.windows.map(() => 'done'));
    return page.items;
  }
  const features = async (id: number) =>
    (await t.call({ method: 'GET', url: `/api/v1/drift-reports/${id}` })).json<{ features: Feature[]; ignored?: unknown }>();

  it('row 1: a significant but irrelevant shift at large n is no drift (old rule: every window)', async () => {
    const reports = await monitored('tiny', C.tinyShiftCase(1, 100_000, 20_000, 2, 0.02, 0.02), 20_000);
    expect(reports.filter((r) => r.datasetDrift)).toEqual([]);
  });

  it('row 2: 50-row null windows of 10 features raise ≤ 2 alarms in 20 (old rule: PSI noise in most)', async () => {
    const reports = await monitored('noise', C.nullCase(2, 5000, 50, 20), 50);
    expect(reports.filter((r) => r.datasetDrift)).toEqual([]);
    const alarms = reports.filter((r) => r.driftedFeatures.length > 0);
    expect(alarms.length).toBeLessThanOrEqual(2);
  });

  it('rows 3 and 4: 0.2 σ shifts of both features are found every time, a 0.1 σ shift of one mostly', async () => {
    const strong = await monitored('strong', C.shiftCase(3, 10_000, 1000, 4, 0.2, 2, 2), 1000);
    expect(strong.every((r) => r.datasetDrift)).toBe(true);
    const f = await features(strong[0]!.id);
    expect(f.features.map((x) => x.reasons)).toEqual([['test+wasserstein'], ['test+wasserstein']]);
    expect(f.features[0]!.rule.floor).toEqual({ name: 'wasserstein', value: 0.05 });
    const weak = await monitored('weak', C.shiftCase(4, 10_000, 1000, 6, 0.1, 2, 1), 1000);
    expect(weak.filter((r) => r.driftedFeatures.includes('x0')).length).toBeGreaterThanOrEqual(4);
  });

  it('row 5: id and timestamp roles in the version schema are never drift features', async () => {
    const reports = await monitored('roles', C.idDateCase(5, 3000, 500, 3), 500, { id: 'id', day: 'timestamp' });
    expect(reports.filter((r) => r.datasetDrift)).toEqual([]);
    const f = await features(reports[0]!.id);
    expect(f.features.map((x) => x.name)).toEqual(['x', 'c']);
    const report = (await t.call({ method: 'GET', url: `/api/v1/drift-reports/${reports[0]!.id}` })).json();
    expect(report.options.roles).toEqual({ id: 'id', day: 'timestamp' });
  });

  it('takes per-feature settings, and answers 400 naming the path when they are wrong', async () => {
    const c = C.shiftCase(7, 5000, 1000, 1, 0.2, 2, 2);
    const reports = await monitored('perfeature', c, 1000, {}, { features: { x0: { floors: { wasserstein: 5 } }, x1: { ignore: true } } });
    const f = await features(reports[0]!.id);
    expect(f.features.map((x) => [x.name, x.drifted, x.rule.floor.value])).toEqual([['x0', false, 5]]);
    const effective = (await t.call({ method: 'GET', url: '/api/v1/models/perfeature/monitor' })).json().effective;
    expect(effective.drift).toMatchObject({ alpha: 0.05, floors: { wasserstein: 0.05, jensenShannon: 0.05 }, features: { x1: { ignore: true } } });
    const bad = await t.call({ method: 'PUT', url: '/api/v1/models/perfeature/monitor', payload: { features: { x0: { alpha: 2 } } } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toMatch(/features.*x0.*alpha/);
    const unknown = await t.call({ method: 'PUT', url: '/api/v1/models/perfeature/monitor', payload: { features: { nope: { critical: true } } } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().errors[0].path).toBe('features.nope');
    const extra = await t.call({ method: 'PUT', url: '/api/v1/models/perfeature/monitor', payload: { features: { x0: { floor: 1 } } } });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().errors[0].path).toMatch(/features.*x0/);
  });
});
