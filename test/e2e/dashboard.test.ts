import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { InlineQueue } from '../../src/queue/index.js';
import { UI_CSP } from '../../src/ui/ui.routes.js';
import { ADMIN_TOKEN, createTestApp, type TestApp } from '../helpers/app.js';
import { createRng } from '../helpers/random.js';

/**
 * The dashboard in Debian's Chromium (driven by playwright-core) against a real listening app
 * with real data: two versions, aliases, three drift windows of which the last drifts. Every page
 * must load without a console error (CSP violations and failed requests included), and the charts
 * must show the API's numbers — checked in the SVG ECharts drew and in the data attributes the
 * chart code wrote from the API answers.
 */
const CHROMIUM = '/usr/bin/chromium';
/**
 * The page's globals as the predicates below use them (the project's TypeScript has no DOM
 * library). Predicates are functions, not strings: Playwright evals string predicates in the
 * page, which the dashboard's CSP (no unsafe-eval) rightly refuses.
 */
type PageElement = { dataset: Record<string, string | undefined> };
type PageGlobals = { document: { querySelector(selector: string): { dataset: Record<string, string | undefined> } | null }; location: { hash: string } };
const readyWith = ([selector, key, value]: [string, string, string]) => {
  const g = globalThis as unknown as PageGlobals;
  return (
    g.document.querySelector('main')?.dataset.state === 'ready' &&
    (selector === 'location.hash' ? g.location.hash.includes(value) : g.document.querySelector(selector)?.dataset[key] === value)
  );
};
const SHOTS = join(process.cwd(), '.tmp', 'test');
const features = [
  { name: 'age', type: 'numeric' },
  { name: 'income', type: 'numeric' },
  { name: 'plan', type: 'categorical' },
];
function rows(seed: number, n: number, shift: number) {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => ({
    age: Math.round(rng.normal(40 + shift, 10) * 10) / 10,
    income: Math.round(rng.normal(50_000, 8_000)),
    plan: shift > 0 ? 'team' : ['free', 'pro', 'team'][rng.int(3)]!,
  }));
}

interface ReportFeature {
  name: string;
  psi: number;
  drifted: boolean;
  histogram: { reference: number[]; current: number[] };
}
interface TimelinePoint {
  reportId: number;
  features: { name: string; psi: number; pValue: number }[];
}

describe('dashboard (/ui) in Chromium', () => {
  let t: TestApp;
  let base: string;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const problems: string[] = [];
  let latest: { id: number; features: ReportFeature[] };
  let points: TimelinePoint[];
  /** The retraining routes are built on another branch: the panels must work with and without them. */
  let retraining: boolean;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
    t = await createTestApp();
    const call = async (method: 'POST' | 'PUT', url: string, payload: unknown) => {
      const res = await t.call({ method, url: `/api/v1${url}`, payload: payload as object });
      if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    };
    await call('POST', '/models', { name: 'churn', description: 'Customer churn classifier' });
    await call('POST', '/models/churn/versions', { features, metrics: { accuracy: 0.87 } });
    await call('POST', '/models/churn/versions', { features, metrics: { accuracy: 0.91 }, parentVersion: 1 });
    await call('PUT', '/models/churn/aliases/production', { version: 1 });
    await call('PUT', '/models/churn/aliases/staging', { version: 2 });
    await call('POST', '/models', { name: 'fraud' });
    // A model whose only version has no reference: its window's report fails, monitoring has stopped.
    await call('POST', '/models', { name: 'orphan' });
    await call('POST', '/models/orphan/versions', { features });
    await call('PUT', '/models/orphan/monitor', { window: { size: 50 }, minSamples: 30 });
    await call('POST', '/models/orphan/samples', { version: 1, rows: rows(5, 50, 0) });
    await call('POST', '/models/churn/versions/1/reference', { rows: rows(1, 2000, 0) });
    await call('PUT', '/models/churn/monitor', { window: { size: 200 }, minSamples: 30 });
    await call('POST', '/models/churn/samples', { rows: rows(2, 200, 0) });
    await call('POST', '/models/churn/samples', { rows: rows(3, 200, 0) });
    await call('POST', '/models/churn/samples', { rows: rows(4, 200, 9) });
    await (t.container.queue as InlineQueue).idle();
    const reports = (await t.call({ method: 'GET', url: '/api/v1/models/churn/drift-reports' })).json<{ items: { id: number; status: string }[] }>().items;
    expect(reports.map((r) => r.status)).toEqual(['done', 'done', 'done']);
    latest = (await t.call({ method: 'GET', url: `/api/v1/drift-reports/${reports[0]!.id}` })).json();
    points = (await t.call({ method: 'GET', url: '/api/v1/models/churn/drift/timeline' })).json<{ points: TimelinePoint[] }>().points;
    expect(latest.features.find((f) => f.name === 'age')!.drifted).toBe(true);

    retraining = '/api/v1/retrain-jobs' in (t.app.swagger() as { paths: Record<string, unknown> }).paths;
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    profile = mkdtempSync(join(tmpdir(), 'mlcycle-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 1000 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`);
    });
  }, 120_000);

  // Whatever the browser complained about during a test fails that test, and only that one.
  afterEach(() => {
    expect(problems.splice(0)).toEqual([]);
  });

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await t?.close();
  });

  /** Navigates, waits until the page says it has rendered, and fails on anything the browser complained about. */
  async function open(hash: string) {
    // Through a blank page, so every visit is a fresh document load (a bare hash change would
    // leave the previous page's "ready" marker in place for a moment).
    await page.goto('about:blank');
    await page.goto(`${base}/ui/${hash}`);
    await page.waitForSelector('main[data-state="ready"]', { state: 'attached' });
    expect(problems).toEqual([]);
  }

  it('serves /ui with its own strict CSP and asks for a key it keeps in sessionStorage only', async () => {
    const res = await fetch(`${base}/ui/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(UI_CSP);
    expect(UI_CSP).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(await res.text()).not.toMatch(/<script(?![^>]*\bsrc=)/); // no inline script
    // /ui redirects to the folder; the chart library comes from node_modules as a module script.
    const bare = await fetch(`${base}/ui`, { redirect: 'manual' });
    expect([bare.status, bare.headers.get('location')]).toEqual([301, '/ui/']);
    const vendor = await fetch(`${base}/ui/vendor/echarts.js`);
    expect(vendor.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await vendor.text()).toMatch(/export\s*\{/);
    // The API keeps its own policy.
    expect((await fetch(`${base}/healthz`)).headers.get('content-security-policy')).toMatch(/^default-src 'none'/);

    await open('');
    await page.fill('#api-key', ADMIN_TOKEN);
    await page.click('#key-form button[type=submit]');
    await page.waitForSelector('#models-page');
    expect(await page.evaluate("[sessionStorage.getItem('mlcycle.apiKey'), localStorage.length, document.cookie]")).toEqual([ADMIN_TOKEN, 0, '']);
    expect(problems).toEqual([]);
  });

  it('lists the models with the drift status of their latest report', async () => {
    await open('#/models');
    expect(await page.getAttribute('.drift-status[data-model="churn"]', 'data-state')).toBe('drifted');
    expect(await page.getAttribute('.drift-status[data-model="fraud"]', 'data-state')).toBe('no-reports');
    expect(await page.textContent('#models-page')).toContain('production → v1');
  });

  it('shows a model whose newest report failed as "monitoring stopped" with the reason, on the models page and its own page', async () => {
    const status = (await t.call({ method: 'GET', url: '/api/v1/models/orphan/monitor/status' })).json();
    expect(status).toMatchObject({ state: 'stopped', reason: 'no_reference' });
    await open('#/models');
    const cell = (model: string) =>
      page.$eval(`.monitoring-status[data-model="${model}"]`, (el) => ({ ...(el as unknown as PageElement).dataset, text: el.textContent }));
    expect(await cell('orphan')).toEqual({
      model: 'orphan',
      state: 'stopped',
      reason: 'no_reference',
      text: 'monitoring stopped no reference data on this version or any ancestor',
    });
    expect(await cell('churn')).toMatchObject({ state: 'ok', reason: '' });
    expect((await cell('churn')).text).not.toContain('stopped');
    expect(await cell('fraud')).toMatchObject({ state: 'idle' });
    expect(await page.getAttribute('.drift-status[data-model="orphan"]', 'data-state')).toBe('failed');

    await open('#/models/orphan');
    const banner = await page.$eval('#monitoring', (el) => ({
      ...(el as unknown as PageElement).dataset,
      role: el.getAttribute('role'),
      text: el.textContent,
    }));
    expect(banner).toMatchObject({ state: 'stopped', reason: 'no_reference', role: 'alert' });
    expect(banner.text).toContain('Monitoring stopped: no reference data on this version or any ancestor (v1) · report #');
    expect(banner.text).toContain(status.message); // the report's own words: how to fix it
    expect(await page.getAttribute('#monitoring a', 'href')).toBe(`#/models/orphan/drift?report=${status.reportId}`);
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'dashboard-monitoring-stopped.png'), fullPage: true });
    // The link leads to the drift page, which says what happened to that report.
    await page.click('#monitoring a');
    await page.waitForSelector('#report-notice');
    await page.waitForSelector('main[data-state="ready"]', { state: 'attached' });
    expect(await page.textContent('#report-notice')).toBe(`Report #${status.reportId} failed: ${status.message}`);
    expect(await page.textContent('#no-reports')).toContain('No finished drift reports yet');

    await open('#/models/churn');
    expect(await page.getAttribute('#monitoring', 'data-state')).toBe('ok');
    expect(await page.$$eval('.monitoring-stopped', (els) => els.length)).toBe(0);
  });

  it('shows a model with its versions, metrics, aliases and lineage, and says retraining is not available yet', async () => {
    await open('#/models/churn');
    const versions = await page.$$eval('#versions tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(versions.map((r) => r.slice(0, 4))).toEqual(
      expect.arrayContaining([
        ['v2', 'v1', 'staging', 'accuracy=0.91'],
        ['v1', '—', 'production', 'accuracy=0.87'],
      ]),
    );
    const lineage = await page.$$eval('#lineage ol li', (lis) => lis.map((li) => li.textContent));
    if (retraining) {
      expect(lineage).toEqual(['v2 ← v1', 'v1']);
      expect(await page.textContent('#model-retrain')).toContain('No retrain jobs.');
    } else {
      // Until the retraining routes are merged: the parent links, and a clear state instead of a 404.
      expect(lineage).toEqual(['v2 ← parent v1', 'v1 (root)']);
      expect(await page.$$eval('[data-state="unavailable"]', (els) => els.length)).toBe(2);
    }
  });

  it('draws the drift heatmap, the timeline and a histogram from the report data, and saves a screenshot', async () => {
    await open('#/models/churn/drift');
    await page.waitForSelector('#histogram svg');
    const heat = await page.$eval('#heatmap', (el) => ({ ...el.dataset, labels: [...el.querySelectorAll('svg text')].map((x) => x.textContent) }));
    expect([heat.features, heat.windows]).toEqual(['3', '3']);
    const cells = JSON.parse(heat.cells!) as { window: number; feature: string; psi: number; drifted: boolean }[];
    expect(cells).toHaveLength(9);
    const age = latest.features.find((f) => f.name === 'age')!;
    const cell = cells.find((c) => c.window === latest.id && c.feature === 'age')!;
    expect(cell).toMatchObject({ psi: Number(age.psi.toFixed(4)), drifted: true });
    // The SVG ECharts drew labels every cell with its PSI: the drifted one among them.
    expect(heat.labels).toContain(age.psi.toFixed(2));
    expect(heat.labels.filter((l: string | null) => /^\d+\.\d\d$/.test(l ?? ''))).toHaveLength(9);
    // Cells at or above 2.5× the PSI threshold take the scale's top colour; the others do not.
    const red = await page.$$eval('#heatmap svg path[fill="rgb(215,48,39)"]', (els) => els.length); // #d73027
    expect(red).toBe(cells.filter((c) => c.psi >= 0.5).length);
    expect(red).toBeGreaterThanOrEqual(1);

    // The feature shown by default is the first drifted one of the latest report: age.
    const line = await page.$eval('#timeline', (el) => ({
      ...el.dataset,
      paths: el.querySelectorAll('svg path').length,
      text: el.querySelector('svg')!.textContent,
    }));
    expect(line.feature).toBe('age');
    expect(JSON.parse(line.psi!)).toEqual(points.map((p) => p.features.find((f) => f.name === 'age')!.psi));
    expect(JSON.parse(line.pValue!)).toEqual(points.map((p) => p.features.find((f) => f.name === 'age')!.pValue));
    expect(line.text).toContain('p-value');
    expect(line.paths).toBeGreaterThanOrEqual(2);

    const hist = await page.$eval('#histogram', (el) => ({
      ...el.dataset,
      refBars: el.querySelectorAll('svg path[fill="#4575b4"]').length,
      curBars: el.querySelectorAll('svg path[fill="#f46d43"]').length,
    }));
    expect(JSON.parse(hist.reference!)).toEqual(age.histogram.reference);
    expect(JSON.parse(hist.current!)).toEqual(age.histogram.current);
    // One bar per bin and series (plus the legend's swatch), drawn in the series' colour.
    const bins = age.histogram.reference.length;
    expect(hist.bins).toBe(String(bins));
    expect(hist.refBars).toBeGreaterThanOrEqual(bins);
    expect(hist.curBars).toBeGreaterThanOrEqual(bins);

    mkdirSync(SHOTS, { recursive: true });
    const shot = join(SHOTS, 'dashboard-drift.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(existsSync(shot)).toBe(true);
    if (process.env.UPDATE_DOCS_SCREENSHOT) copyFileSync(shot, join(process.cwd(), 'docs', 'dashboard.png'));
    expect(problems).toEqual([]);
  });

  it('switches the timeline and histogram to another feature and report from the pickers', async () => {
    const first = points[0]!.reportId;
    await page.selectOption('#feature-picker', 'plan');
    await page.waitForFunction(readyWith, ['#timeline', 'feature', 'plan'] as [string, string, string]);
    await page.selectOption('#report-picker', String(first));
    await page.waitForFunction(readyWith, ['location.hash', '', `report=${first}`] as [string, string, string]);
    await page.waitForSelector('#histogram svg');
    const report = (await t.call({ method: 'GET', url: `/api/v1/drift-reports/${first}` })).json<{ features: ReportFeature[] }>();
    const plan = report.features.find((f) => f.name === 'plan')!;
    expect(JSON.parse((await page.getAttribute('#histogram', 'data-reference'))!)).toEqual(plan.histogram.reference);
    expect(JSON.parse((await page.getAttribute('#histogram', 'data-current'))!)).toEqual(plan.histogram.current);
    expect(JSON.parse((await page.getAttribute('#timeline', 'data-psi'))!)).toEqual(points.map((p) => p.features.find((f) => f.name === 'plan')!.psi));
    expect(problems).toEqual([]);
  });

  it('shows the retrain jobs page, or says it is not available while the retraining API is not deployed', async () => {
    await open('#/retrain');
    if (retraining) expect(await page.textContent('#retrain-page')).toContain('No retrain jobs.');
    else expect(await page.textContent('#retrain-page [data-state="unavailable"]')).toContain('not available');
  });

  it("shows a retrain job's evaluation: both scores on the holdout, the paired test's p-value and the decision", async () => {
    const [fraud] = (await t.container.database.db().select().from(t.container.database.tables.models)).filter((m) => m.name === 'fraud');
    const evaluation = {
      rows: 84,
      metric: 'accuracy',
      champion: 0.52,
      challenger: 0.95,
      pValue: 3.1e-10,
      test: 'mcnemar',
      alpha: 0.05,
      minImprovement: 0,
      championVersion: 1,
      decision: 'promoted',
      alias: 'production',
      reason: 'better: accuracy 0.95 vs 0.52 (v1) on 84 holdout rows, mcnemar p = 3.10e-10',
    };
    const at = new Date().toISOString();
    const job = await t.container.database.transaction(() =>
      t.container.retraining.repo.insert({
        modelId: fraud!.id,
        activeModelId: null,
        status: 'succeeded',
        attempts: 1,
        createdAt: at,
        finishedAt: at,
        trigger: 'manual',
        triggerReportId: null,
        requestedBy: 'admin',
        baseVersionId: null,
        executor: { type: 'command', command: ['true'] },
        resultVersion: 2,
        evaluation,
      }),
    );
    await open(`#/retrain/${job.id}`);
    await page.waitForSelector('#evaluation');
    const text = await page.textContent('#evaluation');
    for (const part of ['promoted → production', 'accuracy', '84', '0.5200', '0.9500', 'exact McNemar', '3.10e-10', 'gain ≥ 0 and p ≤ 0.05', evaluation.reason])
      expect(text).toContain(part);
  });

  it('catches what the browser refuses: an inline script is blocked by the CSP and reported (control for the checks above)', async () => {
    await open('#/models');
    await page.evaluate("{ const s = document.createElement('script'); s.textContent = 'window.injected = true'; document.body.append(s); }");
    await page.waitForTimeout(100);
    expect(await page.evaluate('window.injected === undefined')).toBe(true);
    expect(problems.join('\n')).toMatch(/Content Security Policy/);
    problems.length = 0;
  });

  it('forgets the key on request and asks again', async () => {
    await open('#/models');
    await page.click('#sign-out');
    await page.waitForSelector('#key-form');
    expect(await page.evaluate("sessionStorage.getItem('mlcycle.apiKey')")).toBeNull();
    expect(problems).toEqual([]);
  });
});
