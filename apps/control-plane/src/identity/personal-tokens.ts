/**
 * Personal access tokens (`ferry_pat_…`): shown once, stored as SHA-256, expiring,
 * revocable, and limited to the scopes chosen at creation (never more than the owner's roles).
 */
import { NotFoundError, newId, type Permission } from '@ferry/core';
import type { PersonalToken } from '@ferry/api';
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../db/database.ts';
import type { ApiTokensTable } from '../db/tables/index.ts';
import { SECRET_PREFIXES, hashSecret, newSecret } from './secret-token.ts';

/** The API view of a personal token. */
export function toPersonalToken(row: Selectable<ApiTokensTable>): PersonalToken {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes as Permission[],
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
  };
}

/** Creates a token for the user; the secret is returned once. */
export async function createPersonalToken(
  db: Kysely<Database>,
  input: {
    userId: string;
    name: string;
    scopes: readonly Permission[];
    expiresInDays: number;
    now: Date;
  },
): Promise<{ token: PersonalToken; secret: string }> {
  const secret = newSecret(SECRET_PREFIXES.personalToken);
  const row = await db
    .insertInto('api_tokens')
    .values({
      id: newId('token', input.now.getTime()),
      kind: 'personal',
      user_id: input.userId,
      service_account_id: null,
      workspace_id: null,
      name: input.name,
      token_hash: hashSecret(secret),
      scopes: JSON.stringify(input.scopes),
      created_at: input.now,
      expires_at: new Date(input.now.getTime() + input.expiresInDays * 86_400_000),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { token: toPersonalToken(row), secret };
}

/** Revokes one of the user's tokens; someone else's token is not found. */
export async function revokePersonalToken(
  db: Kysely<Database>,
  userId: string,
  tokenId: string,
  now: Date,
): Promise<void> {
  const row = await db
    .selectFrom('api_tokens')
    .select(['id', 'revoked_at'])
    .where('id', '=', tokenId)
    .where('kind', '=', 'personal')
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (row === undefined) throw new NotFoundError('No such token.');
  if (row.revoked_at === null) {
    await db.updateTable('api_tokens').set({ revoked_at: now }).where('id', '=', tokenId).execute();
  }
}
