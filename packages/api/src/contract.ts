/** The shape of one API route's contract, shared by the server and the typed client. */
import type { z } from 'zod';

/** HTTP methods the API uses. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

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
}

/** Identity helper that keeps a contract's literal types. */
export function defineContract<const C extends RouteContract>(contract: C): C {
  return contract;
}
