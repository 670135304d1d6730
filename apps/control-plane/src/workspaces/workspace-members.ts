/**
 * Workspace membership. Only members of the workspace's organization can be added;
 * organization admins are listed as admins of every workspace without a row of their own.
 */
import { ConflictError, NotFoundError, type WorkspaceRole } from '@ferry/core';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { decodeCursor, DEFAULT_PAGE_SIZE, toPage } from '../http/cursor.ts';

/** A workspace member as the API shows it. */
export interface WorkspaceMember {
  userId: string;
  email: string;
  name: string;
  role: WorkspaceRole;
  viaOrgAdmin: boolean;
}

function baseQuery(db: Kysely<Database>, orgId: string, workspaceId: string) {
  return db
    .selectFrom('org_members')
    .innerJoin('users', 'users.id', 'org_members.user_id')
    .leftJoin('workspace_members', (j) =>
      j
        .onRef('workspace_members.user_id', '=', 'org_members.user_id')
        .on('workspace_members.workspace_id', '=', workspaceId),
    )
    .select([
      'users.id',
      'users.email',
      'users.name',
      'org_members.role as org_role',
      'workspace_members.role as ws_role',
    ])
    .where('org_members.org_id', '=', orgId)
    .where((eb) =>
      eb.or([eb('org_members.role', '=', 'admin'), eb('workspace_members.role', 'is not', null)]),
    );
}

function toMember(r: {
  id: string;
  email: string;
  name: string;
  org_role: string;
  ws_role: WorkspaceRole | null;
}): WorkspaceMember {
  const viaOrgAdmin = r.org_role === 'admin';
  return {
    userId: r.id,
    email: r.email,
    name: r.name,
    role: viaOrgAdmin ? 'admin' : (r.ws_role ?? 'member'),
    viaOrgAdmin,
  };
}

/** Members of a workspace (org admins included), one page at a time. */
export async function listWorkspaceMembers(
  db: Kysely<Database>,
  orgId: string,
  workspaceId: string,
  page: { cursor?: string | undefined; limit?: number | undefined },
): Promise<{ items: WorkspaceMember[]; nextCursor: string | null }> {
  const limit = page.limit ?? DEFAULT_PAGE_SIZE;
  let q = baseQuery(db, orgId, workspaceId);
  if (page.cursor !== undefined) q = q.where('users.id', '>', decodeCursor(page.cursor));
  const rows = await q
    .orderBy('users.id')
    .limit(limit + 1)
    .execute();
  return toPage(rows, limit, (r) => r.id, toMember);
}

/** Adds an organization member to the workspace or changes their role. */
export async function setWorkspaceMember(
  db: Kysely<Database>,
  input: { orgId: string; workspaceId: string; userId: string; role: WorkspaceRole; now: Date },
): Promise<WorkspaceMember> {
  const inOrg = await db
    .selectFrom('org_members')
    .select('user_id')
    .where('org_id', '=', input.orgId)
    .where('user_id', '=', input.userId)
    .executeTakeFirst();
  // Users outside the organization are invisible here, like every foreign id.
  if (inOrg === undefined) throw new NotFoundError('No such member of this organization.');
  await db
    .insertInto('workspace_members')
    .values({
      workspace_id: input.workspaceId,
      user_id: input.userId,
      role: input.role,
      created_at: input.now,
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'user_id']).doUpdateSet({ role: input.role }))
    .execute();
  const row = await baseQuery(db, input.orgId, input.workspaceId)
    .where('users.id', '=', input.userId)
    .executeTakeFirst();
  if (row === undefined) throw new NotFoundError('No such member.');
  return toMember(row);
}

/** Removes a member from the workspace (org admins keep access through their org role). */
export async function removeWorkspaceMember(
  db: Kysely<Database>,
  workspaceId: string,
  userId: string,
): Promise<void> {
  const result = await db
    .deleteFrom('workspace_members')
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (result.numDeletedRows === 0n) {
    throw new NotFoundError('No such workspace member.');
  }
}

/** Refuses changes to a workspace that is not live. */
export function assertLive(state: string | null): void {
  if (state === 'Deleted')
    throw new ConflictError('workspace_deleted', 'The workspace is deleted.');
}
