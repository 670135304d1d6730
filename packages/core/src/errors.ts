/**
 * ferry's error classes. Every error has a stable `code` (clients branch on it), the HTTP
 * `status` it maps to, whose `fault` it is, whether retrying may help, and an optional
 * `cause`. Messages never contain secrets.
 */

/** Whose fault an error is. */
export type Fault = 'client' | 'server';

/** One problem with one input field; `path` names the field (`body.name`, `params.orgId`). */
export interface ErrorDetail {
  readonly path: string;
  readonly message: string;
}

/** Options shared by every error class. */
export interface FerryErrorOptions {
  readonly cause?: unknown;
  readonly details?: readonly ErrorDetail[];
}

/** Base class of every ferry error. */
export class FerryError extends Error {
  readonly code: string;
  readonly status: number;
  readonly fault: Fault;
  readonly retryable: boolean;
  readonly details: readonly ErrorDetail[];

  constructor(
    init: { code: string; status: number; fault: Fault; retryable: boolean; message: string },
    options: FerryErrorOptions = {},
  ) {
    super(init.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = init.code;
    this.status = init.status;
    this.fault = init.fault;
    this.retryable = init.retryable;
    this.details = options.details ?? [];
  }
}

/** Input failed validation (400); `details` name the fields. */
export class ValidationError extends FerryError {
  constructor(message: string, options: FerryErrorOptions = {}) {
    super(
      { code: 'validation_failed', status: 400, fault: 'client', retryable: false, message },
      options,
    );
  }
}

/** No valid credentials were presented (401). */
export class UnauthenticatedError extends FerryError {
  constructor(message = 'Authentication required.', options: FerryErrorOptions = {}) {
    super(
      { code: 'unauthenticated', status: 401, fault: 'client', retryable: false, message },
      options,
    );
  }
}

/** The principal can see the resource but lacks the permission (403). */
export class ForbiddenError extends FerryError {
  constructor(message = 'Permission denied.', options: FerryErrorOptions = {}) {
    super({ code: 'forbidden', status: 403, fault: 'client', retryable: false, message }, options);
  }
}

/** The resource does not exist, or the principal may not know it exists (404). */
export class NotFoundError extends FerryError {
  constructor(message = 'Not found.', options: FerryErrorOptions = {}) {
    super({ code: 'not_found', status: 404, fault: 'client', retryable: false, message }, options);
  }
}

/** The request conflicts with the current state (409); `code` says which conflict. */
export class ConflictError extends FerryError {
  constructor(
    code: string,
    message: string,
    options: FerryErrorOptions & { retryable?: boolean } = {},
  ) {
    super(
      { code, status: 409, fault: 'client', retryable: options.retryable ?? false, message },
      options,
    );
  }
}

/** The organization would be left without an admin (409). */
export class LastAdminError extends ConflictError {
  constructor(
    message = 'An organization must keep at least one admin: promote another member first.',
  ) {
    super('last_admin', message);
  }
}

/** A state machine was asked for a transition it does not allow (409). */
export class InvalidTransitionError extends ConflictError {
  readonly from: string;
  readonly to: string;
  constructor(entity: string, from: string, to: string) {
    super('invalid_transition', `A ${entity} cannot go from ${from} to ${to}.`);
    this.from = from;
    this.to = to;
  }
}

/** The request body exceeds the size limit (413). */
export class PayloadTooLargeError extends FerryError {
  constructor(message = 'Request body is too large.', options: FerryErrorOptions = {}) {
    super(
      { code: 'payload_too_large', status: 413, fault: 'client', retryable: false, message },
      options,
    );
  }
}

/** The principal exceeded its request rate (429); retry after `retryAfterSeconds`. */
export class RateLimitedError extends FerryError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super({
      code: 'rate_limited',
      status: 429,
      fault: 'client',
      retryable: true,
      message: `Too many requests; retry in ${retryAfterSeconds} s.`,
    });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Something failed on ferry's side (500); the message is safe to show. */
export class InternalError extends FerryError {
  constructor(message = 'Internal error.', options: FerryErrorOptions = {}) {
    super({ code: 'internal', status: 500, fault: 'server', retryable: true, message }, options);
  }
}

/** True for any ferry error. */
export function isFerryError(value: unknown): value is FerryError {
  return value instanceof FerryError;
}
