/** Who runs a query: the calling user or service account. */
import { UnauthenticatedError } from '@ferry/core';
import type { Principal } from '../identity/principal.ts';

/** The actor of a query. */
export interface QueryActor {
  readonly kind: 'user' | 'service-account';
  readonly id: string;
}

/** The actor of the principal (routes that run queries accept users and service accounts). */
export function queryActorOf(principal: Principal | undefined): QueryActor {
  if (principal === undefined) throw new UnauthenticatedError();
  return principal.kind === 'user'
    ? { kind: 'user', id: principal.userId }
    : { kind: 'service-account', id: principal.serviceAccountId };
}
