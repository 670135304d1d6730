/**
 * First start of a fresh install: the first user becomes the instance admin. Either
 * `ferry server --bootstrap-admin EMAIL` fixes the email, or a setup token lets whoever
 * holds it choose. The token is printed once at start (stored hashed), expires, and works
 * once; nothing is issued when users already exist.
 */
import { ConflictError, NotFoundError, ValidationError, newId } from '@ferry/core';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Resources } from '../resources.ts';
import { SECRET_PREFIXES, hashSecret, newSecret } from './secret-token.ts';
import { createUser, normalizeEmail, type UserRow } from './users.ts';

/** How long a setup token works. */
export const SETUP_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;

/** A freshly issued setup token and the link that uses it. */
export interface SetupLink {
  readonly token: string;
  readonly url: string;
  readonly email: string | null;
  readonly expiresAt: Date;
}

/**
 * Issues a one-time setup token when the install has no users yet (null otherwise). With
 * `email`, only that address can complete setup. Print `url` at start; it is not stored.
 */
export async function bootstrapAdmin(
  resources: Resources,
  email?: string,
): Promise<SetupLink | null> {
  const { db, clock, config } = resources;
  const existing = await db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  if (existing !== undefined) return null;
  const now = clock.now();
  const token = newSecret(SECRET_PREFIXES.setup);
  const expiresAt = new Date(now.getTime() + SETUP_TOKEN_TTL_MS);
  const fixedEmail = email === undefined ? null : normalizeEmail(email);
  await db
    .insertInto('setup_tokens')
    .values({
      id: newId('setup', now.getTime()),
      token_hash: hashSecret(token),
      email: fixedEmail,
      created_at: now,
      expires_at: expiresAt,
    })
    .execute();
  const base = config.publicUrl.replace(/\/+$/, '');
  return { token, url: `${base}/setup#token=${token}`, email: fixedEmail, expiresAt };
}

/** Uses a setup token to create the instance admin. */
export async function completeSetup(
  db: Kysely<Database>,
  input: { token: string; email?: string | undefined; name: string; password: string; now: Date },
): Promise<UserRow> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('setup_tokens')
      .set({ used_at: input.now })
      .where('token_hash', '=', hashSecret(input.token))
      .where('used_at', 'is', null)
      .where('expires_at', '>', input.now)
      .returning(['email'])
      .executeTakeFirst();
    if (row === undefined) throw new NotFoundError('This setup token is unknown, used or expired.');
    const email =
      row.email ?? (input.email === undefined ? undefined : normalizeEmail(input.email));
    if (email === undefined) {
      throw new ValidationError('This setup token needs an email for the admin.', {
        details: [{ path: 'body.email', message: 'is required for this setup token' }],
      });
    }
    if (input.email !== undefined && normalizeEmail(input.email) !== email) {
      throw new ConflictError('email_mismatch', 'This setup token is for a different email.');
    }
    const users = await trx.selectFrom('users').select('id').limit(1).executeTakeFirst();
    if (users !== undefined)
      throw new ConflictError('already_set_up', 'This install already has users.');
    return createUser(trx, {
      email,
      name: input.name,
      password: input.password,
      instanceAdmin: true,
      now: input.now,
    });
  });
}
