/** Routes of workspaces: settings, members and service accounts. */
import { ORG_SCOPE, WORKSPACE_SCOPE } from '../authz/route-scope.ts';
import { ANY_CALLER, USERS, defineRoute, type AnyRouteDefinition } from '../http/define-route.ts';
import {
  createServiceAccount,
  listServiceAccounts,
  revokeServiceAccount,
} from '../workspaces/service-accounts.ts';
import {
  listWorkspaceMembers,
  removeWorkspaceMember,
  setWorkspaceMember,
} from '../workspaces/workspace-members.ts';
import {
  createWorkspace,
  deleteWorkspace,
  getWorkspace,
  listWorkspaces,
  updateWorkspace,
} from '../workspaces/workspaces.ts';
import { stopComputeForDeletion } from '../compute/workspace-teardown.ts';
import { userOf } from './route-helpers.ts';

/** The organization of a workspace-scoped route (always resolved by authorization). */
function orgOf(orgId: string | null): string {
  if (orgId === null) throw new Error('workspace scope resolved without an organization');
  return orgId;
}

export const workspaceRoutes: readonly AnyRouteDefinition[] = [
  defineRoute({
    name: 'workspaces.create',
    permission: 'workspace:create',
    scope: ORG_SCOPE,
    callers: USERS,
    async handle({ transaction, principal, params, body, access, now, audit }) {
      const ws = await transaction((db) =>
        createWorkspace(db, {
          orgId: params.orgId,
          userId: userOf(principal).userId,
          orgRole: access.orgRole ?? 'member',
          settings: body,
          now,
        }),
      );
      Object.assign(audit, { workspaceId: ws.id, targetType: 'workspace', targetId: ws.id });
      return ws;
    },
  }),
  defineRoute({
    name: 'workspaces.list',
    permission: 'org:read',
    scope: ORG_SCOPE,
    callers: USERS,
    handle({ resources, principal, params, query, access }) {
      return listWorkspaces(resources.db, {
        orgId: params.orgId,
        userId: userOf(principal).userId,
        orgRole: access.orgRole ?? 'member',
        ...query,
      });
    },
  }),
  defineRoute({
    name: 'workspaces.get',
    permission: 'workspace:read',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    handle({ resources, params, access }) {
      return getWorkspace(resources.db, params.workspaceId, access.workspaceRole);
    },
  }),
  defineRoute({
    name: 'workspaces.update',
    permission: 'workspace:manage',
    scope: WORKSPACE_SCOPE,
    callers: USERS,
    async handle({ resources, params, body, access, now, audit }) {
      Object.assign(audit, {
        targetType: 'workspace',
        targetId: params.workspaceId,
        details: { changed: Object.keys(body) },
      });
      return updateWorkspace(resources.db, params.workspaceId, body, access.workspaceRole, now);
    },
  }),
  defineRoute({
    name: 'workspaces.delete',
    permission: 'workspace:manage',
    scope: WORKSPACE_SCOPE,
    callers: USERS,
    async handle({ resources, principal, params, query, now, audit }) {
      const stopClusters = query.stopClusters === 'true';
      Object.assign(audit, {
        targetType: 'workspace',
        targetId: params.workspaceId,
        details: { stopClusters },
      });
      await stopComputeForDeletion(resources, params.workspaceId, {
        stopClusters,
        actor: { kind: 'user', id: userOf(principal).userId },
      });
      await deleteWorkspace(resources.db, params.workspaceId, now, {
        clustersStopped: stopClusters,
      });
      return undefined;
    },
  }),
  defineRoute({
    name: 'workspaces.members.list',
    permission: 'workspace:read',
    scope: WORKSPACE_SCOPE,
    callers: USERS,
    handle({ resources, params, query, access }) {
      return listWorkspaceMembers(resources.db, orgOf(access.orgId), params.workspaceId, query);
    },
  }),
  defineRoute({
    name: 'workspaces.members.set',
    permission: 'workspace:members:manage',
    scope: WORKSPACE_SCOPE,
    callers: USERS,
    async handle({ resources, params, body, access, now, audit }) {
      Object.assign(audit, {
        targetType: 'user',
        targetId: params.userId,
        details: { role: body.role },
      });
      return setWorkspaceMember(resources.db, {
        orgId: orgOf(access.orgId),
        workspaceId: params.workspaceId,
        userId: params.userId,
        role: body.role,
        now,
      });
    },
  }),
  defineRoute({
    name: 'workspaces.members.remove',
    permission: 'workspace:members:manage',
    scope: WORKSPACE_SCOPE,
    callers: USERS,
    async handle({ resources, params, audit }) {
      Object.assign(audit, { targetType: 'user', targetId: params.userId });
      await removeWorkspaceMember(resources.db, params.workspaceId, params.userId);
      return undefined;
    },
  }),
  defineRoute({
    name: 'serviceAccounts.create',
    permission: 'service-accounts:manage',
    scope: WORKSPACE_SCOPE,
    callers: USERS,
    async handle({ transaction, principal, params, body, access, now, audit }) {
      const created = await transaction((db) =>
        createServiceAccount(db, {
          orgId: orgOf(access.orgId),
          workspaceId: params.workspaceId,
          name: body.name,
          scopes: body.scopes,
          createdBy: userOf(principal).userId,
          now,
        }),
      );
      Object.assign(audit, {
        targetType: 'service-account',
        targetId: created.clientId,
        details: { scopes: created.serviceAccount.scopes },
      });
      return created;
    },
  }),
  defineRoute({
    name: 'serviceAccounts.list',
    permission: 'service-accounts:manage',
    scope: WORKSPACE_SCOPE,
    callers: USERS,
    handle({ resources, params, query }) {
      return listServiceAccounts(resources.db, params.workspaceId, query);
    },
  }),
  defineRoute({
    name: 'serviceAccounts.revoke',
    permission: 'service-accounts:manage',
    scope: WORKSPACE_SCOPE,
    callers: USERS,
    async handle({ resources, params, now, audit }) {
      Object.assign(audit, { targetType: 'service-account', targetId: params.serviceAccountId });
      await revokeServiceAccount(resources.db, params.workspaceId, params.serviceAccountId, now);
      return undefined;
    },
  }),
];
