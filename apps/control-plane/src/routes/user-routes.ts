/** Routes of users: the caller's profile, and user creation by instance admins. */
import { NotFoundError } from '@ferry/core';
import { INSTANCE_SCOPE, NO_SCOPE } from '../authz/route-scope.ts';
import { createUser, findUserById, toUser } from '../identity/users.ts';
import { USERS, defineRoute, type AnyRouteDefinition } from '../http/define-route.ts';
import { userOf } from './route-helpers.ts';

export const userRoutes: readonly AnyRouteDefinition[] = [
  defineRoute({
    name: 'users.me',
    permission: 'account:read',
    scope: NO_SCOPE,
    callers: USERS,
    async handle({ resources, principal }) {
      const user = userOf(principal);
      const row = await findUserById(resources.db, user.userId);
      if (row === undefined) throw new NotFoundError('No such user.');
      const orgs = await resources.db
        .selectFrom('org_members')
        .innerJoin('orgs', 'orgs.id', 'org_members.org_id')
        .select(['orgs.id', 'orgs.name', 'org_members.role'])
        .where('org_members.user_id', '=', user.userId)
        .where('orgs.deleted_at', 'is', null)
        .orderBy('orgs.id')
        .execute();
      return {
        ...toUser(row),
        orgs: orgs.map((o) => ({ orgId: o.id, orgName: o.name, role: o.role })),
      };
    },
  }),
  defineRoute({
    name: 'users.create',
    permission: 'users:manage',
    scope: INSTANCE_SCOPE,
    callers: USERS,
    async handle({ transaction, body, now, audit }) {
      const row = await transaction((db) => createUser(db, { ...body, now }));
      Object.assign(audit, { targetType: 'user', targetId: row.id });
      return toUser(row);
    },
  }),
];
