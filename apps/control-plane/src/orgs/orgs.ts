/** Organizations: create, list, rename, delete. */
import { ConflictError, NotFoundError, newId, type OrgRole } from '@ferry/core';
import type { Org } from '@ferry/api';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { decodeCursor, DEFAULT_PAGE_SIZE, toPage } from '../http/cursor.ts';

interface OrgRow {
  id: string;
  name: string;
  created_at: Date;
  updated_at: Date;
}

function toOrg(row: OrgRow, role: OrgRole | null): Org {
  return {
    id: row.id,
    name: row.name,
    role,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Creates an organization with the user as its first admin. */
export async function createOrg(
  db: Kysely<Database>,
  userId: string,
  name: string,
  now: Date,
): Promise<Org> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('orgs')
      .values({ id: newId('org', now.getTime()), name, created_at: now, updated_at: now })
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('org_members')
      .values({ org_id: row.id, user_id: userId, role: 'admin', created_at: now })
      .execute();
    return toOrg(row, 'admin');
  });
}

/** The user's organizations, one page at a time. */
export async function listOrgs(
  db: Kysely<Database>,
  userId: string,
  page: { cursor?: string | undefined; limit?: number | undefined },
): Promise<{ items: Org[]; nextCursor: string | null }> {
  const limit = page.limit ?? DEFAULT_PAGE_SIZE;
  let q = db
    .selectFrom('orgs')
    .innerJoin('org_members', 'org_members.org_id', 'orgs.id')
    .select(['orgs.id', 'orgs.name', 'orgs.created_at', 'orgs.updated_at', 'org_members.role'])
    .where('org_members.user_id', '=', userId)
    .where('orgs.deleted_at', 'is', null);
  if (page.cursor !== undefined) q = q.where('orgs.id', '>', decodeCursor(page.cursor));
  const rows = await q
    .orderBy('orgs.id')
    .limit(limit + 1)
    .execute();
  return toPage(
    rows,
    limit,
    (r) => r.id,
    (r) => toOrg(r, r.role),
  );
}

/** One organization (authorization already established visibility). */
export async function getOrg(
  db: Kysely<Database>,
  orgId: string,
  role: OrgRole | null,
): Promise<Org> {
  const row = await db
    .selectFrom('orgs')
    .selectAll()
    .where('id', '=', orgId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (row === undefined) throw new NotFoundError('No such organization.');
  return toOrg(row, role);
}

/** Renames an organization. */
export async function renameOrg(
  db: Kysely<Database>,
  orgId: string,
  name: string,
  role: OrgRole | null,
  now: Date,
): Promise<Org> {
  const row = await db
    .updateTable('orgs')
    .set({ name, updated_at: now })
    .where('id', '=', orgId)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (row === undefined) throw new NotFoundError('No such organization.');
  return toOrg(row, role);
}

/** Deletes an organization; refused while it has live workspaces. */
export async function deleteOrg(db: Kysely<Database>, orgId: string, now: Date): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.selectFrom('orgs').select('id').where('id', '=', orgId).forUpdate().execute();
    const live = await trx
      .selectFrom('workspaces')
      .select('id')
      .where('org_id', '=', orgId)
      .where('deleted_at', 'is', null)
      .limit(1)
      .executeTakeFirst();
    if (live !== undefined) {
      throw new ConflictError('org_not_empty', 'Delete the organization’s workspaces first.');
    }
    await trx
      .updateTable('orgs')
      .set({ deleted_at: now, updated_at: now })
      .where('id', '=', orgId)
      .execute();
    await trx
      .updateTable('invitations')
      .set({ revoked_at: now })
      .where('org_id', '=', orgId)
      .where('accepted_at', 'is', null)
      .where('revoked_at', 'is', null)
      .execute();
  });
}
