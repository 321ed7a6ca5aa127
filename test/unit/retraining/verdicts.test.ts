import { describe, expect, it } from 'vitest';
import { verdictOf } from '../../../src/retraining/verdicts.js';

describe('verdictOf (a stored drift report → what the policy reads)', () => {
  const row = (result: unknown, drifted: boolean | null = false) => ({
    id: 4,
    drifted,
    result: result as Record<string, unknown>,
    completedAt: '2026-11-30T00:00:00.000Z',
    createdAt: '2026-11-29T00:00:00.000Z',
  });
  it('dataset drift from the column; critical drift only for features the monitor marks critical; performance from its verdict', () => {
    const result = {
      report: {
        options: { critical: ['age'] },
        features: [
          { name: 'age', drifted: true },
          { name: 'x', drifted: false },
        ],
      },
      performance: { degraded: true },
    };
    expect(verdictOf(row(result, true))).toEqual({
      reportId: 4,
      datasetDrift: true,
      criticalDrifted: true,
      performanceDegraded: true,
      completedAt: '2026-11-30T00:00:00.000Z',
    });
    const notCritical = {
      report: {
        options: { critical: ['x'] },
        features: [
          { name: 'age', drifted: true },
          { name: 'x', drifted: false },
        ],
      },
      performance: null,
    };
    expect(verdictOf(row(notCritical))).toMatchObject({ datasetDrift: false, criticalDrifted: false, performanceDegraded: false });
  });
  it('tolerates a missing or textual result (SQLite raw rows)', () => {
    expect(verdictOf(row(null, null))).toMatchObject({ datasetDrift: false, criticalDrifted: false, performanceDegraded: false });
    expect(verdictOf({ ...row(null), result: JSON.stringify({ performance: { degraded: true } }) }).performanceDegraded).toBe(true);
  });
});
