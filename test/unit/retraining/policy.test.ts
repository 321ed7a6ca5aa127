import fc from 'fast-check';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { decideRetrain, decideTrainingData, type LastJob, type PolicyConfig, type ReportVerdict } from '../../../src/retraining/policy.js';
import { RetrainConfig } from '../../../src/retraining/retrain.schemas.js';

const NOW = new Date('2026-11-30T12:00:00.000Z');
const verdict = (reportId: number, drift: Partial<ReportVerdict> = {}): ReportVerdict => ({
  reportId,
  datasetDrift: false,
  criticalDrifted: false,
  performanceDegraded: false,
  completedAt: '2026-11-30T11:00:00.000Z',
  ...drift,
});
const drifted = (id: number) => verdict(id, { datasetDrift: true });
const base: PolicyConfig = { enabled: true, on: ['datasetDrift'] };
const job = (status: LastJob['status'], createdAt: string, id = 12): LastJob => ({ id, status, createdAt });

describe('retrain policy', () => {
  it('retrains on the newest drifted report when nothing blocks it', () => {
    const d = decideRetrain({ config: base, verdicts: [drifted(7), verdict(6)], now: NOW });
    expect(d).toEqual({ action: 'retrain', reason: '1 of 1 consecutive drifted windows (datasetDrift)', triggerReportId: 7, matched: ['datasetDrift'] });
  });

  it('says why it skips: disabled, no reports, no trigger', () => {
    expect(decideRetrain({ config: { ...base, enabled: false }, verdicts: [drifted(1)], now: NOW })).toEqual({ action: 'skip', reason: 'disabled' });
    expect(decideRetrain({ config: base, verdicts: [], now: NOW })).toEqual({ action: 'skip', reason: 'no drift reports' });
    expect(decideRetrain({ config: base, verdicts: [verdict(2, { performanceDegraded: true, criticalDrifted: true }), drifted(1)], now: NOW })).toEqual({
      action: 'skip',
      reason: 'no trigger matched',
    });
  });

  it('counts consecutive matching windows from the newest back to the first miss', () => {
    const config = { ...base, consecutiveWindows: 3 };
    expect(decideRetrain({ config, verdicts: [drifted(5), drifted(4), verdict(3), drifted(2)], now: NOW }).reason).toBe('2 of 3 consecutive drifted windows');
    expect(decideRetrain({ config, verdicts: [drifted(2), drifted(1)], now: NOW }).reason).toBe('2 of 3 consecutive drifted windows');
    const d = decideRetrain({ config, verdicts: [drifted(5), drifted(4), drifted(3), verdict(2)], now: NOW });
    expect(d).toMatchObject({ action: 'retrain', triggerReportId: 5, reason: '3 of 3 consecutive drifted windows (datasetDrift)' });
  });

  it('each trigger kind fires only when configured', () => {
    const crit = verdict(9, { criticalDrifted: true });
    const perf = verdict(9, { performanceDegraded: true });
    expect(decideRetrain({ config: { enabled: true, on: ['criticalFeature'] }, verdicts: [crit], now: NOW }).action).toBe('retrain');
    expect(decideRetrain({ config: { enabled: true, on: ['datasetDrift'] }, verdicts: [crit], now: NOW }).action).toBe('skip');
    expect(decideRetrain({ config: { enabled: true, on: ['performanceDegraded', 'datasetDrift'] }, verdicts: [perf], now: NOW })).toMatchObject({
      action: 'retrain',
      matched: ['performanceDegraded'],
    });
    // Different triggers in a row still make a run.
    expect(
      decideRetrain({ config: { enabled: true, on: ['performanceDegraded', 'datasetDrift'], consecutiveWindows: 2 }, verdicts: [perf, drifted(8)], now: NOW })
        .action,
    ).toBe('retrain');
  });

  it('never starts a second job while one is queued or running, whatever the cooldown', () => {
    const old = '2020-01-01T00:00:00.000Z';
    expect(decideRetrain({ config: base, verdicts: [drifted(1)], lastJob: job('running', old), now: NOW }).reason).toBe('job 12 still running');
    expect(decideRetrain({ config: base, verdicts: [drifted(1)], lastJob: job('queued', old, 3), now: NOW }).reason).toBe('job 3 still queued');
  });

  it('waits out the cooldown (default PT6H) from the last job, whatever its outcome', () => {
    for (const status of ['succeeded', 'failed', 'cancelled'] as const) {
      const d = decideRetrain({ config: base, verdicts: [drifted(1)], lastJob: job(status, '2026-11-30T10:00:00.000Z'), now: NOW });
      expect(d).toEqual({ action: 'skip', reason: 'cooldown until 2026-11-30T16:00:00.000Z' });
    }
    // Exactly at the end of the cooldown a retrain may start.
    expect(decideRetrain({ config: base, verdicts: [drifted(1)], lastJob: job('succeeded', '2026-11-30T06:00:00.000Z'), now: NOW }).action).toBe('retrain');
    expect(
      decideRetrain({ config: { ...base, cooldown: 'PT30M' }, verdicts: [drifted(1)], lastJob: job('failed', '2026-11-30T11:29:59.999Z'), now: NOW }).action,
    ).toBe('retrain');
  });

  it('property: retrain ⇒ enabled, the newest N all match, no active job, cooldown over; and the trigger is the newest report', () => {
    const arbVerdict = fc.record({ datasetDrift: fc.boolean(), criticalDrifted: fc.boolean(), performanceDegraded: fc.boolean() });
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.subarray(['datasetDrift', 'criticalFeature', 'performanceDegraded'] as const, { minLength: 1 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(arbVerdict, { maxLength: 8 }),
        fc.option(
          fc.record({
            status: fc.constantFrom('queued', 'running', 'succeeded', 'failed', 'cancelled' as const),
            agoMs: fc.integer({ min: 0, max: 12 * 3_600_000 }),
          }),
          { nil: undefined },
        ),
        (enabled, on, n, vs, last) => {
          const verdicts = vs.map((v, i) => ({ ...v, reportId: 100 - i, completedAt: NOW.toISOString() }));
          const lastJob = last && { id: 1, status: last.status, createdAt: new Date(NOW.getTime() - last.agoMs).toISOString() };
          const d = decideRetrain({ config: { enabled, on, consecutiveWindows: n }, verdicts, lastJob, now: NOW });
          const fires = (v: ReportVerdict) =>
            (on.includes('datasetDrift') && v.datasetDrift) ||
            (on.includes('criticalFeature') && v.criticalDrifted) ||
            (on.includes('performanceDegraded') && v.performanceDegraded);
          const shouldRetrain =
            enabled &&
            verdicts.length >= n &&
            verdicts.slice(0, n).every(fires) &&
            (!lastJob || (!['queued', 'running'].includes(lastJob.status) && last!.agoMs >= 6 * 3_600_000));
          expect(d.action).toBe(shouldRetrain ? 'retrain' : 'skip');
          if (d.action === 'retrain') expect(d.triggerReportId).toBe(verdicts[0]!.reportId);
          expect(d.reason.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('is deterministic: the same inputs give the same decision (no hidden clock)', () => {
    const input = { config: base, verdicts: [drifted(1)], lastJob: job('succeeded', '2026-11-30T09:00:00.000Z'), now: NOW };
    expect(decideRetrain(input)).toEqual(decideRetrain(structuredClone(input)));
  });
});

describe('decideTrainingData', () => {
  it('skips with the counts when the training windows hold too few labelled rows', () => {
    expect(decideTrainingData({ labelledRows: 37, minLabelledRows: 100 })).toEqual({ action: 'skip', reason: '37 labelled rows < 100' });
    expect(decideTrainingData({ labelledRows: 100, minLabelledRows: 100 })).toEqual({ action: 'train' });
  });
});

describe('RetrainConfig schema', () => {
  const check = TypeCompiler.Compile(RetrainConfig);
  it('fills the defaults and accepts both executors', () => {
    const value = Value.Default(RetrainConfig, { executor: { type: 'command', command: ['python3', 'train.py'] }, promote: { metric: 'accuracy' } });
    expect(check.Check(value)).toBe(true);
    expect(value).toMatchObject({
      enabled: true,
      on: ['datasetDrift'],
      consecutiveWindows: 1,
      cooldown: 'PT6H',
      executor: { timeoutSeconds: 3600 },
      promote: { alias: 'production', minImprovement: 0, alpha: 0.05 },
      trainingWindows: 1,
      holdoutShare: 0.2,
      minLabelledRows: 100,
    });
    expect((value as { promote?: { mode?: string } }).promote?.mode).toBeUndefined(); // the direction is the metric's own
    expect(check.Check(Value.Default(RetrainConfig, { executor: { type: 'webhook', url: 'https://ci.example/hook', secret: 'x'.repeat(32) } }))).toBe(true);
  });
  it('refuses shell strings, non-http URLs, unknown triggers and modes', () => {
    const ok = {
      enabled: true,
      on: ['datasetDrift'],
      consecutiveWindows: 1,
      cooldown: 'PT6H',
      executor: { type: 'command', command: ['x'], timeoutSeconds: 1 },
      trainingWindows: 1,
      holdoutShare: 0.2,
      minLabelledRows: 100,
    };
    expect(check.Check(ok)).toBe(true);
    // mlcycle computes the promote metric itself: only the metrics it can compute are accepted.
    expect(check.Check({ ...ok, promote: { alias: 'production', metric: 'auc', minImprovement: 0, alpha: 0.05 } })).toBe(false);
    expect(check.Check({ ...ok, holdoutShare: 1 })).toBe(false);
    expect(check.Check({ ...ok, executor: { type: 'command', command: 'python3 train.py', timeoutSeconds: 1 } })).toBe(false);
    expect(check.Check({ ...ok, executor: { type: 'webhook', url: 'file:///etc/passwd', secret: 'x'.repeat(32), timeoutSeconds: 1 } })).toBe(false);
    expect(check.Check({ ...ok, on: ['weather'] })).toBe(false);
    expect(check.Check({ ...ok, promote: { alias: 'production', metric: 'accuracy', mode: 'best', minImprovement: 0, alpha: 0.05 } })).toBe(false);
  });
});

describe('retrainConfigOf (the stored monitor config → a usable policy)', () => {
  it('fills defaults, and ignores a missing, malformed or unparseable-cooldown policy rather than acting on it', async () => {
    const { retrainConfigOf } = await import('../../../src/retraining/retrain-config.js');
    expect(retrainConfigOf({ retrain: { executor: { type: 'command', command: ['x'] } } })).toMatchObject({
      enabled: true,
      cooldown: 'PT6H',
      consecutiveWindows: 1,
      on: ['datasetDrift'],
    });
    expect(retrainConfigOf(undefined)).toBeUndefined();
    expect(retrainConfigOf({ window: { size: 10 } })).toBeUndefined();
    expect(retrainConfigOf({ retrain: { executor: { type: 'command', command: 'x' } } })).toBeUndefined();
    expect(retrainConfigOf({ retrain: { cooldown: 'P1M', executor: { type: 'command', command: ['x'] } } })).toBeUndefined();
  });
});
