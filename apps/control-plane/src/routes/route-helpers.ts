/** Small helpers shared by route handlers. */
import { ForbiddenError, UnauthenticatedError } from '@ferry/core';
import type { Principal, UserPrincipal } from '../identity/principal.ts';

/** The calling user; routes that accept only users can rely on it. */
export function userOf(principal: Principal | undefined): UserPrincipal {
  if (principal === undefined) throw new UnauthenticatedError();
  if (principal.kind !== 'user') throw new ForbiddenError('Only users can use this route.');
  return principal;
}

/** True when cookies must be marked Secure (the public URL is https). */
export function secureCookies(publicUrl: string): boolean {
  return publicUrl.startsWith('https:');
}
