/**
 * Organization membership. An organization always keeps at least one admin: the last admin
 * can be neither demoted, removed, nor leave. Changes lock the organization row first, so
 * two admins demoting each other at once cannot both succeed.
 */
import { LastAdminError, NotFoundError, type OrgRole } from '@ferry/core';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/database.ts';
import { decodeCursor, DEFAULT_PAGE_SIZE, toPage } from '../http/cursor.ts';

/** A member as the API shows it. */
export interface OrgMember {
  userId: string;
  email: string;
  name: string;
  role: OrgRole;
  joinedAt: string;
}

async function lockOrg(trx: Transaction<Database>, orgId: string): Promise<void> {
  await trx.selectFrom('orgs').select('id').where('id', '=', orgId).forUpdate().execute();
}

async function adminCount(trx: Transaction<Database>, orgId: string): Promise<number> {
  const rows = await trx
    .selectFrom('org_members')
    .select('user_id')
    .where('org_id', '=', orgId)
    .where('role', '=', 'admin')
    .execute();
  return rows.length;
}

async function memberOrThrow(
  trx: Transaction<Database>,
  orgId: string,
  userId: string,
): Promise<OrgRole> {
  const row = await trx
    .selectFrom('org_members')
    .select('role')
    .where('org_id', '=', orgId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (row === undefined) throw new NotFoundError('No such member.');
  return row.role;
}

async function getMember(db: Kysely<Database>, orgId: string, userId: string): Promise<OrgMember> {
  const row = await db
    .selectFrom('org_members')
    .innerJoin('users', 'users.id', 'org_members.user_id')
    .select(['users.id', 'users.email', 'users.name', 'org_members.role', 'org_members.created_at'])
    .where('org_members.org_id', '=', orgId)
    .where('org_members.user_id', '=', userId)
    .executeTakeFirst();
  if (row === undefined) throw new NotFoundError('No such member.');
  return {
    userId: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    joinedAt: row.created_at.toISOString(),
  };
}

/** Members of an organization, one page at a time. */
export async function listOrgMembers(
  db: Kysely<Database>,
  orgId: string,
  page: { cursor?: string | undefined; limit?: number | undefined },
): Promise<{ items: OrgMember[]; nextCursor: string | null }> {
  const limit = page.limit ?? DEFAULT_PAGE_SIZE;
  let q = db
    .selectFrom('org_members')
    .innerJoin('users', 'users.id', 'org_members.user_id')
    .select(['users.id', 'users.email', 'users.name', 'org_members.role', 'org_members.created_at'])
    .where('org_members.org_id', '=', orgId);
  if (page.cursor !== undefined) q = q.where('users.id', '>', decodeCursor(page.cursor));
  const rows = await q
    .orderBy('users.id')
    .limit(limit + 1)
    .execute();
  return toPage(
    rows,
    limit,
    (r) => r.id,
    (r) => ({
      userId: r.id,
      email: r.email,
      name: r.name,
      role: r.role,
      joinedAt: r.created_at.toISOString(),
    }),
  );
}

/** Changes a member's role; demoting the last admin is a 409 `last_admin`. */
export async function setOrgMemberRole(
  db: Kysely<Database>,
  orgId: string,
  userId: string,
  role: OrgRole,
): Promise<OrgMember> {
  await db.transaction().execute(async (trx) => {
    await lockOrg(trx, orgId);
    const current = await memberOrThrow(trx, orgId, userId);
    if (current === 'admin' && role !== 'admin' && (await adminCount(trx, orgId)) <= 1)
      throw new LastAdminError();
    await trx
      .updateTable('org_members')
      .set({ role })
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .execute();
  });
  return getMember(db, orgId, userId);
}

/**
 * Removes a member (also from every workspace of the organization); removing the last
 * admin — including the last admin leaving — is a 409 `last_admin`.
 */
export async function removeOrgMember(
  db: Kysely<Database>,
  orgId: string,
  userId: string,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await lockOrg(trx, orgId);
    const current = await memberOrThrow(trx, orgId, userId);
    if (current === 'admin' && (await adminCount(trx, orgId)) <= 1) {
      throw new LastAdminError(
        'The last admin of an organization cannot leave or be removed: promote another member first.',
      );
    }
    const workspaceIds = trx.selectFrom('workspaces').select('id').where('org_id', '=', orgId);
    await trx
      .deleteFrom('workspace_members')
      .where('user_id', '=', userId)
      .where('workspace_id', 'in', workspaceIds)
      .execute();
    await trx
      .deleteFrom('org_members')
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .execute();
  });
}

/** Adds a member (used by invitations); an existing member keeps the higher role. */
export async function addOrgMember(
  trx: Kysely<Database>,
  orgId: string,
  userId: string,
  role: OrgRole,
  now: Date,
): Promise<OrgRole> {
  const existing = await trx
    .selectFrom('org_members')
    .select('role')
    .where('org_id', '=', orgId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (existing === undefined) {
    await trx
      .insertInto('org_members')
      .values({ org_id: orgId, user_id: userId, role, created_at: now })
      .execute();
    return role;
  }
  if (existing.role === 'member' && role === 'admin') {
    await trx
      .updateTable('org_members')
      .set({ role })
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .execute();
    return role;
  }
  return existing.role;
}
