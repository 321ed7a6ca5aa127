import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { computePerformance, NO_TASK_REASON, type Task } from '../../../src/monitoring/performance.js';
import { rocAuc } from '../../../src/monitoring/performance-metrics.js';

/** scikit-learn 1.2.1's values: fixtures/gen_performance.py (run with /usr/bin/python3). */
const fixtures = JSON.parse(readFileSync(new URL('./fixtures/performance.json', import.meta.url), 'utf8')) as {
  cases: {
    name: string;
    task: Task;
    predictions: (number | string)[];
    labels: (number | string)[];
    scores?: (number | number[])[];
    classes?: (number | string)[];
    expected: Record<string, number>;
  }[];
};

/** 1e-12 relative, 1e-12 absolute near zero. */
function close(actual: number | undefined, expected: number, name: string): void {
  expect(actual, name).toBeTypeOf('number');
  const error = Math.abs(actual! - expected) / Math.max(1, Math.abs(expected));
  expect(error, `${name}: ${actual} vs sklearn ${expected}`).toBeLessThanOrEqual(1e-12);
}

describe('computePerformance equals sklearn.metrics', () => {
  it('has the fixture cases the issue asks for', () => {
    expect(fixtures.cases.length).toBeGreaterThanOrEqual(12);
    const names = fixtures.cases.map((c) => c.name).join('\n');
    for (const part of ['predicted class absent', 'label absent', 'string labels', 'integer labels', "positive 'yes'", 'multiclass', 'integer counts', '50.0'])
      expect(names).toContain(part);
  });

  it.each(fixtures.cases)('$name', (c) => {
    const result = computePerformance(
      { task: c.task, predictions: c.predictions, labels: c.labels, ...(c.scores ? { scores: c.scores } : {}), ...(c.classes ? { classes: c.classes } : {}) },
      {},
      0.05,
    );
    expect(result.status).toBe('ok');
    if (result.status !== 'ok') return;
    expect(result.labeled).toBe(c.labels.length);
    expect(result.excluded).toBe(0);
    // Exactly sklearn's set of metrics: nothing more, nothing missing.
    expect(Object.keys(result.metrics).sort()).toEqual(Object.keys(c.expected).sort());
    for (const [name, value] of Object.entries(c.expected)) close(result.metrics[name], value, name);
    if (c.scores) expect(result.scored).toBe(c.labels.length);
  });
});

describe('computePerformance without guessing', () => {
  const predictions = [1, 2, 3, 50];
  const labels = [1, 2, 4, 50];

  it('is off, saying why, when the version declares no task', () => {
    expect(computePerformance({ task: undefined, predictions, labels }, { accuracy: 0.9 }, 0.05)).toEqual({
      status: 'off',
      reason: NO_TASK_REASON,
      degraded: false,
    });
  });

  it('scores integer targets as a regression when the task says so (MAE, not accuracy)', () => {
    const r = computePerformance({ task: { type: 'regression' }, predictions, labels }, { mae: 0.1 }, 0.05);
    expect(r).toMatchObject({ status: 'ok', task: 'regression', metrics: { mae: 0.25, rmse: 0.5 }, degraded: true, reasons: ['mae 0.1 → 0.25'] });
    expect(r.status === 'ok' && 'accuracy' in r.metrics).toBe(false);
  });

  it('leaves out and counts rows whose types do not fit the task', () => {
    const r = computePerformance({ task: { type: 'classification' }, predictions: [0, 1, 2, '1'], labels: ['0', 1, 2, '1'] }, {}, 0.05);
    expect(r).toMatchObject({ status: 'ok', labeled: 2, excluded: 2, metrics: { accuracy: 1 } });
    expect(r.status === 'ok' && r.notes[0]).toMatch(/2 row\(s\) left out/);
    const reg = computePerformance({ task: { type: 'regression' }, predictions: [1, 'a'], labels: [1.5, 2] }, {}, 0.05);
    expect(reg).toMatchObject({ labeled: 1, excluded: 1, metrics: { mae: 0.5 } });
  });

  it('says no_labels when no row has both', () => {
    expect(computePerformance({ task: { type: 'regression' }, predictions: [1, null], labels: [null, 2] }, {}, 0.05)).toMatchObject({
      status: 'no_labels',
      labeled: 0,
    });
  });

  it('notes what it cannot compute instead of inventing it', () => {
    const single = computePerformance({ task: { type: 'classification', positive: 1 }, predictions: [1, 0], labels: [1, 1], scores: [0.9, 0.4] }, {}, 0.05);
    expect(single.status === 'ok' && single.metrics.roc_auc).toBeUndefined();
    expect(single.status === 'ok' && single.notes).toContain('ROC AUC needs both classes among the scored labels');
    const noPositive = computePerformance({ task: { type: 'classification' }, predictions: [1, 1], labels: [1, 1], scores: [0.9, 0.4] }, {}, 0.05);
    expect(noPositive.status === 'ok' && noPositive.metrics.log_loss).toBeUndefined();
    const typed = computePerformance({ task: { type: 'classification', positive: 'yes' }, predictions: [1, 0], labels: [1, 0] }, {}, 0.05);
    expect(typed.status === 'ok' && typed.metrics.precision).toBeUndefined();
  });

  it('lower-is-better metrics degrade by relative rise, the others by absolute fall', () => {
    const r = computePerformance(
      { task: { type: 'classification', positive: 1 }, predictions: [1, 0, 1, 0], labels: [1, 0, 0, 1], scores: [0.9, 0.1, 0.6, 0.4] },
      { accuracy: 0.54, log_loss: 0.1, f1: 0.6 },
      0.05,
    );
    expect(r.status === 'ok' && r.reasons).toEqual(['f1 0.6 → 0.5', 'log_loss 0.1 → 0.5108']);
  });
});

describe('rocAuc', () => {
  it('counts a tie between a positive and a negative as one half', () => {
    expect(rocAuc([true, false], [0.5, 0.5])).toBe(0.5);
    expect(rocAuc([true, false, true], [0.9, 0.1, 0.1])).toBe(0.75);
  });
});
