import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { InlineQueue } from '../../src/queue/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { parseExposition } from '../helpers/prometheus.js';

/**
 * The shipped Prometheus rules and Grafana board against a real scrape: Prometheus' own checker
 * (`promtool`, Debian's `prometheus` package, installed by .ci/run) accepts the rules and our
 * exposition, and every metric an alert or a panel names is one this service exports — a renamed
 * metric would otherwise leave an alert that can never fire.
 */
const ALERTS = 'deploy/prometheus/alerts.yml';
const BOARD = 'deploy/grafana/mlcycle.json';

function promtool(args: string[], input?: string) {
  const run = spawnSync('promtool', args, { encoding: 'utf8', ...(input !== undefined ? { input } : {}) });
  if (run.error) throw new Error(`promtool not found (install Debian's prometheus package, as .ci/run does): ${run.error.message}`);
  return run;
}

/** mlcycle_* names in PromQL, with a histogram's _bucket/_count/_sum mapped to its family. */
function metricNames(exprs: string[]): Set<string> {
  const names = new Set<string>();
  for (const expr of exprs) for (const [name] of expr.matchAll(/\bmlcycle_[a-z0-9_]+/g)) names.add(name);
  return names;
}
const family = (name: string, types: Map<string, string>) => {
  const base = name.replace(/_(bucket|count|sum)$/, '');
  return types.get(base) === 'histogram' ? base : name;
};

describe('deploy/: Prometheus rules and the Grafana board', () => {
  let t: TestApp;
  let exposition: string;
  beforeAll(async () => {
    t = await createTestApp();
    // Enough traffic for the labelled series to exist: a model, a reference, a window, a report.
    await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'churn' } });
    await t.call({ method: 'POST', url: '/api/v1/models/churn/versions', payload: { features: [{ name: 'age', type: 'numeric' }] } });
    await t.call({ method: 'PUT', url: '/api/v1/models/churn/aliases/production', payload: { version: 1 } });
    await t.call({ method: 'PUT', url: '/api/v1/models/churn/monitor', payload: { window: { size: 100 }, minSamples: 30 } });
    const rows = (shift: number) => Array.from({ length: 100 }, (_, i) => ({ age: (i % 50) + shift }));
    expect((await t.call({ method: 'POST', url: '/api/v1/models/churn/versions/1/reference', payload: { rows: rows(0) } })).statusCode).toBe(200);
    expect((await t.call({ method: 'POST', url: '/api/v1/models/churn/samples', payload: { rows: rows(30) } })).statusCode).toBe(202);
    await (t.container.queue as InlineQueue).idle();
    exposition = await t.container.metrics.render();
  });
  afterAll(async () => t?.close());

  it('promtool accepts the alerting rules', () => {
    const run = promtool(['check', 'rules', ALERTS]);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('promtool check metrics finds nothing in our exposition (names, suffixes, units)', () => {
    const run = promtool(['check', 'metrics'], exposition);
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('every metric an alert or a panel queries is exported', () => {
    const { types } = parseExposition(exposition);
    const rules = (parse(readFileSync(ALERTS, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap((g) => g.rules);
    const board = JSON.parse(readFileSync(BOARD, 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
      templating: { list: { query: string }[] };
    };
    const exprs = [...rules.map((r) => r.expr), ...board.panels.flatMap((p) => p.targets.map((x) => x.expr)), ...board.templating.list.map((v) => v.query)];
    const named = metricNames(exprs);
    expect(named.size).toBeGreaterThan(10);
    const missing = [...named].filter((n) => !types.has(family(n, types)));
    expect(missing).toEqual([]);
    // The alerts cover what an operator must hear about.
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'MlcycleDatasetDrift',
        'MlcycleMonitorStale',
        'MlcycleDriftReportsFailing',
        'MlcycleRetrainFailing',
        'MlcycleWebhooksGivingUp',
        'MlcycleQueueBacklog',
        'MlcycleOverload',
      ]),
    );
  });

  it('the board is importable: unique panel ids, a Prometheus datasource input, no panel without a query', () => {
    const board = JSON.parse(readFileSync(BOARD, 'utf8')) as { __inputs: { pluginId: string }[]; panels: { id: number; targets: unknown[] }[] };
    expect(board.__inputs.map((i) => i.pluginId)).toEqual(['prometheus']);
    expect(new Set(board.panels.map((p) => p.id)).size).toBe(board.panels.length);
    expect(board.panels.every((p) => p.targets.length > 0)).toBe(true);
  });
});
