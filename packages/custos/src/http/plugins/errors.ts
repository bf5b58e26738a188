// Every error leaves as {"error":{"code","message","details"}} with the status of its code. What
// we did not raise on purpose is a 500 with a fixed message: no stack, SQL, secret or content.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, errorBody, isAppError, type ErrorCode } from '../../core/errors.ts';

// Fastify's own client errors, by their stable codes.
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported_media_type',
  FST_ERR_VALIDATION: 'invalid_request',
  FST_ERR_BAD_URL: 'invalid_request',
  FST_ERR_ASYNC_CONSTRAINT: 'invalid_request',
};

interface ValidationIssue {
  path: string;
  message: string;
}

function validationDetails(err: FastifyError): ValidationIssue[] {
  if (hasZodFastifySchemaValidationErrors(err)) {
    return err.validation.map((issue) => ({
      path: [err.validationContext, ...(issue.instancePath ? issue.instancePath.split('/').filter(Boolean) : [])].join('.'),
      // zod's messages name the expected shape, not the value received; except for unknown keys,
      // whose names it lists, and a name a client sent is theirs to keep out of our answers.
      message: issue.keyword === 'unrecognized_keys' ? 'a field the schema does not have' : issue.message ?? 'invalid',
    }));
  }
  return [];
}

const INTERNAL_MESSAGE = 'something went wrong on our side; the request id in the response headers helps us find it';

export function toAppError(err: unknown): AppError {
  if (isAppError(err)) return err;
  // Anything can be thrown, null included.
  if (typeof err !== 'object' || err === null) return new AppError('internal', INTERNAL_MESSAGE);
  const fastifyError = err as Partial<FastifyError>;
  if (fastifyError.validation) {
    return new AppError('invalid_request', 'the request does not match the schema', validationDetails(fastifyError as FastifyError));
  }
  if (fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (err instanceof SyntaxError && fastifyError.statusCode === 400)) {
    return new AppError('invalid_json', 'the body is not valid JSON');
  }
  // Postgres chose this transaction as a deadlock's or a serialization conflict's victim: nothing
  // was written, and the same request sent again succeeds.
  if (fastifyError.code === '40P01' || fastifyError.code === '40001') return new AppError('database_busy', 'the database was busy; send the request again');
  // Text Postgres cannot store (NUL in a text column, a character its encoding lacks): the schemas
  // refuse it first; this keeps a field they missed a 400 rather than a 500.
  if (fastifyError.code === '22021' || fastifyError.code === '22P05') return new AppError('invalid_text', 'the request holds text that cannot be stored (a NUL character?)');
  const mapped = fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (mapped) return new AppError(mapped, messageFor(mapped));
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError(status === 404 ? 'not_found' : status === 405 ? 'method_not_allowed' : 'invalid_request', messageFor('invalid_request'));
  }
  return new AppError('internal', INTERNAL_MESSAGE);
}

function messageFor(code: ErrorCode): string {
  switch (code) {
    case 'payload_too_large': return 'the body is larger than this server accepts';
    case 'unsupported_media_type': return 'send the body as application/json';
    case 'invalid_json': return 'the body is not valid JSON';
    default: return 'the request is not valid';
  }
}

/**
 * For Fastify's frameworkErrors option: errors raised before routing (a malformed URL) answer in
 * the same shape as every other error; Fastify's own body would echo the path back.
 */
export function frameworkErrorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const appError = toAppError(err);
  void reply.status(appError.status).send(errorBody(appError));
  // Routing never happened, so the onResponse hook (request-log.ts) does not run: the request's
  // one line is written here, with no route, as every other request's is.
  request.log.info({ method: request.method, route: null, status: appError.status, durationMs: null }, 'request');
}

/**
 * What every error handler does before it writes the body: map the error, log what we did not
 * raise on purpose, and set the status (and Retry-After on a rate limit). Returns the mapped error.
 */
export function prepareErrorReply(err: unknown, request: FastifyRequest, reply: FastifyReply): AppError {
  const appError = toAppError(err);
  if (appError.status >= 500) request.log.error({ err, code: appError.code }, 'request failed');
  const retryAfter = (appError.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  if (appError.code === 'rate_limited' && typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
  void reply.status(appError.status);
  return appError;
}

export function registerErrorHandling(app: FastifyInstance): void {
  // The API speaks JSON only: a text/plain body is an unsupported media type, not a string.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(async (err: unknown, request: FastifyRequest, reply: FastifyReply) =>
    reply.send(errorBody(prepareErrorReply(err, request, reply))));
  app.setNotFoundHandler(async (_request, reply) => {
    const notFound = new AppError('not_found', 'no such resource');
    return reply.status(404).send(errorBody(notFound));
  });
}
