/**
 * The one catalogue of coded errors. Services throw `AppError`s built from it; the HTTP error
 * handler renders them as application/problem+json. A code is part of the public contract:
 * clients branch on it, so codes are never renamed.
 */
export const ERRORS = {
  VALIDATION_FAILED: { status: 400, title: 'Request validation failed' },
  MALFORMED_BODY: { status: 400, title: 'Request body is not valid JSON' },
  MALFORMED_BATCH: { status: 400, title: 'Request body is not a readable sample batch' },
  MALFORMED_URL: { status: 400, title: 'Request URL is malformed' },
  INVALID_ARTIFACT_PATH: { status: 400, title: 'Invalid artifact path' },
  INVALID_CURSOR: { status: 400, title: 'Invalid pagination cursor' },
  ALIAS_RESERVED: { status: 400, title: 'Alias name is reserved' },
  UNAUTHENTICATED: { status: 401, title: 'Missing or invalid API key' },
  FORBIDDEN: { status: 403, title: 'API key lacks the required scope' },
  ACCESS_DENIED: { status: 403, title: 'Access to this resource is denied' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route' },
  MODEL_NOT_FOUND: { status: 404, title: 'Model not found' },
  VERSION_NOT_FOUND: { status: 404, title: 'Model version not found' },
  ALIAS_NOT_FOUND: { status: 404, title: 'Alias not found' },
  ARTIFACT_NOT_FOUND: { status: 404, title: 'Artifact not found' },
  REFERENCE_NOT_FOUND: { status: 404, title: 'Reference data not found' },
  DRIFT_REPORT_NOT_FOUND: { status: 404, title: 'Drift report not found' },
  API_KEY_NOT_FOUND: { status: 404, title: 'API key not found' },
  RETRAIN_JOB_NOT_FOUND: { status: 404, title: 'Retrain job not found' },
  WEBHOOK_NOT_FOUND: { status: 404, title: 'Webhook not found' },
  WEBHOOK_DELIVERY_NOT_FOUND: { status: 404, title: 'Webhook delivery not found' },
  EXPERIMENT_NOT_FOUND: { status: 404, title: 'Experiment not found' },
  RUN_NOT_FOUND: { status: 404, title: 'Run not found' },
  LOGGED_MODEL_NOT_FOUND: { status: 404, title: 'Logged model not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  REQUEST_TOO_SLOW: { status: 408, title: 'Request body arrived too slowly' },
  MODEL_EXISTS: { status: 409, title: 'Model already exists' },
  EXPERIMENT_EXISTS: { status: 409, title: 'Experiment already exists' },
  PARENT_VERSION_NOT_FOUND: { status: 409, title: 'Parent version does not exist' },
  IDEMPOTENCY_KEY_REUSED: { status: 409, title: 'Idempotency key reused with a different request' },
  NO_TARGET_VERSION: { status: 409, title: 'No model version to attribute the samples to' },
  BATCH_ID_REUSED: { status: 409, title: 'Batch id reused with different samples' },
  LAST_ADMIN_KEY: { status: 409, title: 'Cannot revoke the last admin key' },
  ARTIFACT_PATH_CONFLICT: { status: 409, title: 'Artifact path conflicts with an existing artifact' },
  RETRAIN_ACTIVE: { status: 409, title: 'A retrain job of this model is already queued or running' },
  RETRAIN_JOB_FINISHED: { status: 409, title: 'The retrain job has already finished' },
  RETRAIN_NOT_CONFIGURED: { status: 409, title: 'No retrain executor is configured for this model' },
  RETRAIN_JOB_NOT_EXTERNAL: { status: 409, title: 'The retrain job is not waiting for an external pipeline' },
  RETRAIN_ATTEMPT_STALE: { status: 409, title: 'The retrain job runs a later attempt now' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Request body too large' },
  URI_TOO_LONG: { status: 414, title: 'A path segment is too long' },
  BATCH_TOO_LARGE: { status: 413, title: 'Sample batch has too many rows' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  TOO_MANY_REQUESTS: { status: 429, title: 'Too many failed authentication attempts', retryAfterSeconds: 60 },
  INTERNAL: { status: 500, title: 'Internal server error' },
  NOT_READY: { status: 503, title: 'Service not ready' },
  DATABASE_UNAVAILABLE: { status: 503, title: 'The database is unavailable', retryAfterSeconds: 2 },
  DATABASE_BUSY: { status: 503, title: 'The database is busy', retryAfterSeconds: 1 },
  QUEUE_UNAVAILABLE: { status: 503, title: 'Job queue unavailable', retryAfterSeconds: 5 },
  ARTIFACT_STORE_UNAVAILABLE: { status: 503, title: 'Artifact store unavailable', retryAfterSeconds: 5 },
  OVERLOADED: { status: 503, title: 'Server overloaded', retryAfterSeconds: 10 },
} as const satisfies Record<string, { status: number; title: string; retryAfterSeconds?: number }>;

export type ErrorCode = keyof typeof ERRORS;

export interface FieldError {
  path: string;
  message: string;
}

export class AppError extends Error {
  readonly status: number;
  readonly title: string;
  /** Sent as Retry-After: set for errors that go away by themselves (429, 503). */
  retryAfterSeconds: number | undefined;

  constructor(
    readonly code: ErrorCode,
    detail?: string,
    readonly errors?: FieldError[],
  ) {
    super(detail ?? ERRORS[code].title);
    this.name = 'AppError';
    this.status = ERRORS[code].status;
    this.title = ERRORS[code].title;
    const entry = ERRORS[code];
    this.retryAfterSeconds = 'retryAfterSeconds' in entry ? entry.retryAfterSeconds : undefined;
  }
}

/** Shorthand for a 400 naming one field. */
export function invalidField(path: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', `${path}: ${message}`, [{ path, message }]);
}
