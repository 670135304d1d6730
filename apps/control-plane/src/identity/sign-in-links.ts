/**
 * One-time sign-in links. A link's token is stored like a session (hash only) but with its
 * own prefix and a short life; it never works as the cookie. Claiming it revokes it and
 * starts a fresh session, so a link signs in once.
 */
import { NotFoundError, newId } from '@ferry/core';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Resources } from '../resources.ts';
import { SECRET_PREFIXES, hashSecret, newSecret } from './secret-token.ts';
import { createSession } from './sessions.ts';
import { findUserByEmail } from './users.ts';

/** How long a sign-in link works. */
export const SIGN_IN_LINK_TTL_MS = 15 * 60 * 1000;

/** A freshly issued sign-in link. */
export interface SignInLink {
  readonly url: string;
  readonly expiresAt: Date;
}

/** Issues a one-time sign-in link for the user with this email (print it; it is not stored). */
export async function issueSignInLink(resources: Resources, email: string): Promise<SignInLink> {
  const { db, clock, config } = resources;
  const user = await findUserByEmail(db, email);
  if (user === undefined) throw new NotFoundError(`No user has the email ${email}.`);
  const now = clock.now();
  const token = newSecret(SECRET_PREFIXES.signInLink);
  const expiresAt = new Date(now.getTime() + SIGN_IN_LINK_TTL_MS);
  await db
    .insertInto('sessions')
    .values({
      id: newId('session', now.getTime()),
      user_id: user.id,
      token_hash: hashSecret(token),
      created_at: now,
      expires_at: expiresAt,
    })
    .execute();
  const base = config.publicUrl.replace(/\/+$/, '');
  return { url: `${base}/sign-in-link#token=${token}`, expiresAt };
}

/** Spends a sign-in link: the user it was for and a new session, or a 404 when unusable. */
export async function claimSignInLink(
  db: Kysely<Database>,
  token: string,
  now: Date,
): Promise<{ userId: string; session: { id: string; token: string; expiresAt: Date } }> {
  if (!token.startsWith(SECRET_PREFIXES.signInLink)) {
    throw new NotFoundError('This sign-in link is unknown, used or expired.');
  }
  const spent = await db
    .updateTable('sessions')
    .set({ revoked_at: now })
    .where('token_hash', '=', hashSecret(token))
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .returning(['user_id'])
    .executeTakeFirst();
  if (spent === undefined) {
    throw new NotFoundError('This sign-in link is unknown, used or expired.');
  }
  const session = await createSession(db, spent.user_id, now);
  return { userId: spent.user_id, session };
}
