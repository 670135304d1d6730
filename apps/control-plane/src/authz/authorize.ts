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
import { lookUpScope, scopeTargetOf, type ScopeFacts } from './scope-lookup.ts';

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
  const target = scopeTargetOf(scope, params);
  if (target === undefined) return NONE;
  const facts = await lookUpScope(db, target, principal.kind === 'user' ? principal.userId : null);
  return accessFrom(principal, facts);
}

/**
 * The access the looked-up facts give the caller (see scope-lookup.ts); throws NotFoundError
 * for anything the caller cannot see.
 */
export function accessFrom(principal: Principal, facts: ScopeFacts): Access {
  const { target } = facts;
  if (target.kind === 'org') {
    // A service account lives in one workspace; organizations are outside its world.
    if (principal.kind !== 'user' || facts.orgRole === null)
      throw new NotFoundError('No such organization.');
    return { ...NONE, orgId: target.id, orgRole: facts.orgRole };
  }
  const ws = facts.workspace;
  if (ws === null) throw new NotFoundError('No such workspace.');
  const base = { orgId: ws.orgId, workspaceId: target.id, workspaceState: ws.state };
  if (principal.kind === 'service-account') {
    if (principal.workspaceId !== target.id) throw new NotFoundError('No such workspace.');
    return { ...base, orgRole: null, workspaceRole: null };
  }
  const orgRole = facts.orgRole ?? undefined;
  const role = effectiveWorkspaceRole(orgRole, facts.workspaceMemberRole ?? undefined);
  if (role === undefined || orgRole === undefined) throw new NotFoundError('No such workspace.');
  return { ...base, orgRole, workspaceRole: role };
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

/** Whether the caller holds a permission on resolved access (its scopes and its role). */
export function allows(
  principal: Principal,
  access: Access,
  scope: RouteScope,
  permission: Permission,
): boolean {
  try {
    checkPermission(principal, access, scope, permission);
    return true;
  } catch (e) {
    if (e instanceof ForbiddenError) return false;
    throw e;
  }
}
