/**
 * Roles and the permission matrix. A principal's permissions on a scope come from its
 * organization role and, inside a workspace, from its workspace role; an organization admin
 * is an admin of every workspace in the organization.
 */

/** Roles within an organization. */
export const ORG_ROLES = ['admin', 'member'] as const;
/** A role within an organization. */
export type OrgRole = (typeof ORG_ROLES)[number];

/** Roles within a workspace. */
export const WORKSPACE_ROLES = ['admin', 'member'] as const;
/** A role within a workspace. */
export type WorkspaceRole = (typeof WORKSPACE_ROLES)[number];

/** Permissions on an organization. */
export const ORG_PERMISSIONS = [
  'org:read',
  'org:manage',
  'members:manage',
  'audit:read',
  'workspace:create',
] as const;

/** Permissions on a workspace. */
export const WORKSPACE_PERMISSIONS = [
  'workspace:read',
  'workspace:manage',
  'workspace:members:manage',
  'service-accounts:manage',
  'compute:read',
  'compute:start',
  'connections:read',
  'connections:manage',
  'connections:use',
  'queries:run',
] as const;

/** Permissions on the whole installation, held by instance admins only. */
export const INSTANCE_PERMISSIONS = ['users:manage'] as const;

/**
 * Permissions on one's own account, held by every user: reading it (profile, organizations,
 * tokens), managing it (revoking tokens, accepting invitations) and creating organizations.
 * They exist so that a scoped token can be refused them.
 */
export const ACCOUNT_PERMISSIONS = ['account:read', 'account:manage', 'orgs:create'] as const;

/** Every permission a route may require. */
export const PERMISSIONS = [
  ...ACCOUNT_PERMISSIONS,
  ...INSTANCE_PERMISSIONS,
  ...ORG_PERMISSIONS,
  ...WORKSPACE_PERMISSIONS,
] as const;
/** A permission. */
export type Permission = (typeof PERMISSIONS)[number];
/** A permission on an organization. */
export type OrgPermission = (typeof ORG_PERMISSIONS)[number];
/** A permission on a workspace. */
export type WorkspacePermission = (typeof WORKSPACE_PERMISSIONS)[number];
/** A permission on the installation. */
export type InstancePermission = (typeof INSTANCE_PERMISSIONS)[number];
/** A permission on one's own account. */
export type AccountPermission = (typeof ACCOUNT_PERMISSIONS)[number];

const ORG_MATRIX: Readonly<Record<OrgRole, readonly OrgPermission[]>> = {
  admin: ORG_PERMISSIONS,
  member: ['org:read', 'workspace:create'],
};

const WORKSPACE_MATRIX: Readonly<Record<WorkspaceRole, readonly WorkspacePermission[]>> = {
  admin: WORKSPACE_PERMISSIONS,
  member: [
    'workspace:read',
    'compute:read',
    'compute:start',
    'connections:read',
    'connections:use',
    'queries:run',
  ],
};

/** What a service account may do in its workspace, at most (further narrowed by its scopes). */
export const SERVICE_ACCOUNT_PERMISSIONS: readonly WorkspacePermission[] = [
  'workspace:read',
  'compute:read',
  'compute:start',
  'connections:read',
  'connections:use',
  'queries:run',
];

/** True when the permission is granted on an organization (not on a workspace). */
export function isOrgPermission(permission: Permission): permission is OrgPermission {
  return (ORG_PERMISSIONS as readonly string[]).includes(permission);
}

/** True when the permission is granted on a workspace. */
export function isWorkspacePermission(permission: Permission): permission is WorkspacePermission {
  return (WORKSPACE_PERMISSIONS as readonly string[]).includes(permission);
}

/** Permissions an organization role grants on its organization. */
export function orgPermissions(role: OrgRole): readonly OrgPermission[] {
  return ORG_MATRIX[role];
}

/**
 * The effective workspace role: an organization admin is a workspace admin everywhere in
 * the organization; otherwise the workspace membership decides (none → no access).
 */
export function effectiveWorkspaceRole(
  orgRole: OrgRole | undefined,
  workspaceRole: WorkspaceRole | undefined,
): WorkspaceRole | undefined {
  if (orgRole === undefined) return undefined;
  if (orgRole === 'admin') return 'admin';
  return workspaceRole;
}

/** Permissions a workspace role grants on its workspace. */
export function workspacePermissions(role: WorkspaceRole): readonly WorkspacePermission[] {
  return WORKSPACE_MATRIX[role];
}

/** True when the organization role grants the permission. */
export function orgRoleAllows(role: OrgRole, permission: Permission): boolean {
  return (ORG_MATRIX[role] as readonly string[]).includes(permission);
}

/** True when the workspace role grants the permission. */
export function workspaceRoleAllows(role: WorkspaceRole, permission: Permission): boolean {
  return (WORKSPACE_MATRIX[role] as readonly string[]).includes(permission);
}
