import { describe, expect, it } from 'vitest';
import { createMetrics, type LatestReport } from '../../../src/metrics/metrics.js';
import { parseExposition, valueOf } from '../../helpers/prometheus.js';

const depth = { waiting: 2, active: 1, delayed: 0, failed: 4 };

function report(model: string, psis: number[]): LatestReport {
  return { model, drifted: psis.some((p) => p >= 0.2), driftShare: 0.5, features: psis.map((psi, i) => ({ name: `f${i}`, psi })) };
}

describe('createMetrics', () => {
  it('bounds the drift series: at most maxModels models and, per model, the maxFeatures highest PSIs', async () => {
    let reads = 0;
    let askedFor = 0;
    const metrics = createMetrics(
      {
        queueDepths: async () => ({ drift: depth, maintenance: depth }),
        lastReportTimes: async () => [],
        latestReports: async (limit) => {
          reads++;
          askedFor = limit;
          return [report('a', [0.01, 0.9, 0.3, null as unknown as number, 0.05]), report('b', [0.1])];
        },
      },
      { maxModels: 2, maxFeatures: 2 },
    );
    const { samples } = parseExposition(await metrics.render());
    expect(askedFor).toBe(2);
    expect(reads).toBe(1); // one database read feeds all four drift gauges
    const psi = samples.filter((s) => s.name === 'mlcycle_drift_psi');
    expect(psi.map((s) => `${s.labels.model}/${s.labels.feature}=${s.value}`).sort()).toEqual(['a/f1=0.9', 'a/f2=0.3', 'b/f0=0.1']);
    expect(valueOf(samples, 'mlcycle_drift_psi_series_omitted')).toBe(2); // a's f0 and f4; a null PSI is no series
    expect(valueOf(samples, 'mlcycle_queue_jobs', { queue: 'maintenance', state: 'failed' })).toBe(4);
    // A second scrape reads again (no stale cache).
    await metrics.render();
    expect(reads).toBe(2);
  });

  it('drops the series of a model that left the latest reports on the next scrape', async () => {
    let models = ['a', 'b'];
    const metrics = createMetrics({
      queueDepths: async () => ({}),
      lastReportTimes: async () => [],
      latestReports: async () => models.map((m) => report(m, [0.4])),
    });
    expect(parseExposition(await metrics.render()).samples.filter((s) => s.name === 'mlcycle_drift_detected')).toHaveLength(2);
    models = ['b'];
    const after = parseExposition(await metrics.render()).samples.filter((s) => s.name === 'mlcycle_drift_detected');
    expect(after.map((s) => s.labels.model)).toEqual(['b']);
  });

  it("exports each model's last successful report time in Unix seconds, read anew on every scrape", async () => {
    let times = [
      { model: 'a', at: '2026-01-02T03:04:05.250Z' },
      { model: 'quiet', at: '2025-12-31T00:00:00.000Z' },
    ];
    const metrics = createMetrics({ queueDepths: async () => ({}), latestReports: async () => [], lastReportTimes: async () => times });
    const first = parseExposition(await metrics.render());
    expect(first.types.get('mlcycle_monitor_last_report_timestamp_seconds')).toBe('gauge');
    expect(valueOf(first.samples, 'mlcycle_monitor_last_report_timestamp_seconds', { model: 'a' })).toBe(Date.UTC(2026, 0, 2, 3, 4, 5, 250) / 1000);
    expect(valueOf(first.samples, 'mlcycle_monitor_last_report_timestamp_seconds', { model: 'quiet' })).toBe(Date.UTC(2025, 11, 31) / 1000);
    times = [{ model: 'a', at: '2026-01-02T04:00:00.000Z' }];
    const second = parseExposition(await metrics.render()).samples.filter((s) => s.name === 'mlcycle_monitor_last_report_timestamp_seconds');
    expect(second).toEqual([{ name: 'mlcycle_monitor_last_report_timestamp_seconds', labels: { model: 'a' }, value: Date.UTC(2026, 0, 2, 4) / 1000 }]);
  });

  it('counts failed reports by model and reason', async () => {
    const metrics = createMetrics({ queueDepths: async () => ({}), latestReports: async () => [], lastReportTimes: async () => [] });
    metrics.driftReportsFailed.inc({ model: 'a', reason: 'no_reference' });
    metrics.driftReportsFailed.inc({ model: 'a', reason: 'no_reference' });
    metrics.driftReportsFailed.inc({ model: 'a', reason: 'job_failed' });
    const { samples, types } = parseExposition(await metrics.render());
    expect(types.get('mlcycle_drift_reports_failed_total')).toBe('counter');
    expect(valueOf(samples, 'mlcycle_drift_reports_failed_total', { model: 'a', reason: 'no_reference' })).toBe(2);
    expect(valueOf(samples, 'mlcycle_drift_reports_failed_total', { model: 'a', reason: 'job_failed' })).toBe(1);
  });
});
