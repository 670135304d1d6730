/** Routes of organizations: the organizations themselves, members and invitations. */
import { NO_SCOPE, ORG_SCOPE } from '../authz/route-scope.ts';
import { USERS, defineRoute, type AnyRouteDefinition } from '../http/define-route.ts';
import {
  acceptInvitation,
  createInvitation,
  listInvitations,
  revokeInvitation,
} from '../orgs/invitations.ts';
import { listOrgMembers, removeOrgMember, setOrgMemberRole } from '../orgs/org-members.ts';
import { createOrg, deleteOrg, getOrg, listOrgs, renameOrg } from '../orgs/orgs.ts';
import { userOf } from './route-helpers.ts';

export const orgRoutes: readonly AnyRouteDefinition[] = [
  defineRoute({
    name: 'orgs.create',
    permission: 'orgs:create',
    scope: NO_SCOPE,
    callers: USERS,
    async handle({ transaction, principal, body, now, audit }) {
      const org = await transaction((db) =>
        createOrg(db, userOf(principal).userId, body.name, now),
      );
      Object.assign(audit, { orgId: org.id, targetType: 'org', targetId: org.id });
      return org;
    },
  }),
  defineRoute({
    name: 'orgs.list',
    permission: 'account:read',
    scope: NO_SCOPE,
    callers: USERS,
    handle({ resources, principal, query }) {
      return listOrgs(resources.db, userOf(principal).userId, query);
    },
  }),
  defineRoute({
    name: 'orgs.get',
    permission: 'org:read',
    scope: ORG_SCOPE,
    callers: USERS,
    handle({ resources, params, access }) {
      return getOrg(resources.db, params.orgId, access.orgRole);
    },
  }),
  defineRoute({
    name: 'orgs.update',
    permission: 'org:manage',
    scope: ORG_SCOPE,
    callers: USERS,
    async handle({ resources, params, body, access, now, audit }) {
      Object.assign(audit, {
        targetType: 'org',
        targetId: params.orgId,
        details: { name: body.name },
      });
      return renameOrg(resources.db, params.orgId, body.name, access.orgRole, now);
    },
  }),
  defineRoute({
    name: 'orgs.delete',
    permission: 'org:manage',
    scope: ORG_SCOPE,
    callers: USERS,
    async handle({ resources, params, now, audit }) {
      Object.assign(audit, { targetType: 'org', targetId: params.orgId });
      await deleteOrg(resources.db, params.orgId, now);
      return undefined;
    },
  }),
  defineRoute({
    name: 'orgs.leave',
    permission: 'org:read',
    scope: ORG_SCOPE,
    callers: USERS,
    async handle({ resources, principal, params, audit }) {
      const userId = userOf(principal).userId;
      Object.assign(audit, { targetType: 'user', targetId: userId });
      await removeOrgMember(resources.db, params.orgId, userId);
      return undefined;
    },
  }),
  defineRoute({
    name: 'orgs.members.list',
    permission: 'org:read',
    scope: ORG_SCOPE,
    callers: USERS,
    handle({ resources, params, query }) {
      return listOrgMembers(resources.db, params.orgId, query);
    },
  }),
  defineRoute({
    name: 'orgs.members.update',
    permission: 'members:manage',
    scope: ORG_SCOPE,
    callers: USERS,
    async handle({ resources, params, body, audit }) {
      Object.assign(audit, {
        targetType: 'user',
        targetId: params.userId,
        details: { role: body.role },
      });
      return setOrgMemberRole(resources.db, params.orgId, params.userId, body.role);
    },
  }),
  defineRoute({
    name: 'orgs.members.remove',
    permission: 'members:manage',
    scope: ORG_SCOPE,
    callers: USERS,
    async handle({ resources, params, audit }) {
      Object.assign(audit, { targetType: 'user', targetId: params.userId });
      await removeOrgMember(resources.db, params.orgId, params.userId);
      return undefined;
    },
  }),
  defineRoute({
    name: 'orgs.invitations.create',
    permission: 'members:manage',
    scope: ORG_SCOPE,
    callers: USERS,
    async handle({ resources, transaction, principal, params, body, now, audit }) {
      const created = await transaction((db) =>
        createInvitation(db, {
          orgId: params.orgId,
          email: body.email,
          role: body.role,
          invitedBy: userOf(principal).userId,
          expiresInDays: body.expiresInDays,
          publicUrl: resources.config.publicUrl,
          now,
        }),
      );
      Object.assign(audit, {
        targetType: 'invitation',
        targetId: created.invitation.id,
        details: { email: created.invitation.email, role: body.role },
      });
      return created;
    },
  }),
  defineRoute({
    name: 'orgs.invitations.list',
    permission: 'members:manage',
    scope: ORG_SCOPE,
    callers: USERS,
    handle({ resources, params, query }) {
      return listInvitations(resources.db, params.orgId, query);
    },
  }),
  defineRoute({
    name: 'orgs.invitations.revoke',
    permission: 'members:manage',
    scope: ORG_SCOPE,
    callers: USERS,
    async handle({ resources, params, now, audit }) {
      Object.assign(audit, { targetType: 'invitation', targetId: params.invitationId });
      await revokeInvitation(resources.db, params.orgId, params.invitationId, now);
      return undefined;
    },
  }),
  defineRoute({
    name: 'invitations.accept',
    permission: 'account:manage',
    scope: NO_SCOPE,
    callers: USERS,
    async handle({ resources, principal, body, now, audit }) {
      const user = userOf(principal);
      const joined = await acceptInvitation(resources.db, {
        token: body.token,
        userId: user.userId,
        email: user.email,
        now,
      });
      Object.assign(audit, {
        orgId: joined.orgId,
        targetType: 'user',
        targetId: user.userId,
        details: { role: joined.role },
      });
      return joined;
    },
  }),
];
