/**
 * Dashboard sessions. The cookie carries a random token (HttpOnly, SameSite=Lax, Secure
 * when the public URL is https); the database keeps only its hash. Cookie-authenticated
 * mutations must echo a CSRF token in `x-csrf-token`: it is derived from the session token,
 * so only a page that was handed it at login (a same-origin page) can know it.
 */
import { createHash } from 'node:crypto';
import { newId } from '@ferry/core';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { SECRET_PREFIXES, hashSecret, newSecret, safeEqual } from './secret-token.ts';

/** Name of the session cookie. */
export const SESSION_COOKIE = 'ferry_session';
/** Header carrying the CSRF token on cookie-authenticated mutations. */
export const CSRF_HEADER = 'x-csrf-token';
/** How long a session lasts. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** The CSRF token bound to a session token. */
export function csrfTokenFor(sessionToken: string): string {
  return createHash('sha256').update(`ferry-csrf:${sessionToken}`).digest('base64url');
}

/** True when `given` is the CSRF token of the session. */
export function verifyCsrfToken(sessionToken: string, given: string | undefined): boolean {
  return given !== undefined && safeEqual(csrfTokenFor(sessionToken), given);
}

/** Starts a session; returns the cookie token (only its hash is stored). */
export async function createSession(
  db: Kysely<Database>,
  userId: string,
  now: Date,
): Promise<{ id: string; token: string; expiresAt: Date }> {
  const token = newSecret(SECRET_PREFIXES.session);
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
  const id = newId('session', now.getTime());
  await db
    .insertInto('sessions')
    .values({
      id,
      user_id: userId,
      token_hash: hashSecret(token),
      created_at: now,
      expires_at: expiresAt,
    })
    .execute();
  return { id, token, expiresAt };
}

/** Ends a session. */
export async function revokeSession(
  db: Kysely<Database>,
  sessionId: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ revoked_at: now })
    .where('id', '=', sessionId)
    .where('revoked_at', 'is', null)
    .execute();
}

/** The `Set-Cookie` value for a session (or, with `token` null, one that clears it). */
export function sessionCookie(
  token: string | null,
  options: { secure: boolean; maxAgeSeconds: number },
): string {
  const parts = [
    `${SESSION_COOKIE}=${token ?? ''}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${token === null ? 0 : options.maxAgeSeconds}`,
  ];
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

/** Reads one cookie from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
