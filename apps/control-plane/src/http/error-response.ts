/**
 * Turns any error into the API's one error shape `{error: {code, message, details?,
 * requestId}}`. Client errors say what was wrong and name the field; server errors say
 * only that something failed (the log has the rest). Messages never echo request bodies.
 */
import {
  FerryError,
  InternalError,
  NotFoundError,
  PayloadTooLargeError,
  ValidationError,
  isFerryError,
  type ErrorDetail,
} from '@ferry/core';
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { AwsNotConfiguredError, isMissingCredentials } from '../aws/aws-credentials-check.ts';

/** The error shape as sent. */
export interface ErrorBody {
  error: { code: string; message: string; details?: ErrorDetail[]; requestId: string };
}

/** A ValidationError naming each failing field as `<part>.<path>`. */
export function validationErrorFrom(part: string, error: z.ZodError): ValidationError {
  const details = error.issues.map((issue) => {
    const path = [part, ...issue.path.map(String)].join('.');
    // Unknown keys are reported on the object; name each key so the client sees which.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => ({ path: `${path}.${k}`, message: 'is not a known field' }));
    }
    return [{ path, message: issue.message }];
  });
  const flat = details.flat();
  const first = flat[0];
  return new ValidationError(
    first ? `Invalid ${first.path}: ${first.message}` : 'Invalid request.',
    { details: flat },
  );
}

interface FastifyLikeError {
  statusCode?: number;
  code?: string;
}

/** Maps Fastify's own errors (body parsing, limits) onto ferry errors. */
export function toFerryError(err: unknown): FerryError {
  if (isFerryError(err)) return err;
  if (isMissingCredentials(err)) return new AwsNotConfiguredError();
  const e = (typeof err === 'object' && err !== null ? err : {}) as FastifyLikeError;
  const status = e.statusCode;
  if (status === 413 || e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new PayloadTooLargeError('Request body is too large.', {
      details: [{ path: 'body', message: 'exceeds the size limit' }],
    });
  }
  if (status === 415) {
    return new FerryError(
      {
        code: 'unsupported_media_type',
        status: 415,
        fault: 'client',
        retryable: false,
        message: 'Send the body as application/json.',
      },
      { details: [{ path: 'headers.content-type', message: 'must be application/json' }] },
    );
  }
  if (status === 404) return new NotFoundError();
  if (status !== undefined && status >= 400 && status < 500) {
    const isJson = e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError;
    return new ValidationError(isJson ? 'The body is not valid JSON.' : 'Invalid request.', {
      details: [{ path: 'body', message: isJson ? 'is not valid JSON' : 'is invalid' }],
    });
  }
  return new InternalError('Internal error.', { cause: err });
}

/** The body for an error. */
export function errorBody(err: FerryError, requestId: string): ErrorBody {
  return {
    error: {
      code: err.code,
      message: err.message,
      ...(err.details.length > 0 ? { details: [...err.details] } : {}),
      requestId,
    },
  };
}

/** Installs the error and not-found handlers on the app. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((raw, request, reply) => {
    const err = toFerryError(raw);
    if (err.status >= 500) request.log.error({ err: raw }, 'request failed');
    else request.log.debug({ code: err.code }, 'request rejected');
    if ('retryAfterSeconds' in err && typeof err.retryAfterSeconds === 'number') {
      void reply.header('retry-after', String(err.retryAfterSeconds));
    }
    return reply.code(err.status).send(errorBody(err, request.id));
  });
  app.setNotFoundHandler((request, reply) => {
    const path = (request.url.split('?')[0] ?? '').slice(0, 200);
    const err = new FerryError({
      code: 'route_not_found',
      status: 404,
      fault: 'client',
      retryable: false,
      message: `No route ${request.method} ${path}.`,
    });
    return reply.code(404).send(errorBody(err, request.id));
  });
}
