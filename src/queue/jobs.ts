import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { FieldError } from '../http/errors.js';

/**
 * Every queue and job of mlcycle, in one place: names, payload schemas, deterministic job ids and
 * retry defaults. Both adapters (BullMQ and in-process) read only this table, so a job behaves the
 * same in the embedded and the scaled mode.
 *
 * Payloads carry ids, never data or secrets: a job may sit in Redis for hours and be read by any
 * host, and the processor must re-read the current state anyway (it may have changed since the
 * job was enqueued). `additionalProperties: false` keeps stray data out.
 */

export const QUEUE_NAMES = ['drift', 'retrain', 'webhooks', 'maintenance'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/**
 * Database ids are integers today; UUID-like strings are allowed for tables that use them. The
 * pattern excludes ':' because BullMQ uses it as its key separator and refuses such job ids.
 */
export const EntityId = Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })]);
export type EntityId = Static<typeof EntityId>;

const strict = { additionalProperties: false } as const;

export const DriftWindowPayload = Type.Object({ monitorId: EntityId, windowIndex: Type.Integer({ minimum: 0 }) }, strict);
/**
 * `generation` is the row's own counter: the outbox sweep bumps it when the report's (or the
 * retrain job's) queue job finished, failed or vanished while the row still waits, and enqueues
 * again under the new id. A job of an older generation is ignored by its processor.
 */
const Generation = Type.Integer({ minimum: 0 });
export const DriftReportPayload = Type.Object({ reportId: EntityId, generation: Generation }, strict);
export const RetrainRunPayload = Type.Object({ retrainJobId: EntityId, generation: Generation }, strict);
export const WebhookDeliverPayload = Type.Object({ deliveryId: EntityId }, strict);
/** `slot` = floor(now / sweep interval): every process asks for the same sweep once per interval. */
export const OutboxSweepPayload = Type.Object({ slot: Type.Integer({ minimum: 0 }) }, strict);

export interface BackoffPolicy {
  /** exponential: delayMs · 2^(attempt−1); fixed: delayMs every time. */
  type: 'exponential' | 'fixed';
  delayMs: number;
}

export interface RetryPolicy {
  /** Total runs including the first (BullMQ's `attempts`). */
  attempts: number;
  backoff: BackoffPolicy;
}

/**
 * The deployment id (src/db/deployment.ts): a UUID stored in the database. Every job id starts
 * with it, so two databases on one Redis prefix (a reset or restored database, a second
 * deployment) never share a job id. Same alphabet as EntityId: no ':'.
 */
export const DeploymentId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });
const deploymentIdCheck = TypeCompiler.Compile(DeploymentId);

interface JobDefinition<Q extends QueueName, S extends TSchema> extends RetryPolicy {
  queue: Q;
  payload: S;
  jobId: (payload: Static<S>, deployment: string) => string;
}

function define<Q extends QueueName, S extends TSchema>(def: JobDefinition<Q, S>): JobDefinition<Q, S> {
  return def;
}

export const JOBS = {
  // Closes time window k of a model's monitor (the maintenance sweep schedules it once the window
  // has ended): writes the window's pending report, then computes it. The report table's unique
  // (model, window) constraint makes a rerun harmless.
  'drift.window': define({
    queue: 'drift',
    payload: DriftWindowPayload,
    jobId: (p, d) => `drift-window-${d}-${p.monitorId}-${p.windowIndex}`,
    attempts: 5,
    backoff: { type: 'exponential', delayMs: 2_000 },
  }),
  // Computes one pending drift report (a count window its last batch completed, a closed time
  // window, or an on-demand range). Worth retrying for a while: database or store hiccups.
  'drift.report': define({
    queue: 'drift',
    payload: DriftReportPayload,
    jobId: (p, d) => `drift-report-${d}-${p.reportId}-g${p.generation}`,
    attempts: 5,
    backoff: { type: 'exponential', delayMs: 2_000 },
  }),
  // A retrain runs a long external command: retry rarely and slowly.
  'retrain.run': define({
    queue: 'retrain',
    payload: RetrainRunPayload,
    jobId: (p, d) => `retrain-run-${d}-${p.retrainJobId}-g${p.generation}`,
    attempts: 2,
    backoff: { type: 'fixed', delayMs: 60_000 },
  }),
  // Receivers go down for minutes: 8 attempts from 5 s doubling reach ~10 min of total wait.
  'webhook.deliver': define({
    queue: 'webhooks',
    payload: WebhookDeliverPayload,
    jobId: (p, d) => `webhook-deliver-${d}-${p.deliveryId}`,
    attempts: 8,
    backoff: { type: 'exponential', delayMs: 5_000 },
  }),
  // The next slot sweeps anyway, so one retry is enough.
  'outbox.sweep': define({
    queue: 'maintenance',
    payload: OutboxSweepPayload,
    jobId: (p, d) => `outbox-sweep-${d}-${p.slot}`,
    attempts: 2,
    backoff: { type: 'fixed', delayMs: 1_000 },
  }),
} as const;

export type JobName = keyof typeof JOBS;
export type JobPayload<N extends JobName> = Static<(typeof JOBS)[N]['payload']>;
export type JobsOfQueue<Q extends QueueName> = {
  [N in JobName]: (typeof JOBS)[N]['queue'] extends Q ? N : never;
}[JobName];

export const JOB_NAMES = Object.keys(JOBS) as JobName[];

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(JOBS, name);
}

/**
 * The deterministic id of a job: within one deployment the same payload always maps to the same
 * id (dedupe); another deployment's id never matches.
 * @example jobIdFor('drift.report', { reportId: 12, generation: 0 }, 'd1') === 'drift-report-d1-12-g0'
 */
export function jobIdFor<N extends JobName>(name: N, payload: JobPayload<N>, deployment: string): string {
  if (!deploymentIdCheck.Check(deployment)) throw new JobPayloadError(name, [{ path: 'deployment', message: `not a valid deployment id: "${deployment}"` }]);
  return (JOBS[name].jobId as (p: JobPayload<N>, d: string) => string)(payload, deployment);
}

/**
 * Delay before the retry that follows failed run number `attempt` (1-based).
 * @example backoffDelayMs({type:'exponential', delayMs:1000}, 3) === 4000
 */
export function backoffDelayMs(backoff: BackoffPolicy, attempt: number): number {
  return backoff.type === 'fixed' ? backoff.delayMs : backoff.delayMs * 2 ** Math.max(0, attempt - 1);
}

/** Thrown when a payload does not match its job's schema, on enqueue or when a job is processed. */
export class JobPayloadError extends Error {
  constructor(
    readonly jobName: string,
    readonly errors: FieldError[],
  ) {
    super(`invalid payload for job ${jobName}: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
    this.name = 'JobPayloadError';
  }
}

const checkers = new Map<JobName, TypeCheck<TSchema>>(JOB_NAMES.map((name) => [name, TypeCompiler.Compile(JOBS[name].payload)]));

/** Checks `payload` against `name`'s schema; throws JobPayloadError listing each bad field. */
export function validatePayload<N extends JobName>(name: string, payload: unknown): asserts payload is JobPayload<N> {
  const checker = isJobName(name) ? checkers.get(name) : undefined;
  if (!checker) throw new JobPayloadError(name, [{ path: 'name', message: `unknown job "${name}"` }]);
  if (checker.Check(payload)) return;
  const errors: FieldError[] = [];
  for (const error of checker.Errors(payload)) {
    const path = error.path.split('/').filter(Boolean).join('.') || 'payload';
    if (!errors.some((e) => e.path === path)) errors.push({ path, message: error.message });
    if (errors.length >= 20) break;
  }
  throw new JobPayloadError(name, errors);
}
