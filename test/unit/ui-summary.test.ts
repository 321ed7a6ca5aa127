import { describe, expect, it } from 'vitest';
import type { MonitorStatus } from '../../src/monitoring/monitoring.schemas.js';
import { COUNT_WINDOW_STALE_MS, createSummaryService } from '../../src/ui/summary.service.js';

/** Health from the monitor status and the clock: healthy, stale past the window's allowance, failing, no reference, idle. */
const NOW = Date.parse('2026-12-04T12:00:00Z');
const model = { name: 'm', description: null, latestVersion: 1, aliases: {}, tags: {}, createdAt: '', updatedAt: '' };

function service(status: Partial<MonitorStatus>, window: Record<string, unknown>, points: { datasetDrift: boolean; from: string }[] = []) {
  return createSummaryService({
    models: { list: async () => ({ items: [model], nextCursor: null }), get: async () => model },
    monitorStatus: { status: async () => ({ model: 'm', state: 'ok', reason: null, message: null, reportId: 1, version: 1, lastReportAt: null, ...status }) },
    monitors: { get: async () => ({ model: 'm', config: {}, effective: { window }, updatedAt: null }) },
    reports: {
      timeline: async () => ({
        model: 'm',
        points: points.map((p, i) => ({ reportId: i + 1, version: 1, referenceVersion: 1, to: p.from, driftShare: 0, performance: null, features: [], ...p })),
      }),
    },
    retrainJobs: { list: async () => ({ items: [], nextCursor: null }) },
    now: () => new Date(NOW),
  } as unknown as Parameters<typeof createSummaryService>[0]);
}
const ago = (ms: number) => new Date(NOW - ms).toISOString();

describe('model summary health', () => {
  it('a time window is stale after two periods without a report, not before', async () => {
    const hour = { kind: 'time', everyMs: 3600_000, originMs: 0 };
    expect((await service({ lastReportAt: ago(119 * 60_000) }, hour).get('m')).health).toMatchObject({ state: 'healthy', staleAfterSeconds: 7200 });
    const stale = (await service({ lastReportAt: ago(121 * 60_000) }, hour).get('m')).health;
    expect(stale).toMatchObject({ state: 'stale', message: 'no report for 121 min (expected within 120 min)' });
  });

  it('a count window is stale after 6 h without a report', async () => {
    const count = { kind: 'count', size: 100 };
    expect((await service({ lastReportAt: ago(COUNT_WINDOW_STALE_MS - 1000) }, count).get('m')).health.state).toBe('healthy');
    expect((await service({ lastReportAt: ago(COUNT_WINDOW_STALE_MS + 1000) }, count).get('m')).health.state).toBe('stale');
  });

  it('failing or no reference from a stopped monitor (with its message), idle without reports', async () => {
    const count = { kind: 'count', size: 100 };
    expect((await service({ state: 'stopped', reason: 'job_failed', message: 'boom' }, count).get('m')).health).toMatchObject({
      state: 'failing',
      reason: 'job_failed',
      message: 'boom',
    });
    expect((await service({ state: 'stopped', reason: 'no_reference', message: 'post one' }, count).get('m')).health).toMatchObject({ state: 'no_reference' });
    expect((await service({ state: 'idle', reportId: null }, count).get('m')).health.state).toBe('idle');
  });

  it('drifting since: the start of the unbroken run of drifted windows ending at the newest', async () => {
    const count = { kind: 'count', size: 100 };
    const pts = [
      { datasetDrift: true, from: ago(5000) },
      { datasetDrift: false, from: ago(4000) },
      { datasetDrift: true, from: ago(3000) },
      { datasetDrift: true, from: ago(2000) },
    ];
    expect((await service({ lastReportAt: ago(1000) }, count, pts).get('m')).drift).toMatchObject({
      driftingSince: ago(3000),
      driftingWindows: 2,
      reportId: 4,
    });
    expect((await service({ lastReportAt: ago(1000) }, count, [...pts, { datasetDrift: false, from: ago(1000) }]).get('m')).drift).toMatchObject({
      driftingSince: null,
      driftingWindows: 0,
    });
    expect((await service({ lastReportAt: ago(1000) }, count, pts.slice(2)).get('m')).drift?.driftingSince).toBe(ago(3000));
  });
});
