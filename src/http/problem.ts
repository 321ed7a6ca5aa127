import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../db/errors.js';
import { ArtifactStoreUnavailableError } from '../artifacts/artifact-store.js';
import { clientGone, logClientGone } from './client-gone.js';
import { AppError, ERRORS, type ErrorCode, type FieldError } from './errors.js';
import { ajvErrorsToFields } from './validation.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: FieldError[];
}

/** The problem+json body of an error (RFC 9457). */
export function problemOf(error: AppError): Problem {
  return {
    type: `https://mlcycle.dev/problems/${error.code.toLowerCase().replaceAll('_', '-')}`,
    title: error.title,
    status: error.status,
    detail: error.message,
    code: error.code,
    ...(error.errors ? { errors: error.errors } : {}),
  };
}

export function sendProblem(reply: FastifyReply, error: AppError): FastifyReply {
  const problem = problemOf(error);
  if (error.retryAfterSeconds !== undefined && !reply.hasHeader('retry-after')) reply.header('retry-after', String(error.retryAfterSeconds));
  return reply.status(error.status).type('application/problem+json').send(problem);
}

/** Fastify's own error codes that map onto our catalogue. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'MALFORMED_BODY',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_BODY',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_BODY',
  FST_ERR_BAD_URL: 'MALFORMED_URL',
  FST_ERR_MAX_PARAM_LENGTH: 'URI_TOO_LONG',
  FST_ERR_ASYNC_CONSTRAINT: 'MALFORMED_URL',
};

/** Media types a route accepts; JSON unless the route says otherwise (`config.accepts`). */
function acceptedTypes(request: FastifyRequest | undefined): string[] {
  return request?.routeOptions?.config?.accepts ?? ['application/json'];
}

/** Details for Fastify's own errors: say what to send instead, never echo the URL or the body. */
function fastifyDetail(code: ErrorCode, request: FastifyRequest | undefined): string {
  switch (code) {
    case 'UNSUPPORTED_MEDIA_TYPE': {
      const sent = request?.headers['content-type'];
      return `${sent ? `Content-Type "${sent.slice(0, 100)}" is not accepted here` : 'the request has a body but no Content-Type'}; send Content-Type: ${acceptedTypes(request).join(' or ')}`;
    }
    case 'URI_TOO_LONG':
      return 'a path segment exceeds the longest name the API accepts (names are at most 128 characters)';
    case 'MALFORMED_BODY':
      return 'the body is empty or its Content-Length is wrong; send a JSON document';
    default:
      return ERRORS[code].title;
  }
}

/** Translates anything thrown into an AppError; unknown errors become an opaque 500. */
export function toAppError(error: FastifyError | Error, request?: FastifyRequest): AppError {
  if (error instanceof AppError) return error;
  // The adapters raise this for timeouts, refused connections and 5xx from the store: a 503 the
  // client may retry, never a 500 (the detail stays generic: no endpoint, no SDK message).
  if (error instanceof ArtifactStoreUnavailableError)
    return new AppError('ARTIFACT_STORE_UNAVAILABLE', 'the artifact store did not answer in time; retry later');
  // After the store's own error: a refused socket is the database's only when nothing more specific claimed it.
  if (isDatabaseUnavailable(error)) return new AppError('DATABASE_UNAVAILABLE', 'the database cannot be reached; retry shortly');
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const fields = ajvErrorsToFields(fastifyError.validation, fastifyError.validationContext);
    const detail = fields.map((f) => `${f.path}: ${f.message}`).join('; ');
    return new AppError('VALIDATION_FAILED', detail, fields);
  }
  const mapped = fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (mapped) return new AppError(mapped, fastifyDetail(mapped, request));
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
    return new AppError('MALFORMED_BODY', 'the body could not be parsed as JSON');
  }
  // @fastify/static (under /docs) answers 403 for dotfiles and malformed paths.
  if (fastifyError.statusCode === 403) return new AppError('ACCESS_DENIED', 'access to this path is denied');
  if (fastifyError.statusCode === 404) return new AppError('ROUTE_NOT_FOUND', 'no such resource');
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return new AppError('VALIDATION_FAILED', fastifyError.message);
  }
  return new AppError('INTERNAL', 'an unexpected error occurred; see the server log');
}

export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const appError = toAppError(error, request);
    // An aborted upload fails the handler because the client left: nothing to alarm about.
    if (clientGone(request, reply)) logClientGone(request, reply);
    // 5xx are ours: log the real error, answer without internals (no stack, no SQL).
    else if (appError.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, appError);
  });
  app.setNotFoundHandler((request, reply) => sendProblem(reply, new AppError('ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)));
}
