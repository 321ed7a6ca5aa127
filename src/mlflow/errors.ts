import type { FastifyInstance } from 'fastify';
import type { ErrorCode } from '../http/errors.js';
import type { Problem } from '../http/problem.js';

/**
 * MLflow clients switch on `error_code` of a `{error_code, message}` body (databricks error
 * codes), and some on the status: `RESOURCE_ALREADY_EXISTS` must be a 400 (mlflow.register_model
 * carries on after it), a missing entity a 404. Every mlcycle error maps onto one of them; the
 * problem's detail (which names the field) becomes the message.
 */
const MLFLOW_CODES: Partial<Record<ErrorCode, [string, number?]>> = {
  MODEL_NOT_FOUND: ['RESOURCE_DOES_NOT_EXIST'],
  VERSION_NOT_FOUND: ['RESOURCE_DOES_NOT_EXIST'],
  ALIAS_NOT_FOUND: ['RESOURCE_DOES_NOT_EXIST'],
  ARTIFACT_NOT_FOUND: ['RESOURCE_DOES_NOT_EXIST'],
  REFERENCE_NOT_FOUND: ['RESOURCE_DOES_NOT_EXIST'],
  EXPERIMENT_NOT_FOUND: ['RESOURCE_DOES_NOT_EXIST'],
  RUN_NOT_FOUND: ['RESOURCE_DOES_NOT_EXIST'],
  LOGGED_MODEL_NOT_FOUND: ['RESOURCE_DOES_NOT_EXIST'],
  MODEL_EXISTS: ['RESOURCE_ALREADY_EXISTS', 400],
  EXPERIMENT_EXISTS: ['RESOURCE_ALREADY_EXISTS', 400],
  VALIDATION_FAILED: ['INVALID_PARAMETER_VALUE'],
  MALFORMED_BODY: ['MALFORMED_REQUEST'],
  MALFORMED_URL: ['INVALID_PARAMETER_VALUE'],
  INVALID_ARTIFACT_PATH: ['INVALID_PARAMETER_VALUE'],
  INVALID_CURSOR: ['INVALID_PARAMETER_VALUE'],
  ALIAS_RESERVED: ['INVALID_PARAMETER_VALUE'],
  ARTIFACT_PATH_CONFLICT: ['INVALID_PARAMETER_VALUE', 400],
  UNAUTHENTICATED: ['UNAUTHENTICATED'],
  FORBIDDEN: ['PERMISSION_DENIED'],
  ACCESS_DENIED: ['PERMISSION_DENIED'],
  ROUTE_NOT_FOUND: ['ENDPOINT_NOT_FOUND'],
  METHOD_NOT_ALLOWED: ['ENDPOINT_NOT_FOUND'],
  PAYLOAD_TOO_LARGE: ['INVALID_PARAMETER_VALUE'],
  URI_TOO_LONG: ['INVALID_PARAMETER_VALUE'],
  UNSUPPORTED_MEDIA_TYPE: ['INVALID_PARAMETER_VALUE'],
  TOO_MANY_REQUESTS: ['REQUEST_LIMIT_EXCEEDED'],
  REQUEST_TOO_SLOW: ['INVALID_PARAMETER_VALUE'],
};

export interface MlflowErrorBody {
  error_code: string;
  message: string;
}

/** The MLflow error of an mlcycle problem, and the status it is sent with. */
export function mlflowErrorOf(problem: Pick<Problem, 'code' | 'status' | 'detail'>): { status: number; body: MlflowErrorBody } {
  const mapped = MLFLOW_CODES[problem.code as ErrorCode];
  const code =
    mapped?.[0] ??
    (problem.status === 503 ? 'TEMPORARILY_UNAVAILABLE' : problem.status >= 500 ? 'INTERNAL_ERROR' : problem.status === 409 ? 'INVALID_STATE' : 'BAD_REQUEST');
  return { status: mapped?.[1] ?? problem.status, body: { error_code: code, message: problem.detail } };
}

/**
 * Inside the MLflow scope every problem+json reply (thrown errors, the auth hook's 401/403,
 * validation, unknown routes) is rewritten into MLflow's shape just before it is sent.
 */
export function registerMlflowErrors(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    const type = String(reply.getHeader('content-type') ?? '');
    if (!type.startsWith('application/problem+json') || typeof payload !== 'string') return payload;
    const { status, body } = mlflowErrorOf(JSON.parse(payload) as Problem);
    reply.status(status).type('application/json');
    return JSON.stringify(body);
  });
}
