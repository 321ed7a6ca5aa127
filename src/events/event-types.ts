/**
 * Every audit event type, in one place: `record` accepts only these, and `?type=` filters are
 * validated against them (an unknown type is a 400, not an empty page). Add new types here.
 */
export const EVENT_TYPES = [
  'model.created',
  'model.updated',
  'model.deleted',
  'version.created',
  'version.updated',
  'version.deleted',
  'alias.moved',
  'alias.deleted',
  'artifact.uploaded',
  'api_key.created',
  'api_key.revoked',
  'drift.detected',
  'drift.report_failed',
  'monitor.updated',
  'retrain.requested',
  'retrain.queued',
  'retrain.skipped',
  'retrain.started',
  'retrain.cancel_requested',
  'retrain.cancelled',
  'retrain.failed',
  'retrain.lease_expired',
  'retrain.version_registered',
  'retrain.promotion',
  'retrain.succeeded',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
