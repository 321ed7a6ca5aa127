/**
 * `npm run demo`: the whole loop, twice, on the embedded defaults, on real data shipped by an npm
 * package (vega-datasets' Seattle weather, 2012–2015; no download). A classifier of wet days is
 * trained on winter days with the example trainer and registered as v1 with its reference data.
 * Serving code (this script, scoring with the production model's model.json) posts summer days
 * with its class predictions and the day's truth: the temperatures drift, the monitor flags the
 * window, the policy retrains from v1 on that window, and mlcycle scores v1's posted predictions
 * against v2's holdout predictions on the same held-out days (exact McNemar) before it moves
 * `production`. Then winter comes back: the same happens to v2, which was registered with its own
 * reference (its training data), and v3 follows. The server keeps running afterwards so the
 * dashboard can be opened (`npm run demo -- --exit` stops it instead). Ctrl-C or SIGTERM at any
 * point stops the server and removes the demo's temporary data folder.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startServerProcess } from '../test/helpers/server-process.js';

const EXIT = process.argv.includes('--exit');
const TOKEN = 'demo-admin-token-0123456789abcdef';
const TRAINER = resolve('examples/trainers/logreg.py');
const say = (text: string) => process.stdout.write(`${text}\n`);

interface Day {
  date: string;
  month: number;
  temp_max: number;
  temp_min: number;
  wind: number;
  label: 'rain' | 'dry';
}
const days: Day[] = readFileSync(resolve('node_modules/vega-datasets/data/seattle-weather.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const [date, precipitation, tmax, tmin, wind] = line.split(',');
    return {
      date: date!,
      month: Number(date!.slice(5, 7)),
      temp_max: Number(tmax),
      temp_min: Number(tmin),
      wind: Number(wind),
      label: Number(precipitation) > 0 ? 'rain' : 'dry',
    };
  });
const winter = days.filter((d) => [11, 12, 1, 2, 3].includes(d.month));
const summer = days.filter((d) => [6, 7, 8].includes(d.month));
const features = ['temp_max', 'temp_min', 'wind'] as const;
const WINDOW = 360;
// v1 learns from the later winters (2013–15); cycle 2's traffic is the earlier winters' days, which no version saw.
const trainWinter = winter.slice(WINDOW);
const earlyWinter = winter.slice(0, WINDOW);

/** What serving code does with logreg.py's model.json: standardise, weigh, threshold at 0.5. */
interface LogregModel {
  classes: string[];
  encoder: { name: string; mean: number; std: number }[];
  weights: number[];
}
function predict(model: LogregModel, d: Day): string {
  const z = model.encoder.reduce((sum, e, j) => sum + model.weights[j + 1]! * ((d[e.name as (typeof features)[number]] - e.mean) / e.std), model.weights[0]!);
  return 1 / (1 + Math.exp(-z)) >= 0.5 ? model.classes.at(-1)! : model.classes[0]!;
}

const dataDir = mkdtempSync(join(tmpdir(), 'mlcycle-demo-'));
say(`mlcycle demo — data in ${dataDir}`);
const server = await startServerProcess({ DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'warn' }, { capture: false });
/** Stops the server (waiting for it to exit) and removes the data folder; safe to call twice. */
let stopping: Promise<void> | undefined;
const stop = () =>
  (stopping ??= (async () => {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      const exited = new Promise((done) => server.child.once('exit', done));
      server.child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  })());
// A signal during the run or while the dashboard is up: the same clean stop (exit 0 once the demo
// has finished, 130/143 when it was cut short).
let finished = false;
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => {
    void stop().then(() => process.exit(finished ? 0 : code));
  });
}
const api = `${server.base}/api/v1`;
async function call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : {}) as T;
}
const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>, ms = 90_000): Promise<T> => {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) {
    const v = await probe();
    if (v !== undefined) return v;
  }
  const skipped = await call<{ items: { data: unknown }[] }>('GET', '/models/seattle-rain/events?type=retrain.skipped&limit=3');
  throw new Error(`timed out waiting for ${what} (last skips: ${JSON.stringify(skipped.items.map((e) => e.data))})`);
};

try {
  // 1. v1: the example trainer on winter days, exactly as a retrain job runs it (train.csv, holdout.csv).
  const work = join(dataDir, 'v1');
  mkdirSync(join(work, 'data'), { recursive: true });
  mkdirSync(join(work, 'out'), { recursive: true });
  writeFileSync(
    join(work, 'data', 'train.csv'),
    `${['sample_id', ...features, 'label'].join(',')}\n${trainWinter.map((d) => [d.date, ...features.map((f) => d[f]), d.label].join(',')).join('\n')}\n`,
  );
  writeFileSync(join(work, 'data', 'holdout.csv'), `${['sample_id', ...features].join(',')}\n`);
  execFileSync('python3', [TRAINER], { env: { ...process.env, MLCYCLE_DATASET_DIR: join(work, 'data'), MLCYCLE_OUTPUT_DIR: join(work, 'out') } });
  const v1Metrics = JSON.parse(readFileSync(join(work, 'out', 'metrics.json'), 'utf8')) as Record<string, number>;
  say(`1. trained v1 on ${trainWinter.length} winter days (2013–15): accuracy ${v1Metrics.accuracy?.toFixed(3)} on its own validation split (a claim)`);

  await call('POST', '/models', { name: 'seattle-rain', description: 'Will it rain? (vega-datasets seattle-weather)' });
  await call('POST', '/models/seattle-rain/versions', {
    features: features.map((name) => ({ name, type: 'numeric' })),
    metrics: v1Metrics,
    runId: 'demo-v1',
    // Reports score the posted class predictions against the truth; retrained versions inherit it.
    task: { type: 'classification', positive: 'rain' },
  });
  await fetch(`${api}/models/seattle-rain/versions/1/artifacts/model.json`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream' },
    body: readFileSync(join(work, 'out', 'model.json')),
  });
  await call('POST', '/models/seattle-rain/versions/1/reference', {
    rows: trainWinter.map((d) => ({ temp_max: d.temp_max, temp_min: d.temp_min, wind: d.wind })),
  });
  await call('PUT', '/models/seattle-rain/aliases/production', { version: 1 });
  say('2. registered v1 with its metrics, model.json and the winter days as reference data; production → v1');

  // 2. The monitor: windows of 360 days; on drift, retrain with the same trainer; promote when
  //    mlcycle's own scoring on the holdout says the new version is better (exact McNemar, α 0.05).
  await call('PUT', '/models/seattle-rain/monitor', {
    window: { size: WINDOW },
    retrain: {
      on: ['datasetDrift'],
      cooldown: 'PT1S',
      executor: { type: 'command', command: ['python3', TRAINER], timeoutSeconds: 120 },
      promote: { alias: 'production', metric: 'accuracy' },
    },
  });
  say(`3. monitor: windows of ${WINDOW} samples; retrain on dataset drift; promote on accuracy measured by mlcycle on the holdout`);

  const seasons = [
    { name: 'summer', served: summer.slice(0, WINDOW) },
    { name: 'winter (2012–13)', served: earlyWinter },
  ];
  let step = 4;
  for (const [cycle, season] of seasons.entries()) {
    // The policy's cooldown (1 s here, 6 h by default) runs from the last job's creation.
    if (cycle > 0) await new Promise((r) => setTimeout(r, 1100));
    // Serving code: score each day with the production model, post features + class prediction + truth.
    const production = await call<{ version: number }>('GET', '/models/seattle-rain/aliases/production');
    const modelRes = await fetch(`${api}/models/seattle-rain/versions/${production.version}/artifacts/model.json`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const model = (await modelRes.json()) as LogregModel;
    for (let i = 0; i < season.served.length; i += 60) {
      const batch = season.served.slice(i, i + 60);
      await call('POST', '/models/seattle-rain/samples', {
        rows: batch.map((d) => ({ temp_max: d.temp_max, temp_min: d.temp_min, wind: d.wind })),
        ids: batch.map((d) => d.date),
        predictions: batch.map((d) => predict(model, d)),
        labels: batch.map((d) => d.label),
      });
    }
    say('');
    say(
      `cycle ${cycle + 1}: ${step++}. served ${season.served.length} ${season.name} days to production (v${production.version}), with its predictions and the truth`,
    );

    const report = await waitFor('the drift report', async () => {
      const page = await call<{ items: { id: number; status: string; version: number }[] }>('GET', '/models/seattle-rain/drift-reports');
      return page.items.find((r) => r.status === 'done' && r.version === production.version);
    });
    const whole = await call<{ datasetDrift: boolean; features: { name: string; psi: number; drifted: boolean; ks?: { pValue: number } }[] }>(
      'GET',
      `/drift-reports/${report.id}`,
    );
    say(`${step++}. drift report ${report.id} on v${production.version}: dataset drift ${whole.datasetDrift ? 'YES' : 'no'}`);
    for (const f of whole.features)
      say(`     ${f.name.padEnd(9)} PSI ${f.psi.toFixed(2).padStart(6)}  KS p ${f.ks?.pValue.toExponential(1) ?? '—'}  ${f.drifted ? 'drifted' : ''}`);

    const job = await waitFor('the retrain job', async () => {
      const page = await call<{ items: { id: number; status: string; triggerReportId: number | null }[] }>('GET', '/retrain-jobs?model=seattle-rain');
      const j = page.items[0];
      return j && j.triggerReportId === report.id && ['succeeded', 'failed', 'cancelled'].includes(j.status) ? j : undefined;
    });
    type Evaluation = { rows: number; champion: number; challenger: number; pValue: number; decision: string; reason: string };
    const full = await call<{ status: string; baseVersion: number; resultVersion: number; evaluation: Evaluation | null }>('GET', `/retrain-jobs/${job.id}`);
    say(`${step++}. retrain job ${job.id} from v${full.baseVersion}: ${full.status}`);
    if (full.status !== 'succeeded' || !full.evaluation) throw new Error(`the retrain job ${full.status}: ${JSON.stringify(full)}`);
    const e = full.evaluation;
    const created = await call<{ version: number; parentVersion: number; reference: { rows: number; source: string } | null }>(
      'GET',
      `/models/seattle-rain/versions/${full.resultVersion}`,
    );
    say(
      `${step++}. v${created.version} (parent v${created.parentVersion}), reference: ${created.reference?.rows} rows from its ${created.reference?.source}; evaluation on ${e.rows} held-out days: accuracy v${created.version} ${e.challenger.toFixed(3)} vs v${production.version} ${e.champion.toFixed(3)}, McNemar p = ${e.pValue.toPrecision(2)}`,
    );
    const after = await call<{ version: number }>('GET', '/models/seattle-rain/aliases/production');
    say(`${step++}. production → v${after.version} (${e.decision}: ${e.reason})`);
  }
  say('');
  say(`dashboard: ${server.base}/ui/#/models/seattle-rain/drift   (API key: ${TOKEN})`);
  say(`lineage:   ${api}/models/seattle-rain/versions/3/lineage`);
  finished = true;
  if (!EXIT) {
    say('the server keeps running for the dashboard; Ctrl-C (or SIGTERM) stops it');
    // Until a signal (the handlers above stop it) or the server's own end.
    await new Promise((done) => server.child.once('exit', done));
  }
} finally {
  await stop();
}
