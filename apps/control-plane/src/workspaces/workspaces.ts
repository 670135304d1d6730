/**
 * Workspaces: creation (state Uninitialized), settings, listing what the caller can see,
 * state changes through the core state machine, and deletion — which revokes the
 * workspace's service accounts and every token issued to them.
 */
import {
  ConflictError,
  NotFoundError,
  newId,
  transitionWorkspace,
  type OrgRole,
  type WorkspaceRole,
  type WorkspaceState,
} from '@ferry/core';
import type { ComputeSpec, Workspace } from '@ferry/api';
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../db/database.ts';
import type { WorkspacesTable } from '../db/tables/index.ts';
import { decodeCursor, DEFAULT_PAGE_SIZE, toPage } from '../http/cursor.ts';
import { unendedClusters, WorkspaceHasClustersError } from '../compute/workspace-teardown.ts';

/** Idle timeout of a workspace that does not set one (minutes). */
export const DEFAULT_IDLE_TIMEOUT_MINUTES = 60;

/** A workspace's settings as given to create or update. */
export interface WorkspaceSettings {
  name?: string | undefined;
  description?: string | undefined;
  defaultCompute?: ComputeSpec | null | undefined;
  defaultIdleTimeoutMinutes?: number | undefined;
  labels?: Record<string, string> | undefined;
}

function toWorkspace(row: Selectable<WorkspacesTable>, role: WorkspaceRole | null): Workspace {
  return {
    id: row.id,
    orgId: row.org_id,
    name: row.name,
    description: row.description,
    state: row.state,
    defaultCompute: row.default_compute ?? null,
    defaultIdleTimeoutMinutes: row.default_idle_timeout_minutes,
    labels: row.labels,
    role,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}

const nameTaken = () =>
  new ConflictError('name_taken', 'A workspace with this name already exists in the organization.');

/** Creates a workspace; the creator becomes its admin. */
export async function createWorkspace(
  db: Kysely<Database>,
  input: {
    orgId: string;
    userId: string;
    orgRole: OrgRole;
    settings: WorkspaceSettings & { name: string };
    now: Date;
  },
): Promise<Workspace> {
  const s = input.settings;
  try {
    return await db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('workspaces')
        .values({
          id: newId('workspace', input.now.getTime()),
          org_id: input.orgId,
          name: s.name,
          description: s.description ?? '',
          state: 'Uninitialized',
          default_compute: JSON.stringify(s.defaultCompute ?? null),
          default_idle_timeout_minutes: s.defaultIdleTimeoutMinutes ?? DEFAULT_IDLE_TIMEOUT_MINUTES,
          labels: JSON.stringify(s.labels ?? {}),
          created_at: input.now,
          updated_at: input.now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('workspace_members')
        .values({
          workspace_id: row.id,
          user_id: input.userId,
          role: 'admin',
          created_at: input.now,
        })
        .execute();
      return toWorkspace(row, 'admin');
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken();
    throw err;
  }
}

/** Workspaces of the organization the user can see (all of them for org admins). */
export async function listWorkspaces(
  db: Kysely<Database>,
  input: {
    orgId: string;
    userId: string;
    orgRole: OrgRole;
    cursor?: string | undefined;
    limit?: number | undefined;
  },
): Promise<{ items: Workspace[]; nextCursor: string | null }> {
  const limit = input.limit ?? DEFAULT_PAGE_SIZE;
  let q = db
    .selectFrom('workspaces')
    .leftJoin('workspace_members', (j) =>
      j
        .onRef('workspace_members.workspace_id', '=', 'workspaces.id')
        .on('workspace_members.user_id', '=', input.userId),
    )
    .selectAll('workspaces')
    .select('workspace_members.role as member_role')
    .where('workspaces.org_id', '=', input.orgId)
    .where('workspaces.deleted_at', 'is', null);
  if (input.orgRole !== 'admin') q = q.where('workspace_members.role', 'is not', null);
  if (input.cursor !== undefined) q = q.where('workspaces.id', '>', decodeCursor(input.cursor));
  const rows = await q
    .orderBy('workspaces.id')
    .limit(limit + 1)
    .execute();
  return toPage(
    rows,
    limit,
    (r) => r.id,
    (r) => toWorkspace(r, input.orgRole === 'admin' ? 'admin' : r.member_role),
  );
}

/** One live workspace. */
export async function getWorkspace(
  db: Kysely<Database>,
  workspaceId: string,
  role: WorkspaceRole | null,
): Promise<Workspace> {
  const row = await db
    .selectFrom('workspaces')
    .selectAll()
    .where('id', '=', workspaceId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (row === undefined) throw new NotFoundError('No such workspace.');
  return toWorkspace(row, role);
}

/** Changes settings; only the given fields change. */
export async function updateWorkspace(
  db: Kysely<Database>,
  workspaceId: string,
  settings: WorkspaceSettings,
  role: WorkspaceRole | null,
  now: Date,
): Promise<Workspace> {
  const set: Record<string, unknown> = { updated_at: now };
  if (settings.name !== undefined) set.name = settings.name;
  if (settings.description !== undefined) set.description = settings.description;
  if (settings.defaultCompute !== undefined)
    set.default_compute = JSON.stringify(settings.defaultCompute);
  if (settings.defaultIdleTimeoutMinutes !== undefined)
    set.default_idle_timeout_minutes = settings.defaultIdleTimeoutMinutes;
  if (settings.labels !== undefined) set.labels = JSON.stringify(settings.labels);
  try {
    const row = await db
      .updateTable('workspaces')
      .set(set)
      .where('id', '=', workspaceId)
      .where('deleted_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) throw new NotFoundError('No such workspace.');
    return toWorkspace(row, role);
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken();
    throw err;
  }
}

/**
 * Moves a workspace to a new state, checked by the state machine under a row lock (for
 * the stack watcher and verifier of later work). Returns the new state.
 */
export async function setWorkspaceState(
  db: Kysely<Database>,
  workspaceId: string,
  to: Exclude<WorkspaceState, 'Deleted'>,
  now: Date,
): Promise<WorkspaceState> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('workspaces')
      .select('state')
      .where('id', '=', workspaceId)
      .forUpdate()
      .executeTakeFirst();
    if (row === undefined) throw new NotFoundError('No such workspace.');
    const next = transitionWorkspace(row.state, to);
    await trx
      .updateTable('workspaces')
      .set({ state: next, updated_at: now })
      .where('id', '=', workspaceId)
      .execute();
    return next;
  });
}

/**
 * Deletes a workspace: state Deleted, service accounts and their tokens revoked, its AWS
 * setup disconnected (so nothing assumes its roles again), in one transaction — refused
 * while a cluster of it is not Stopped or Failed (`stopComputeForDeletion` runs first;
 * after it stopped them, `clustersStopped` lets Stopping ones go).
 */
export async function deleteWorkspace(
  db: Kysely<Database>,
  workspaceId: string,
  now: Date,
  options: { readonly clustersStopped?: boolean } = {},
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('workspaces')
      .select('state')
      .where('id', '=', workspaceId)
      .where('deleted_at', 'is', null)
      .forUpdate()
      .executeTakeFirst();
    if (row === undefined) throw new NotFoundError('No such workspace.');
    // Again under the lock: a cluster started since the caller's check must not be orphaned.
    const clusters = await unendedClusters(trx, workspaceId, options.clustersStopped === true);
    if (clusters.length > 0) throw new WorkspaceHasClustersError(workspaceId, clusters);
    const state = transitionWorkspace(row.state, 'Deleted');
    await trx
      .updateTable('aws_setups')
      .set({
        status: 'disconnected',
        reason: 'The workspace was deleted: ferry no longer assumes its roles.',
        updated_at: now,
      })
      .where('workspace_id', '=', workspaceId)
      .execute();
    await trx
      .updateTable('workspaces')
      .set({ state, deleted_at: now, updated_at: now })
      .where('id', '=', workspaceId)
      .execute();
    await trx
      .updateTable('service_accounts')
      .set({ revoked_at: now })
      .where('workspace_id', '=', workspaceId)
      .where('revoked_at', 'is', null)
      .execute();
    await trx
      .updateTable('api_tokens')
      .set({ revoked_at: now })
      .where('workspace_id', '=', workspaceId)
      .where('revoked_at', 'is', null)
      .execute();
    await trx.deleteFrom('workspace_members').where('workspace_id', '=', workspaceId).execute();
  });
}
