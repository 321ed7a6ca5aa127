import { afterEach, describe, expect, it } from 'vitest';
import type { InlineQueue } from '../../src/queue/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { count, query } from '../helpers/db.js';
import { createRng } from '../helpers/random.js';
import { deletePrefix, testRedisUrl, uniquePrefix } from '../helpers/redis.js';
import { until } from '../helpers/wait.js';
import { registerProcessors } from '../../workers/processors.js';

/**
 * Late data is revised, never dropped (issue 17 item 5), through the HTTP API on both dialects:
 * labels that arrive after a window's report give it a new revision; rows stamped in a time
 * window that already has a report revise it within the allowed lateness and are stored and
 * counted as late beyond it; a revision whose job was lost is picked up by the sweep.
 */
const features = [
  { name: 'x', type: 'numeric' as const },
  { name: 'plan', type: 'categorical' as const },
];
const apps: TestApp[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close().catch(() => undefined);
});

function rows(seed: number, n: number, shift = 0) {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => ({ x: rng.normal(shift, 1), plan: ['a', 'b', 'c'][rng.int(3)]! }));
}

interface Clock {
  now: () => Date;
  set(iso: string): void;
  advance(ms: number): void;
}
function clockAt(iso: string): Clock {
  let t = Date.parse(iso);
  return {
    now: () => new Date(t),
    set: (at) => void (t = Date.parse(at)),
    advance: (ms) => void (t += ms),
  };
}

async function app(clock: Clock, monitor: Record<string, unknown>, options: Parameters<typeof createTestApp>[0] = {}) {
  const t = await createTestApp({ now: clock.now, ...options });
  apps.push(t);
  await t.call({ method: 'POST', url: '/api/v1/models', payload: { name: 'm' } });
  await t.call({ method: 'POST', url: '/api/v1/models/m/versions', payload: { features, metrics: { accuracy: 0.9 }, task: { type: 'classification' } } });
  await t.call({ method: 'PUT', url: '/api/v1/models/m/aliases/production', payload: { version: 1 } });
  const ref = await t.call({ method: 'POST', url: '/api/v1/models/m/versions/1/reference', payload: { rows: rows(1, 600) } });
  expect(ref.statusCode, ref.body).toBe(200);
  const put = await t.call({ method: 'PUT', url: '/api/v1/models/m/monitor', payload: { minSamples: 10, ...monitor } });
  expect(put.statusCode, put.body).toBe(200);
  return t;
}

const idle = (t: TestApp) => (t.container.queue as InlineQueue).idle();
const report = async (t: TestApp, id: number) => (await t.call({ method: 'GET', url: `/api/v1/drift-reports/${id}` })).json();
const reportRows = (t: TestApp) =>
  query<{ id: number; revision: number; requests: number; requests_seen: number; generation: number; status: string }>(
    t.container.database,
    'select id, revision, requests, requests_seen, generation, status from drift_reports order by id',
  );
const post = (t: TestApp, payload: Record<string, unknown>) => t.call({ method: 'POST', url: '/api/v1/models/m/samples', payload });
const labels = (t: TestApp, items: { id: string; label: string }[]) => t.call({ method: 'POST', url: '/api/v1/models/m/labels', payload: { items } });

describe('late labels', () => {
  const n = 200;
  const ids = Array.from({ length: n }, (_, i) => `s-${i}`);
  const predictions = ids.map((_, i) => (i % 2 ? 'yes' : 'no'));
  const flip = (p: string) => (p === 'yes' ? 'no' : 'yes');

  it('revise the performance of a finished report: revision 2 holds all labelled rows, drift unchanged, a retry adds no revision 3', async () => {
    const clock = clockAt('2026-03-01T10:00:00Z');
    const t = await app(clock, { window: { size: n }, performance: { tolerance: 0.05 } });
    // 150 labels arrive before their samples (kept, unmatched), all equal to the predictions.
    const early = await labels(
      t,
      ids.slice(0, 150).map((id, i) => ({ id, label: predictions[i]! })),
    );
    expect(early.json()).toMatchObject({ accepted: 150, matched: [], reportsUpdated: [] });
    const res = await post(t, { rows: rows(2, n), ids, predictions });
    expect(res.json()).toMatchObject({ windowsCompleted: 1, late: 0 });
    await idle(t);
    const id = (await reportRows(t))[0]!.id;
    const first = await report(t, id);
    expect(first).toMatchObject({ status: 'done', revision: 1, revisionPending: false, labelsUpdatedAt: null, performance: { labeled: 150, degraded: false } });

    // The other 50 arrive after the report, all wrong: accuracy 150/200 = 0.75, degraded.
    clock.advance(60_000);
    const late = await labels(
      t,
      ids.slice(150).map((id, i) => ({ id, label: flip(predictions[150 + i]!) })),
    );
    expect(late.statusCode, late.body).toBe(200);
    expect(late.json()).toEqual({ accepted: 50, matched: ids.slice(150), unmatched: [], reportsUpdated: [id] });
    await idle(t);
    const second = await report(t, id);
    expect(second).toMatchObject({
      revision: 2,
      revisionPending: false,
      labelsUpdatedAt: clock.now().toISOString(),
      performance: { labeled: 200, metrics: { accuracy: 0.75 }, degraded: true },
    });
    // Only the performance section changed.
    expect(second.features).toEqual(first.features);
    expect(second.sampleCount).toBe(first.sampleCount);

    // drift.detected fires for the revision that revealed the degradation, naming it.
    const events = (await t.call({ method: 'GET', url: '/api/v1/models/m/events?type=drift.detected' })).json();
    expect(events.items.map((e: { data: { reportId: number; revision: number; performanceDegraded: boolean } }) => e.data)).toEqual([
      expect.objectContaining({ reportId: id, revision: 2, performanceDegraded: true }),
    ]);
    // The timeline shows the newest revision.
    const timeline = (await t.call({ method: 'GET', url: '/api/v1/models/m/drift/timeline' })).json();
    expect(timeline.points).toEqual([expect.objectContaining({ reportId: id, revision: 2, performanceDegraded: true })]);

    // A retry of the same labels changes nothing: no revision 3, no job, no event.
    const retry = await labels(
      t,
      ids.slice(150).map((id, i) => ({ id, label: flip(predictions[150 + i]!) })),
    );
    expect(retry.json()).toEqual({ accepted: 50, matched: ids.slice(150), unmatched: [], reportsUpdated: [] });
    await idle(t);
    expect(await report(t, id)).toMatchObject({ revision: 2, revisionPending: false });
    expect((await t.call({ method: 'GET', url: '/api/v1/models/m/events?type=drift.detected' })).json().items).toHaveLength(1);

    // One changed label is a change: revision 3, accuracy back up by one row.
    const fix = await labels(t, [{ id: 's-199', label: predictions[199]! }]);
    expect(fix.json().reportsUpdated).toEqual([id]);
    await idle(t);
    expect(await report(t, id)).toMatchObject({ revision: 3, performance: { labeled: 200, metrics: { accuracy: 0.755 } } });
  });

  it('revise exactly the window that holds the sample when a batch straddles two count windows', async () => {
    const clock = clockAt('2026-03-01T10:00:00Z');
    const t = await app(clock, { window: { size: 100 } });
    const all = Array.from({ length: 200 }, (_, i) => `r-${i}`);
    // 150 rows: window 0 is rows 0–99, window 1 needs 50 more.
    await post(t, { rows: rows(3, 150), ids: all.slice(0, 150), predictions: all.slice(0, 150).map(() => 'yes') });
    await post(t, { rows: rows(4, 50), ids: all.slice(150), predictions: all.slice(150).map(() => 'yes') });
    await idle(t);
    const [w0, w1] = (await reportRows(t)).map((r) => r.id) as [number, number];
    // r-120 is in the first batch but the second window.
    const res = await labels(t, [{ id: 'r-120', label: 'yes' }]);
    expect(res.json().reportsUpdated).toEqual([w1]);
    const both = await labels(t, [
      { id: 'r-5', label: 'no' },
      { id: 'r-190', label: 'no' },
    ]);
    expect(both.json().reportsUpdated).toEqual([w0, w1]);
    await idle(t);
    expect((await reportRows(t)).map((r) => [r.id, r.revision])).toEqual([
      [w0, 2],
      [w1, 3],
    ]);
  });

  it('a revision whose job was lost (never enqueued: a crash after the commit) is computed by the sweep', async () => {
    const clock = clockAt('2026-03-01T10:00:00Z');
    const t = await app(clock, { window: { size: 50 } });
    const some = Array.from({ length: 50 }, (_, i) => `c-${i}`);
    await post(t, { rows: rows(5, 50), ids: some, predictions: some.map(() => 'yes') });
    await idle(t);
    const id = (await reportRows(t))[0]!.id;
    // The queue swallows the revision's job, as if the process died between commit and enqueue.
    const queue = t.container.queue;
    const enqueue = queue.enqueue;
    queue.enqueue = (async () => {
      throw new Error('the process died');
    }) as typeof queue.enqueue;
    const res = await labels(
      t,
      some.map((id) => ({ id, label: 'yes' })),
    );
    queue.enqueue = enqueue;
    expect(res.json().reportsUpdated).toEqual([id]);
    await idle(t);
    expect(await report(t, id)).toMatchObject({ revision: 1, revisionPending: true, performance: { status: 'no_labels', labeled: 0 } });
    // Within the grace period the sweep leaves it to its request; after it, the sweep enqueues it.
    expect((await t.container.maintenance.sweepOnce()).enqueued).toBe(0);
    clock.advance(3_000);
    expect((await t.container.maintenance.sweepOnce()).enqueued).toBe(1);
    await idle(t);
    expect(await report(t, id)).toMatchObject({ revision: 2, revisionPending: false, performance: { labeled: 50, metrics: { accuracy: 1 } } });
    // Nothing is left for the next sweep, and running the finished job again changes nothing.
    clock.advance(3_000);
    expect((await t.container.maintenance.sweepOnce()).enqueued).toBe(0);
    expect(await t.container.reports.process(id)).toBe('skipped');
    expect(await report(t, id)).toMatchObject({ revision: 2 });

    // A revision whose job gives up for good leaves the report done with its last revision, saying why.
    queue.enqueue = (async () => {
      throw new Error('the process died');
    }) as typeof queue.enqueue;
    await labels(t, [{ id: 'c-0', label: 'no' }]);
    queue.enqueue = enqueue;
    await t.container.reports.markFailed(id, 'a corrupted batch');
    expect(await report(t, id)).toMatchObject({
      status: 'done',
      revision: 2,
      revisionPending: false,
      error: 'revision 3 failed: a corrupted batch',
      performance: { metrics: { accuracy: 1 } },
    });
    clock.advance(3_000);
    expect((await t.container.maintenance.sweepOnce()).enqueued).toBe(0);
  });
});

describe('a revision whose BullMQ job vanished (Redis wiped)', () => {
  it('is enqueued again by the sweep under a new generation and computed once', async () => {
    const url = await testRedisUrl();
    const prefix = uniquePrefix('late-labels');
    const clock = clockAt('2026-03-01T10:00:00Z');
    const t = await app(clock, { window: { size: 40 } }, { queue: 'bullmq', consume: false, env: { REDIS_URL: url, REDIS_PREFIX: prefix } });
    try {
      const ids = Array.from({ length: 40 }, (_, i) => `b-${i}`);
      await post(t, { rows: rows(20, 40), ids, predictions: ids.map(() => 'yes') });
      const id = (await reportRows(t))[0]!.id;
      expect(await t.container.reports.process(id)).toBe('ok'); // the first revision, computed by hand (no consumer yet)
      const res = await labels(
        t,
        ids.map((i) => ({ id: i, label: 'no' })),
      );
      expect(res.json().reportsUpdated).toEqual([id]);
      const [row] = await reportRows(t);
      expect(await t.container.queue.jobState('drift.report', { reportId: id, generation: row!.generation })).toBe('waiting');
      await deletePrefix(url, prefix);
      clock.advance(3_000);
      expect((await t.container.maintenance.sweepOnce()).enqueued).toBe(1);
      const [bumped] = await reportRows(t);
      expect(bumped!.generation).toBe(row!.generation + 1);
      expect((await t.container.maintenance.sweepOnce()).enqueued).toBe(0); // waiting: left alone
      registerProcessors(t.container);
      await t.container.queue.start();
      await until('revision 2 of the report', async () => (await report(t, id)).revision >= 2, { timeoutMs: 5_000 });
      expect(await report(t, id)).toMatchObject({ revision: 2, revisionPending: false, performance: { labeled: 40, metrics: { accuracy: 0 } } });
    } finally {
      await deletePrefix(url, prefix);
    }
  });
});

describe('late rows in time windows (window.every PT1H, allowedLateness PT1H)', () => {
  const at = (hhmm: string, n: number) => Array.from({ length: n }, (_, i) => `2026-03-01T${hhmm}:${String(i % 60).padStart(2, '0')}Z`);

  it('join their window and revise its report within the allowed lateness; beyond it they are stored and counted as late', async () => {
    const clock = clockAt('2026-03-01T10:30:00Z');
    const t = await app(clock, { window: { every: 'PT1H' } });
    const first = await post(t, { rows: rows(6, 60), timestamps: at('10:05', 60) });
    expect(first.json()).toMatchObject({ accepted: 60, windowsCompleted: 0, late: 0, reportsUpdated: [] });
    clock.set('2026-03-01T11:00:10Z');
    await t.container.maintenance.sweepOnce();
    await idle(t);
    const id = (await reportRows(t))[0]!.id;
    expect(await report(t, id)).toMatchObject({ status: 'done', revision: 1, sampleCount: 60, window: { kind: 'time', from: '2026-03-01T10:00:00.000Z' } });

    // 11:20: 20 rows stamped 10:50 (within the hour of lateness) and 10 of 11:10 (the open window).
    clock.set('2026-03-01T11:20:00Z');
    const lateOk = await post(t, { rows: rows(7, 30, 3), timestamps: [...at('10:50', 20), ...at('11:10', 10)] });
    expect(lateOk.json()).toMatchObject({ accepted: 30, late: 0, reportsUpdated: [id] });
    await idle(t);
    const revised = await report(t, id);
    expect(revised).toMatchObject({ revision: 2, sampleCount: 80, revisionPending: false });
    // The late rows are shifted by 3 sd: the recomputed drift part sees them.
    expect(revised.datasetDrift).toBe(true);

    // 12:30: rows stamped 10:40 are past 10:00–11:00's lateness (12:00): stored, late, no revision.
    clock.set('2026-03-01T12:30:00Z');
    const batches = await count(t.container.database, 'select count(*) as n from sample_batches');
    const tooLate = await post(t, { rows: rows(8, 5), timestamps: at('10:40', 5), batchId: 'late-1' });
    expect(tooLate.statusCode).toBe(202);
    expect(tooLate.json()).toMatchObject({ accepted: 5, late: 5, reportsUpdated: [] });
    expect(await count(t.container.database, 'select count(*) as n from sample_batches')).toBe(batches + 1);
    await idle(t);
    expect(await report(t, id)).toMatchObject({ revision: 2, sampleCount: 80 });
    const metrics = (await t.call({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/mlcycle_ingest_late_rows_total\{model="m"\} 5\b/);

    // Window 11:00–12:00 was closed by the sweep with the 10 rows of 11:10, and the timeline shows newest revisions.
    await t.container.maintenance.sweepOnce();
    await idle(t);
    const timeline = (await t.call({ method: 'GET', url: '/api/v1/models/m/drift/timeline' })).json();
    expect(timeline.points.map((p: { reportId: number; revision: number; from: string }) => [p.from, p.revision])).toEqual([
      ['2026-03-01T10:00:00.000Z', 2],
      ['2026-03-01T11:00:00.000Z', 1],
    ]);
    const hour11 = (await reportRows(t)).at(-1)!;
    expect(await report(t, hour11.id)).toMatchObject({ sampleCount: 10 });

    // Rows of an hour that never had a report, after the sweep has passed it: their report is written now.
    const backfill = await post(t, { rows: rows(9, 20), timestamps: at('08:10', 20) });
    expect(backfill.json()).toMatchObject({ windowsCompleted: 1, late: 0 });
    await idle(t);
    const hour8 = (await reportRows(t)).at(-1)!;
    expect(await report(t, hour8.id)).toMatchObject({ status: 'done', sampleCount: 20, window: { from: '2026-03-01T08:00:00.000Z' } });
    // A backfill sent in pieces: the report written late takes rows for another allowed lateness from its creation.
    clock.set('2026-03-01T13:10:00Z');
    expect((await post(t, { rows: rows(15, 5), timestamps: at('08:20', 5) })).json()).toMatchObject({ late: 0, reportsUpdated: [hour8.id] });
    await idle(t);
    expect(await report(t, hour8.id)).toMatchObject({ revision: 2, sampleCount: 25 });
    clock.set('2026-03-01T13:31:00Z');
    expect((await post(t, { rows: rows(16, 5), timestamps: at('08:30', 5) })).json()).toMatchObject({ late: 5, reportsUpdated: [] });
  });

  it("the issue's case: samples stamped 02:10 posted after hour 03 was reported are in a report, or counted as late", async () => {
    const clock = clockAt('2026-03-01T03:10:00Z');
    const t = await app(clock, { window: { every: 'PT1H' } });
    await post(t, { rows: rows(30, 40), timestamps: at('03:05', 40) });
    clock.set('2026-03-01T04:00:10Z');
    await t.container.maintenance.sweepOnce();
    await idle(t);
    const hour3 = (await reportRows(t))[0]!.id;
    // 04:10: hour 02 had no rows, so no report, and its lateness passed at 04:00: its report is written now.
    clock.set('2026-03-01T04:10:00Z');
    const first = await post(t, { rows: rows(31, 30), timestamps: at('02:10', 30) });
    expect(first.json()).toMatchObject({ accepted: 30, windowsCompleted: 1, late: 0, reportsUpdated: [] });
    await idle(t);
    const hour2 = (await reportRows(t)).at(-1)!.id;
    expect(await report(t, hour2)).toMatchObject({ status: 'done', sampleCount: 30, window: { from: '2026-03-01T02:00:00.000Z' } });
    // 03:10-stamped rows at 04:50 join hour 03 (lateness until 05:00); at 05:10 they are late.
    clock.set('2026-03-01T04:50:00Z');
    expect((await post(t, { rows: rows(32, 10), timestamps: at('03:10', 10) })).json()).toMatchObject({ late: 0, reportsUpdated: [hour3] });
    await idle(t);
    expect(await report(t, hour3)).toMatchObject({ revision: 2, sampleCount: 50 });
    clock.set('2026-03-01T05:10:00Z');
    expect((await post(t, { rows: rows(33, 10), timestamps: at('03:10', 10) })).json()).toMatchObject({ late: 10, reportsUpdated: [] });
    await idle(t);
    expect(await report(t, hour3)).toMatchObject({ revision: 2, sampleCount: 50 });
    // Stored all the same: 4 batches, 90 rows.
    expect(await count(t.container.database, 'select sum(row_count) as n from sample_batches')).toBe(90);
  });

  it('a recompute of the same data gives the same report; a revision lost with the queue is picked up by the sweep', async () => {
    const clock = clockAt('2026-03-01T10:30:00Z');
    const t = await app(clock, { window: { every: 'PT1H', allowedLateness: 'PT30M' } });
    await post(t, { rows: rows(10, 40), timestamps: at('10:10', 40) });
    clock.set('2026-03-01T11:00:10Z');
    await t.container.maintenance.sweepOnce();
    await idle(t);
    const id = (await reportRows(t))[0]!.id;
    const before = await report(t, id);
    // A revision request with no new data recomputes the same report (one more revision).
    await t.container.database.transaction(() => t.container.monitoringRepo.requestRevision(id, 'full', clock.now().toISOString()).then(() => undefined));
    clock.advance(3_000);
    expect((await t.container.maintenance.sweepOnce()).enqueued).toBe(1);
    await idle(t);
    const again = await report(t, id);
    expect(again.revision).toBe(2);
    expect(again.features).toEqual(before.features);
    expect(again.sampleCount).toBe(40);

    // 11:20, within PT30M: a late row whose job is lost; the sweep computes it.
    clock.set('2026-03-01T11:20:00Z');
    const queue = t.container.queue;
    const enqueue = queue.enqueue;
    queue.enqueue = (async () => {
      throw new Error('queue restarted');
    }) as typeof queue.enqueue;
    const res = await post(t, { rows: rows(11, 5), timestamps: at('10:59', 5) });
    queue.enqueue = enqueue;
    expect(res.json()).toMatchObject({ late: 0, reportsUpdated: [id] });
    expect(await report(t, id)).toMatchObject({ revision: 2, revisionPending: true });
    clock.advance(3_000);
    expect((await t.container.maintenance.sweepOnce()).enqueued).toBe(1);
    await idle(t);
    expect(await report(t, id)).toMatchObject({ revision: 3, sampleCount: 45, revisionPending: false });
    // 11:31, past PT30M: late.
    clock.set('2026-03-01T11:31:00Z');
    expect((await post(t, { rows: rows(12, 2), timestamps: at('10:59', 2) })).json()).toMatchObject({ late: 2 });
  });

  it('refuses a bad row time naming it, and stores nothing; reads row times from the monitor column and from CSV', async () => {
    const clock = clockAt('2026-03-01T10:30:00Z');
    const t = await app(clock, { window: { every: 'PT1H' }, timestampColumn: 'event_time' });
    const before = await count(t.container.database, 'select count(*) as n from sample_batches');
    const times: unknown[] = at('10:05', 5);
    times[3] = '2026-03-01 10:05';
    const bad = await post(t, { rows: rows(13, 5), timestamps: times });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([expect.objectContaining({ path: 'timestamps[3]' })]);
    const short = await post(t, { rows: rows(13, 5), timestamps: at('10:05', 4) });
    expect(short.json().errors).toEqual([expect.objectContaining({ path: 'timestamps' })]);
    const column = rows(14, 3).map((r, i) => ({ ...r, event_time: i === 1 ? -5 : Date.parse('2026-03-01T10:06:00Z') }));
    const badColumn = await post(t, { rows: column });
    expect(badColumn.json().errors).toEqual([expect.objectContaining({ path: 'rows[1].event_time' })]);
    const csv = 'x,plan,__timestamp\n1.5,a,2026-03-01T10:07:00Z\n0.2,b,1772359620000\n0.3,c,yesterday\n';
    const badCsv = await t.call({ method: 'POST', url: '/api/v1/models/m/samples', headers: { 'content-type': 'text/csv' }, payload: csv });
    expect(badCsv.statusCode).toBe(400);
    expect(badCsv.json().errors).toEqual([expect.objectContaining({ path: '__timestamp[line 4]' })]);
    expect(await count(t.container.database, 'select count(*) as n from sample_batches')).toBe(before);

    // Good ones: epoch ms in the monitor's column, and CSV times; both land in the 10:00 window.
    const good = await post(t, { rows: column.map((r) => ({ ...r, event_time: Date.parse('2026-03-01T10:06:00Z') })) });
    expect(good.statusCode, good.body).toBe(202);
    const goodCsv = await t.call({
      method: 'POST',
      url: '/api/v1/models/m/samples',
      headers: { 'content-type': 'text/csv' },
      payload: csv.replace('yesterday', '2026-03-01T10:08:00+00:00'),
    });
    expect(goodCsv.statusCode, goodCsv.body).toBe(202);
    clock.set('2026-03-01T11:00:10Z');
    await t.container.maintenance.sweepOnce();
    await idle(t);
    const id = (await reportRows(t))[0]!.id;
    expect(await report(t, id)).toMatchObject({ sampleCount: 6 });
    const lateness = await t.call({ method: 'PUT', url: '/api/v1/models/m/monitor', payload: { window: { every: 'PT1H', allowedLateness: 'soon' } } });
    expect(lateness.statusCode).toBe(400);
    expect(lateness.json().errors).toEqual([expect.objectContaining({ path: 'window.allowedLateness' })]);
  });
});
