/** The shape of one API route's contract, shared by the server and the typed client. */
import type { z } from 'zod';

/** HTTP methods the API uses. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Error statuses a route's handler answers itself, beyond those its shape implies (see
 * `errorStatusesOf` in `openapi.ts`): a conflict with the current state (409), a failed
 * precondition (412), credentials a public route checks itself (401), a lookup of something
 * the path does not name (404), a refusal of the handler's own (403).
 */
export type HandlerErrorStatus = 401 | 403 | 404 | 409 | 412;

/** One route: where it lives and what goes in and out. */
export interface RouteContract {
  readonly method: HttpMethod;
  /** Path with `:param` placeholders, e.g. `/api/v1/orgs/:orgId`. */
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  /** Success status (204 means no body). */
  readonly status: 200 | 201 | 204;
  readonly response?: z.ZodType;
  /** Creating POSTs accept an `Idempotency-Key` header. */
  readonly idempotent?: boolean;
  /** Public routes need no credentials. */
  readonly public?: boolean;
  /** What the handler itself can answer besides success (the API tests check each answer is listed). */
  readonly errors?: readonly HandlerErrorStatus[];
}

/** Identity helper that keeps a contract's literal types. */
export function defineContract<const C extends RouteContract>(contract: C): C {
  return contract;
}
