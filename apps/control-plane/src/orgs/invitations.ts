/**
 * Invitations by link: the inviter gets a single-use token (stored hashed) to pass on; the
 * invitee — signed in with the invited email — accepts it once, before it expires.
 */
import { ConflictError, NotFoundError, newId, type OrgRole } from '@ferry/core';
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../db/database.ts';
import type { InvitationsTable } from '../db/tables/index.ts';
import { decodeCursor, DEFAULT_PAGE_SIZE, toPage } from '../http/cursor.ts';
import { SECRET_PREFIXES, hashSecret, newSecret } from '../identity/secret-token.ts';
import { normalizeEmail } from '../identity/users.ts';
import { addOrgMember } from './org-members.ts';

/** Default lifetime of an invitation. */
export const INVITATION_TTL_DAYS = 7;

/** An invitation as the API shows it. */
export interface Invitation {
  id: string;
  orgId: string;
  email: string;
  role: OrgRole;
  createdAt: string;
  expiresAt: string;
  acceptedAt: string | null;
  revokedAt: string | null;
}

function toInvitation(row: Selectable<InvitationsTable>): Invitation {
  return {
    id: row.id,
    orgId: row.org_id,
    email: row.email,
    role: row.role,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    acceptedAt: row.accepted_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
  };
}

/** Creates an invitation; the token is returned once, with the link to share. */
export async function createInvitation(
  db: Kysely<Database>,
  input: {
    orgId: string;
    email: string;
    role: OrgRole;
    invitedBy: string;
    expiresInDays?: number | undefined;
    publicUrl: string;
    now: Date;
  },
): Promise<{ invitation: Invitation; token: string; url: string }> {
  const token = newSecret(SECRET_PREFIXES.invitation);
  const days = input.expiresInDays ?? INVITATION_TTL_DAYS;
  const row = await db
    .insertInto('invitations')
    .values({
      id: newId('invitation', input.now.getTime()),
      org_id: input.orgId,
      email: normalizeEmail(input.email),
      role: input.role,
      token_hash: hashSecret(token),
      invited_by: input.invitedBy,
      created_at: input.now,
      expires_at: new Date(input.now.getTime() + days * 86_400_000),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const url = `${input.publicUrl.replace(/\/+$/, '')}/invitations#token=${token}`;
  return { invitation: toInvitation(row), token, url };
}

/** An organization's invitations, one page at a time. */
export async function listInvitations(
  db: Kysely<Database>,
  orgId: string,
  page: { cursor?: string | undefined; limit?: number | undefined },
): Promise<{ items: Invitation[]; nextCursor: string | null }> {
  const limit = page.limit ?? DEFAULT_PAGE_SIZE;
  let q = db.selectFrom('invitations').selectAll().where('org_id', '=', orgId);
  if (page.cursor !== undefined) q = q.where('id', '>', decodeCursor(page.cursor));
  const rows = await q
    .orderBy('id')
    .limit(limit + 1)
    .execute();
  return toPage(rows, limit, (r) => r.id, toInvitation);
}

/** Revokes a pending invitation of the organization. */
export async function revokeInvitation(
  db: Kysely<Database>,
  orgId: string,
  invitationId: string,
  now: Date,
): Promise<void> {
  const row = await db
    .selectFrom('invitations')
    .select(['accepted_at', 'revoked_at'])
    .where('id', '=', invitationId)
    .where('org_id', '=', orgId)
    .executeTakeFirst();
  if (row === undefined) throw new NotFoundError('No such invitation.');
  if (row.accepted_at !== null)
    throw new ConflictError('invitation_accepted', 'This invitation was already accepted.');
  if (row.revoked_at === null) {
    await db
      .updateTable('invitations')
      .set({ revoked_at: now })
      .where('id', '=', invitationId)
      .execute();
  }
}

/** The email an unused, unexpired invitation token was sent to (for sign-up). */
export async function invitationEmail(
  db: Kysely<Database>,
  token: string,
  now: Date,
): Promise<string> {
  const row = await db
    .selectFrom('invitations')
    .innerJoin('orgs', 'orgs.id', 'invitations.org_id')
    .select('invitations.email')
    .where('invitations.token_hash', '=', hashSecret(token))
    .where('invitations.accepted_at', 'is', null)
    .where('invitations.revoked_at', 'is', null)
    .where('invitations.expires_at', '>', now)
    .where('orgs.deleted_at', 'is', null)
    .executeTakeFirst();
  if (row === undefined)
    throw new NotFoundError('This invitation is unknown, used, revoked or expired.');
  return row.email;
}

/**
 * Accepts an invitation for the user, atomically: a token works once. The invitation must
 * be addressed to the user's email.
 */
export async function acceptInvitation(
  db: Kysely<Database>,
  input: { token: string; userId: string; email: string; now: Date },
): Promise<{ orgId: string; role: OrgRole }> {
  return db.transaction().execute((trx) => acceptInvitationWith(trx, input));
}

/** {@link acceptInvitation} inside the caller's transaction (sign-up creates the user in it). */
export async function acceptInvitationWith(
  trx: Kysely<Database>,
  input: { token: string; userId: string; email: string; now: Date },
): Promise<{ orgId: string; role: OrgRole }> {
  {
    const row = await trx
      .selectFrom('invitations')
      .innerJoin('orgs', 'orgs.id', 'invitations.org_id')
      .select(['invitations.id', 'invitations.org_id', 'invitations.email', 'invitations.role'])
      .where('invitations.token_hash', '=', hashSecret(input.token))
      .where('invitations.accepted_at', 'is', null)
      .where('invitations.revoked_at', 'is', null)
      .where('invitations.expires_at', '>', input.now)
      .where('orgs.deleted_at', 'is', null)
      .forUpdate('invitations')
      .executeTakeFirst();
    if (row === undefined)
      throw new NotFoundError('This invitation is unknown, used, revoked or expired.');
    if (row.email !== normalizeEmail(input.email)) {
      throw new ConflictError(
        'invitation_email_mismatch',
        'This invitation is addressed to a different email.',
      );
    }
    const claimed = await trx
      .updateTable('invitations')
      .set({ accepted_at: input.now, accepted_by: input.userId })
      .where('id', '=', row.id)
      .where('accepted_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (claimed === undefined)
      throw new NotFoundError('This invitation is unknown, used, revoked or expired.');
    const role = await addOrgMember(trx, row.org_id, input.userId, row.role, input.now);
    return { orgId: row.org_id, role };
  }
}
