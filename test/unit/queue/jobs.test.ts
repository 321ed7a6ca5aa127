import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JOBS, JOB_NAMES, JobPayloadError, QUEUE_NAMES, backoffDelayMs, jobIdFor, validatePayload } from '../../../src/queue/jobs.js';

const entityId = fc.oneof(fc.integer({ min: 1 }), fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/));

describe('job definitions', () => {
  it('put every job on a known queue with at least one attempt', () => {
    for (const name of JOB_NAMES) {
      expect(QUEUE_NAMES).toContain(JOBS[name].queue);
      expect(JOBS[name].attempts).toBeGreaterThanOrEqual(1);
      expect(JOBS[name].backoff.delayMs).toBeGreaterThan(0);
    }
    expect(JOB_NAMES.sort()).toEqual(['drift.report', 'drift.window', 'outbox.sweep', 'retrain.run', 'webhook.deliver']);
  });

  it('derive job ids deterministically, distinct per window, and never with a colon (BullMQ refuses them)', () => {
    fc.assert(
      fc.property(entityId, fc.nat(), fc.nat(), (monitorId, a, b) => {
        const idA = jobIdFor('drift.window', { monitorId, windowIndex: a }, 'd1');
        validatePayload('drift.window', { monitorId, windowIndex: a });
        expect(idA).toBe(jobIdFor('drift.window', { monitorId, windowIndex: a }, 'd1'));
        expect(idA).not.toContain(':');
        expect(idA === jobIdFor('drift.window', { monitorId, windowIndex: b }, 'd1')).toBe(a === b);
      }),
    );
    const d = '0b7e3c1a-5f2d-4c1e-9a8b-2f6d7e8c9a0b';
    expect(jobIdFor('drift.report', { reportId: 12, generation: 0 }, d)).toBe(`drift-report-${d}-12-g0`);
    expect(jobIdFor('drift.report', { reportId: 12, generation: 3 }, d)).toBe(`drift-report-${d}-12-g3`);
    expect(jobIdFor('retrain.run', { retrainJobId: 'r_1', generation: 1 }, d)).toBe(`retrain-run-${d}-r_1-g1`);
    expect(jobIdFor('webhook.deliver', { deliveryId: 3 }, d)).toBe(`webhook-deliver-${d}-3`);
    expect(jobIdFor('outbox.sweep', { slot: 29_000_000 }, d)).toBe(`outbox-sweep-${d}-29000000`);
    // Another deployment (a fresh database on the same Redis) never gets the same id.
    expect(jobIdFor('drift.report', { reportId: 12, generation: 0 }, 'other')).not.toBe(jobIdFor('drift.report', { reportId: 12, generation: 0 }, d));
    expect(() => jobIdFor('drift.report', { reportId: 12, generation: 0 }, 'a:b')).toThrow(JobPayloadError);
  });

  it('accept only ids in payloads: extra fields, colons, fractions and negative windows are refused with their paths', () => {
    const cases: Array<[string, unknown, string]> = [
      ['drift.window', { monitorId: 1, windowIndex: 0, rows: [] }, 'rows'],
      ['drift.window', { monitorId: 'x:y', windowIndex: 0 }, 'monitorId'],
      ['drift.window', { monitorId: 0, windowIndex: 0 }, 'monitorId'],
      ['drift.report', { reportId: 2.5 }, 'reportId'],
      ['outbox.sweep', { slot: -1 }, 'slot'],
      ['retrain.run', {}, 'retrainJobId'],
    ];
    for (const [name, payload, path] of cases) {
      let error: unknown;
      try {
        validatePayload(name, payload);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(JobPayloadError);
      expect((error as JobPayloadError).errors.map((e) => e.path)).toContain(path);
    }
    expect(() => validatePayload('nope', {})).toThrow(/unknown job "nope"/);
  });

  it('compute backoff delays: exponential doubles from the base, fixed stays', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelayMs({ type: 'exponential', delayMs: 1000 }, n))).toEqual([1000, 2000, 4000, 8000]);
    expect([1, 5].map((n) => backoffDelayMs({ type: 'fixed', delayMs: 250 }, n))).toEqual([250, 250]);
  });
});
