/**
 * `npm run demo`: the whole loop on the embedded defaults, on real data shipped by an npm package
 * (vega-datasets' Seattle weather, 2012–2015; no download). A classifier of wet days is trained on winter
 * days with the example trainer and registered as v1; serving traffic then comes from summer days:
 * the temperatures drift, the monitor flags the window, the retrain policy runs the same trainer on
 * the drifted data, v2 is registered with its lineage and promoted when its accuracy is better.
 * The server keeps running afterwards so the dashboard can be opened (`--exit` stops it).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startServerProcess } from '../test/helpers/server-process.js';

const EXIT = process.argv.includes('--exit');
const TOKEN = 'demo-admin-token-0123456789abcdef';
const TRAINER = resolve('examples/trainers/logreg.py');
const say = (text: string) => process.stdout.write(`${text}\n`);

interface Day {
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

const dataDir = mkdtempSync(join(tmpdir(), 'mlcycle-demo-'));
say(`mlcycle demo — data in ${dataDir}`);
const server = await startServerProcess({ DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'warn' }, { capture: false });
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
  throw new Error(`timed out waiting for ${what}`);
};

try {
  // 1. v1: the example trainer on winter days, exactly as the retrain job will run it later.
  const work = join(dataDir, 'v1');
  mkdirSync(join(work, 'data'), { recursive: true });
  mkdirSync(join(work, 'out'), { recursive: true });
  writeFileSync(
    join(work, 'data', 'samples.csv'),
    `${[...features, 'label'].join(',')}\n${winter.map((d) => [...features.map((f) => d[f]), d.label].join(',')).join('\n')}\n`,
  );
  execFileSync('python3', [TRAINER], { env: { ...process.env, MLCYCLE_DATASET_DIR: join(work, 'data'), MLCYCLE_OUTPUT_DIR: join(work, 'out') } });
  const v1Metrics = JSON.parse(readFileSync(join(work, 'out', 'metrics.json'), 'utf8')) as Record<string, number>;
  say(`1. trained v1 on ${winter.length} winter days: accuracy ${v1Metrics.accuracy?.toFixed(3)} on its holdout`);

  await call('POST', '/models', { name: 'seattle-rain', description: 'Will it rain? (vega-datasets seattle-weather)' });
  await call('POST', '/models/seattle-rain/versions', { features: features.map((name) => ({ name, type: 'numeric' })), metrics: v1Metrics, runId: 'demo-v1' });
  await fetch(`${api}/models/seattle-rain/versions/1/artifacts/model.json`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream' },
    body: readFileSync(join(work, 'out', 'model.json')),
  });
  await call('POST', '/models/seattle-rain/versions/1/reference', { rows: winter.map((d) => ({ temp_max: d.temp_max, temp_min: d.temp_min, wind: d.wind })) });
  await call('PUT', '/models/seattle-rain/aliases/production', { version: 1 });
  say('2. registered v1 with its metrics, model.json and the winter days as reference data; production → v1');

  // 2. The monitor: windows of 90 days; on drift, retrain with the same trainer and promote if better.
  await call('PUT', '/models/seattle-rain/monitor', {
    window: { size: 240 },
    retrain: {
      on: ['datasetDrift'],
      cooldown: 'PT1H',
      executor: { type: 'command', command: ['python3', TRAINER], timeoutSeconds: 120 },
      promote: { alias: 'production', metric: 'accuracy', mode: 'max' },
    },
  });
  say('3. monitor: windows of 240 samples; retrain on dataset drift with the example trainer, promote on better accuracy');

  // 3. Serving traffic from summer days, in batches of 60, each with the day's (delayed) truth.
  const served = summer.slice(0, 240);
  for (let i = 0; i < served.length; i += 60) {
    const batch = served.slice(i, i + 60);
    await call('POST', '/models/seattle-rain/samples', {
      rows: batch.map((d) => ({ temp_max: d.temp_max, temp_min: d.temp_min, wind: d.wind })),
      labels: batch.map((d) => d.label),
    });
  }
  say(`4. served ${served.length} summer days in 4 batches`);

  const report = await waitFor('the drift report', async () => {
    const page = await call<{ items: { id: number; status: string }[] }>('GET', '/models/seattle-rain/drift-reports');
    return page.items.find((r) => r.status === 'done');
  });
  const whole = await call<{ datasetDrift: boolean; features: { name: string; psi: number; drifted: boolean; ks?: { pValue: number } }[] }>(
    'GET',
    `/drift-reports/${report.id}`,
  );
  say(`5. drift report ${report.id}: dataset drift ${whole.datasetDrift ? 'YES' : 'no'}`);
  for (const f of whole.features)
    say(`     ${f.name.padEnd(9)} PSI ${f.psi.toFixed(2).padStart(6)}  KS p ${f.ks?.pValue.toExponential(1) ?? '—'}  ${f.drifted ? 'drifted' : ''}`);

  const job = await waitFor('the retrain job', async () => {
    const page = await call<{ items: { id: number; status: string; resultVersion: number | null }[] }>('GET', '/retrain-jobs?model=seattle-rain');
    const j = page.items[0];
    return j && ['succeeded', 'failed', 'cancelled'].includes(j.status) ? j : undefined;
  });
  say(`6. retrain job ${job.id}: ${job.status}`);
  if (job.status !== 'succeeded') throw new Error(`the retrain job ${job.status}: ${JSON.stringify(await call('GET', `/retrain-jobs/${job.id}`))}`);
  const v2 = await call<{ version: number; parentVersion: number; metrics: Record<string, number> }>('GET', '/models/seattle-rain/versions/2');
  const production = await call<{ version: number }>('GET', '/models/seattle-rain/aliases/production');
  say(
    `7. v2 (parent v${v2.parentVersion}) trained on the drifted window: accuracy ${v2.metrics.accuracy?.toFixed(3)} vs v1's ${v1Metrics.accuracy?.toFixed(3)}`,
  );
  say(`8. production → v${production.version}${production.version === 2 ? ' (promoted: it beat v1)' : ' (v2 is the challenger)'}`);
  say('');
  say(`dashboard: ${server.base}/ui/#/models/seattle-rain/drift   (API key: ${TOKEN})`);
  say(`lineage:   ${api}/models/seattle-rain/versions/2/lineage`);
  if (!EXIT) {
    say('the server keeps running for the dashboard; Ctrl-C stops it');
    await new Promise<void>((done) => process.once('SIGINT', () => done()));
  }
} finally {
  server.child.kill('SIGTERM');
}
