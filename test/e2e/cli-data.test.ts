import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCliRunner } from '../helpers/cli.js';
import { createCliServerFixture } from '../helpers/cli-server.js';
import { startFaultProxy } from '../helpers/http-fault-proxy.js';

/**
 * The `mlcycle` binary against a live server process: reference and samples pushed from files
 * (batching, idempotent re-runs, a lost answer retried), drift reports computed by the server's
 * queue, and the retrain commands.
 */
const f = createCliServerFixture('cli-data');
beforeAll(() => f.start());
afterAll(() => f.stop());

describe('mlcycle against a server: data', () => {
  it('reference push sends the file in chunks; --replace clears it first instead of appending', async () => {
    await f.modelWithVersion('ref');
    const csv = f.writeSamplesCsv('ref.csv', 3000, 1);
    // The extra columns are samples-only: reference data carries the features.
    writeFileSync(
      f.file('ref-features.csv'),
      readFileSync(csv, 'utf8')
        .split('\n')
        .map((l) => l.split(',').slice(0, 2).join(','))
        .join('\n'),
    );
    const first = await f.cli('reference', 'push', 'ref', '1', f.file('ref-features.csv'), '--batch-rows', '1000');
    expect(first.stdout, first.stderr).toMatch(/sent 3000 rows; the profile now holds 3000 rows in 3 chunk/);
    const appended = f.json<{ rows: number }>(await f.cli('reference', 'push', 'ref', '1', f.file('ref-features.csv'), '--json'));
    expect(appended.rows).toBe(6000);
    const replaced = f.json<{ rows: number }>(await f.cli('reference', 'push', 'ref', '1', f.file('ref-features.csv'), '--replace', '--json'));
    expect(replaced.rows).toBe(3000);
    expect(((await (await f.api('/models/ref/versions/1/reference')).json()) as { rows: number }).rows).toBe(3000);
  });

  it('samples push sends ≤ 10 000-row batches; a re-run counts nothing twice; ids join later labels', async () => {
    await f.modelWithVersion('serve');
    await f.cli('alias', 'set', 'serve', 'production', '1');
    const csv = f.writeSamplesCsv('samples.csv', 23_456, 2);
    const args = ['samples', 'push', 'serve', csv, '--id-column', 'request_id', '--prediction-column', 'score', '--json'];
    const first = f.json<{ batches: number; accepted: number; version: number }>(await f.cli(...args));
    expect(first).toMatchObject({ batches: 3, accepted: 23_456, version: 1 });
    expect(f.storedSamples('serve')).toBe(23_456);
    const again = f.json<{ accepted: number }>(await f.cli(...args));
    expect(again.accepted).toBe(23_456); // the server replays each batch's first answer…
    expect(f.storedSamples('serve')).toBe(23_456); // …and stores nothing new
    const labels = await f.api('/models/serve/labels', {
      method: 'POST',
      body: JSON.stringify({
        items: [
          { id: 'r2-0', label: 1 },
          { id: 'r2-23455', label: 0 },
          { id: 'nope', label: 1 },
        ],
      }),
    });
    expect(await labels.json()).toMatchObject({ accepted: 3, matched: ['r2-0', 'r2-23455'], unmatched: ['nope'] });
  });

  it("samples push sends each row's time from --timestamp-column; a bad time is a 400 naming the row, nothing stored", async () => {
    await f.modelWithVersion('timed');
    const lines = ['age,plan,event_time'];
    for (let i = 0; i < 30; i++) lines.push(`${40 + i},pro,2026-03-01T10:${String(i).padStart(2, '0')}:00Z`);
    writeFileSync(f.file('timed.csv'), `${lines.join('\n')}\n`);
    const pushed = f.json<{ accepted: number }>(
      await f.cli('samples', 'push', 'timed', f.file('timed.csv'), '--version', '1', '--timestamp-column', 'event_time', '--json'),
    );
    expect(pushed.accepted).toBe(30);
    const db = new BetterSqlite3(join(f.dir, 'data', 'mlcycle.db'), { readonly: true });
    try {
      const span = db
        .prepare('select min(b.observed_at) as first, max(b.observed_until) as last from sample_batches b join models m on m.id = b.model_id where m.name = ?')
        .get('timed');
      expect(span).toEqual({ first: '2026-03-01T10:00:00.000Z', last: '2026-03-01T10:29:00.000Z' });
    } finally {
      db.close();
    }
    writeFileSync(f.file('timed-bad.csv'), `${lines.slice(0, 3).join('\n')}\n41,pro,noon\n`);
    const bad = await f.cli('samples', 'push', 'timed', f.file('timed-bad.csv'), '--version', '1', '--timestamp-column', 'event_time');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('columns.__timestamp[2]');
    expect(f.storedSamples('timed')).toBe(30);
  });

  it('samples push retries a batch whose answer was lost, with the same key, and it is stored once', async () => {
    await f.modelWithVersion('lossy');
    const csv = f.writeSamplesCsv('lossy.csv', 2500, 6);
    const proxy = await startFaultProxy(f.base);
    try {
      proxy.add({ match: (req) => req.method === 'POST' && req.url!.includes('/models/lossy/samples'), times: 1, fault: 'drop-response' });
      const via = createCliRunner({ MLCYCLE_URL: proxy.base, MLCYCLE_TOKEN: f.token });
      const res = f.json<{ batches: number; accepted: number }>(
        await via(
          'samples',
          'push',
          'lossy',
          csv,
          '--version',
          '1',
          '--batch-rows',
          '1000',
          '--id-column',
          'request_id',
          '--prediction-column',
          'score',
          '--json',
        ),
      );
      expect(res).toMatchObject({ batches: 3, accepted: 2500 });
      const posts = proxy.seen.filter((s) => s.method === 'POST');
      expect(posts.map((p) => p.fault ?? 'ok')).toEqual(['drop-response', 'ok', 'ok', 'ok']);
      expect(posts[1]!.idempotencyKey).toBe(posts[0]!.idempotencyKey);
    } finally {
      await proxy.close();
    }
    expect(f.storedSamples('lossy')).toBe(2500);
  });

  it('samples push reads Parquet too, and refuses a file with an undeclared column before sending anything', async () => {
    await f.modelWithVersion('pq');
    const n = 1500;
    writeFileSync(
      f.file('s.parquet'),
      new Uint8Array(
        parquetWriteBuffer({
          columnData: [
            { name: 'age', data: Array.from({ length: n }, (_, i) => 20 + (i % 50)), type: 'INT32' },
            { name: 'plan', data: Array.from({ length: n }, (_, i) => ['basic', 'pro'][i % 2]!), type: 'STRING' },
          ],
        }),
      ),
    );
    const res = f.json<{ accepted: number }>(await f.cli('samples', 'push', 'pq', f.file('s.parquet'), '--version', '1', '--json'));
    expect(res.accepted).toBe(n);
    f.writeSamplesCsv('extra.csv', 10, 3);
    const refused = await f.cli('samples', 'push', 'pq', f.file('extra.csv'), '--version', '1');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/columns the version does not declare: "request_id", "score"/);
    expect(f.storedSamples('pq')).toBe(n);
  });
});

describe('mlcycle against a server: drift reports and retraining', () => {
  it('drift reports, show and timeline list what the worker computed', async () => {
    await f.modelWithVersion('drifty');
    writeFileSync(
      f.file('drift-ref.csv'),
      readFileSync(f.writeSamplesCsv('d.csv', 2000, 4), 'utf8')
        .split('\n')
        .map((l) => l.split(',').slice(0, 2).join(','))
        .join('\n'),
    );
    await f.cli('reference', 'push', 'drifty', '1', f.file('drift-ref.csv'));
    expect((await f.api('/models/drifty/monitor', { method: 'PUT', body: JSON.stringify({ window: { size: 1000 } }) })).status).toBe(200);
    const shifted = f.writeSamplesCsv('shifted.csv', 2000, 5, 25);
    expect((await f.cli('samples', 'push', 'drifty', shifted, '--version', '1', '--id-column', 'request_id', '--prediction-column', 'score')).stdout).toMatch(
      /2 drift window\(s\) completed/,
    );
    // The in-process queue computes the reports shortly after the batch is stored.
    let reports: { id: number; status: string; datasetDrift: boolean }[] = [];
    for (let i = 0; i < 100 && !(reports.length === 2 && reports.every((r) => r.status === 'done')); i++) {
      reports = f.json(await f.cli('drift', 'reports', 'drifty', '--json'));
      if (reports.some((r) => r.status !== 'done')) await new Promise((r) => setTimeout(r, 200));
    }
    expect(reports.map((r) => [r.status, r.datasetDrift])).toEqual([
      ['done', true],
      ['done', true],
    ]);
    expect((await f.cli('drift', 'reports', 'drifty')).stdout).toMatch(/samples 1000–2000\s+done\s+1000\s+YES\s+0\.500\s+age/);
    const shown = await f.cli('drift', 'show', String(reports[0]!.id));
    expect(shown.stdout).toMatch(/dataset drift\s+YES/);
    expect(shown.stdout).toMatch(/age\s+numeric\s+YES/);
    const timeline = f.json<{ points: { features: { name: string; drifted: boolean }[] }[] }>(
      await f.cli('drift', 'timeline', 'drifty', '--feature', 'age', '--json'),
    );
    expect(timeline.points).toHaveLength(2);
    expect(timeline.points.flatMap((p) => p.features.map((f) => [f.name, f.drifted]))).toEqual([
      ['age', true],
      ['age', true],
    ]);
    // The offline command still works beside its server subcommands.
    expect((await f.cli('drift', '-r', f.file('drift-ref.csv'), '-c', f.file('drift-ref.csv'), '--json')).code).toBe(0);
  });

  it('retrain run and status print the server’s 404 problem detail for a missing model or job, exit 6', async () => {
    // With the retrain routes absent this is ROUTE_NOT_FOUND; once they land, MODEL_NOT_FOUND /
    // RETRAIN_JOB_NOT_FOUND. Either way: a 404 problem shown, exit 6.
    const run = await f.cli('retrain', 'run', 'no-such-model');
    expect(run.code).toBe(6);
    expect(run.stderr).toMatch(/server refused the request: [A-Z_]+_NOT_FOUND \(404\): \S/);
    const status = await f.cli('retrain', 'status', '999999');
    expect(status.code).toBe(6);
    expect(status.stderr).toMatch(/[A-Z_]+_NOT_FOUND \(404\)/);
  });
});
