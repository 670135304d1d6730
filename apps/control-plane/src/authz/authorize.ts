/**
 * The one place that decides whether a caller may act on a scope. Anything outside the
 * caller's organizations and workspaces answers 404 — exactly like an id that does not
 * exist — so ids cannot be probed; a visible resource without the permission answers 403.
 */
import {
  ForbiddenError,
  NotFoundError,
  SERVICE_ACCOUNT_PERMISSIONS,
  assertNever,
  effectiveWorkspaceRole,
  isOrgPermission,
  orgRoleAllows,
  workspaceRoleAllows,
  type OrgRole,
  type Permission,
  type WorkspaceRole,
  type WorkspaceState,
} from '@ferry/core';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Principal } from '../identity/principal.ts';
import type { RouteScope } from './route-scope.ts';

/** What authorization resolved: the scope's ids and the caller's roles on them. */
export interface Access {
  readonly orgId: string | null;
  readonly workspaceId: string | null;
  readonly workspaceState: WorkspaceState | null;
  /** The caller's organization role (null for service accounts and unscoped routes). */
  readonly orgRole: OrgRole | null;
  /** The caller's effective workspace role (org admins are workspace admins). */
  readonly workspaceRole: WorkspaceRole | null;
}

const NONE: Access = {
  orgId: null,
  workspaceId: null,
  workspaceState: null,
  orgRole: null,
  workspaceRole: null,
};

function scopesAllow(principal: Principal, permission: Permission): boolean {
  return principal.scopes === null || principal.scopes.includes(permission);
}

function deny(permission: Permission): never {
  throw new ForbiddenError(`Missing permission ${permission}.`);
}

/** The caller's role in an organization, if a member. */
export async function orgRoleOf(
  db: Kysely<Database>,
  orgId: string,
  userId: string,
): Promise<OrgRole | undefined> {
  const row = await db
    .selectFrom('org_members')
    .innerJoin('orgs', 'orgs.id', 'org_members.org_id')
    .select('org_members.role')
    .where('org_members.org_id', '=', orgId)
    .where('org_members.user_id', '=', userId)
    .where('orgs.deleted_at', 'is', null)
    .executeTakeFirst();
  return row?.role;
}

/** Resolves the scope and checks the permission; throws NotFoundError or ForbiddenError. */
export async function authorize(
  db: Kysely<Database>,
  principal: Principal,
  permission: Permission | null,
  scope: RouteScope,
  params: Readonly<Record<string, unknown>>,
): Promise<Access> {
  const access = await resolveAccess(db, principal, scope, params);
  checkPermission(principal, access, scope, permission);
  return access;
}

/**
 * Resolves what the scope's ids point to and the caller's roles there. Anything the caller
 * cannot see throws NotFoundError, exactly as for an id that does not exist.
 */
export async function resolveAccess(
  db: Kysely<Database>,
  principal: Principal,
  scope: RouteScope,
  params: Readonly<Record<string, unknown>>,
): Promise<Access> {
  switch (scope.kind) {
    case 'none':
    case 'instance':
      return NONE;
    case 'org':
      return resolveOrg(db, principal, String(params[scope.param]));
    case 'workspace':
      return resolveWorkspace(db, principal, String(params[scope.param]));
    default:
      return assertNever(scope, 'route scope');
  }
}

/** Checks a permission on resolved access; throws ForbiddenError. */
export function checkPermission(
  principal: Principal,
  access: Access,
  scope: RouteScope,
  permission: Permission | null,
): void {
  if (scope.kind === 'instance' && (principal.kind !== 'user' || !principal.instanceAdmin)) {
    deny(permission ?? 'users:manage');
  }
  if (permission === null) return;
  if (!scopesAllow(principal, permission)) deny(permission);
  switch (scope.kind) {
    case 'none':
    case 'instance':
      return;
    case 'org': {
      const role = access.orgRole;
      // A workspace permission over a whole organization: its admins only.
      const allowed =
        role !== null &&
        (isOrgPermission(permission) ? orgRoleAllows(role, permission) : role === 'admin');
      if (!allowed) deny(permission);
      return;
    }
    case 'workspace': {
      if (principal.kind === 'service-account') {
        if (!(SERVICE_ACCOUNT_PERMISSIONS as readonly string[]).includes(permission))
          deny(permission);
        return;
      }
      const allowed = isOrgPermission(permission)
        ? access.orgRole !== null && orgRoleAllows(access.orgRole, permission)
        : access.workspaceRole !== null && workspaceRoleAllows(access.workspaceRole, permission);
      if (!allowed) deny(permission);
      return;
    }
    default:
      assertNever(scope, 'route scope');
  }
}

async function resolveOrg(
  db: Kysely<Database>,
  principal: Principal,
  orgId: string,
): Promise<Access> {
  // A service account lives in one workspace; organizations are outside its world.
  if (principal.kind !== 'user') throw new NotFoundError('No such organization.');
  const role = await orgRoleOf(db, orgId, principal.userId);
  if (role === undefined) throw new NotFoundError('No such organization.');
  return { ...NONE, orgId, orgRole: role };
}

async function resolveWorkspace(
  db: Kysely<Database>,
  principal: Principal,
  workspaceId: string,
): Promise<Access> {
  const ws = await db
    .selectFrom('workspaces')
    .innerJoin('orgs', 'orgs.id', 'workspaces.org_id')
    .select(['workspaces.id', 'workspaces.org_id', 'workspaces.state'])
    .where('workspaces.id', '=', workspaceId)
    .where('workspaces.deleted_at', 'is', null)
    .where('orgs.deleted_at', 'is', null)
    .executeTakeFirst();
  if (ws === undefined) throw new NotFoundError('No such workspace.');
  const base = { orgId: ws.org_id, workspaceId: ws.id, workspaceState: ws.state };
  if (principal.kind === 'service-account') {
    if (principal.workspaceId !== ws.id) throw new NotFoundError('No such workspace.');
    return { ...base, orgRole: null, workspaceRole: null };
  }
  const orgRole = await orgRoleOf(db, ws.org_id, principal.userId);
  const member = await db
    .selectFrom('workspace_members')
    .select('role')
    .where('workspace_id', '=', ws.id)
    .where('user_id', '=', principal.userId)
    .executeTakeFirst();
  const role = effectiveWorkspaceRole(orgRole, member?.role);
  if (role === undefined || orgRole === undefined) throw new NotFoundError('No such workspace.');
  return { ...base, orgRole, workspaceRole: role };
}
