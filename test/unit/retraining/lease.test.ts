import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.js';
import { processAlive } from '../../../src/retraining/executors/process-group.js';
import { holderGone, leaseExpiredReason } from '../../../src/retraining/lease.js';

describe('retrain leases', () => {
  const now = new Date('2026-01-01T00:00:00.000Z');
  const later = '2026-01-01T00:01:00.000Z';
  const earlier = '2025-12-31T23:59:00.000Z';
  const dead = spawnSync('true').pid!;

  it('a running job is unheld when its lease passed, never existed, or its holder on this host is gone', () => {
    const running = { status: 'running' };
    expect(holderGone({ ...running, leaseOwner: 'elsewhere/1/a', leaseExpiresAt: later }, now)).toBe(false);
    expect(holderGone({ ...running, leaseOwner: 'elsewhere/1/a', leaseExpiresAt: earlier }, now)).toBe(true);
    expect(holderGone({ ...running, leaseOwner: 'elsewhere/1/a', leaseExpiresAt: now.toISOString() }, now)).toBe(true);
    expect(holderGone({ ...running, leaseOwner: null, leaseExpiresAt: null }, now)).toBe(true);
    expect(holderGone({ ...running, leaseOwner: `${hostname()}/${process.pid}/a`, leaseExpiresAt: later }, now)).toBe(false);
    expect(holderGone({ ...running, leaseOwner: `${hostname()}/${dead}/a`, leaseExpiresAt: later }, now)).toBe(true);
    // Only running jobs have holders.
    expect(holderGone({ status: 'queued', leaseOwner: null, leaseExpiresAt: null }, now)).toBe(false);
  });

  it('processAlive: this process yes, an exited one no', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(dead)).toBe(false);
    expect(processAlive(0)).toBe(false);
  });

  it('the reason names the attempts', () => {
    expect(leaseExpiredReason(1)).toBe('lease expired after 1 attempt');
    expect(leaseExpiredReason(3)).toBe('lease expired after 3 attempts');
  });

  it('config: defaults, and a heartbeat of more than half the lease is refused', () => {
    expect(loadConfig({}).retraining).toEqual({ leaseMs: 60_000, heartbeatMs: 10_000, maxLeaseAttempts: 3 });
    expect(loadConfig({ RETRAIN_LEASE_MS: '3000', RETRAIN_HEARTBEAT_MS: '500', RETRAIN_MAX_ATTEMPTS: '5' }).retraining).toEqual({
      leaseMs: 3000,
      heartbeatMs: 500,
      maxLeaseAttempts: 5,
    });
    expect(() => loadConfig({ RETRAIN_LEASE_MS: '3000', RETRAIN_HEARTBEAT_MS: '2000' })).toThrow(ConfigError);
    expect(() => loadConfig({ RETRAIN_MAX_ATTEMPTS: '0' })).toThrow(/RETRAIN_MAX_ATTEMPTS/);
  });
});
