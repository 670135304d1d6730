/** Who is calling: a user (through a session or a personal token) or a service account. */
import type { Permission } from '@ferry/core';

/** A signed-in user. `scopes` null means the session carries the user's full roles. */
export interface UserPrincipal {
  readonly kind: 'user';
  readonly userId: string;
  readonly email: string;
  readonly instanceAdmin: boolean;
  readonly via: 'session' | 'personal-token';
  /** The session or token id. */
  readonly credentialId: string;
  readonly scopes: readonly Permission[] | null;
}

/** A workspace's service account, acting with an exchanged access token. */
export interface ServiceAccountPrincipal {
  readonly kind: 'service-account';
  readonly serviceAccountId: string;
  readonly orgId: string;
  readonly workspaceId: string;
  readonly credentialId: string;
  readonly scopes: readonly Permission[];
}

/** Any authenticated caller. */
export type Principal = UserPrincipal | ServiceAccountPrincipal;

/** A stable key per principal (rate limits, idempotency keys). */
export function principalKey(p: Principal): string {
  return p.kind === 'user' ? `user:${p.userId}` : `sa:${p.serviceAccountId}`;
}

/** The actor id recorded in the audit log. */
export function principalActorId(p: Principal): string {
  return p.kind === 'user' ? p.userId : p.serviceAccountId;
}
