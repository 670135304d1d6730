/** Routes of the audit log. */
import { ORG_SCOPE } from '../authz/route-scope.ts';
import { listAudit } from '../audit/list-audit.ts';
import { USERS, defineRoute, type AnyRouteDefinition } from '../http/define-route.ts';

export const auditRoutes: readonly AnyRouteDefinition[] = [
  defineRoute({
    name: 'audit.list',
    permission: 'audit:read',
    scope: ORG_SCOPE,
    callers: USERS,
    handle({ resources, params, query }) {
      return listAudit(resources.db, params.orgId, query);
    },
  }),
];
