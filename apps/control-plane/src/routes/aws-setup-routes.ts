/**
 * Routes of the AWS connection: start the setup, read it, verify it, offer a stack update,
 * the ops team's link.
 */
import { workspaceRoleAllows } from '@ferry/core';
import { WORKSPACE_SCOPE, NO_SCOPE } from '../authz/route-scope.ts';
import { PUBLIC, USERS, defineRoute, type AnyRouteDefinition } from '../http/define-route.ts';
import {
  getAwsSetup,
  setupFromLink,
  startAwsSetup,
  waitForAwsSetup,
} from '../aws/setup-service.ts';
import { stackUpdate } from '../aws/stack-update.ts';
import { verifyWorkspace } from '../aws/verifier.ts';
import { userOf } from './route-helpers.ts';

export const awsSetupRoutes: readonly AnyRouteDefinition[] = [
  defineRoute({
    name: 'awsSetup.start',
    permission: 'workspace:manage',
    scope: WORKSPACE_SCOPE,
    callers: USERS,
    async handle({ resources, params, body, access, now, audit }) {
      const started = await startAwsSetup(resources, {
        workspaceId: params.workspaceId,
        orgId: access.orgId ?? '',
        request: body,
        now,
      });
      Object.assign(audit, {
        targetType: 'workspace',
        targetId: params.workspaceId,
        details: { region: body.region, network: body.network.kind },
      });
      return started;
    },
  }),
  defineRoute({
    name: 'awsSetup.get',
    permission: 'workspace:read',
    scope: WORKSPACE_SCOPE,
    callers: USERS,
    async handle({ resources, principal, access, params, query }) {
      const view = await waitForAwsSetup(resources, params.workspaceId, query);
      // The external ID guards the stack's roles: only who may manage the connection sees it.
      const manages =
        principal !== undefined &&
        (principal.scopes === null || principal.scopes.includes('workspace:manage')) &&
        access.workspaceRole !== null &&
        workspaceRoleAllows(access.workspaceRole, 'workspace:manage');
      return manages ? view : { ...view, externalId: null };
    },
  }),
  defineRoute({
    name: 'awsSetup.verify',
    permission: 'workspace:manage',
    scope: WORKSPACE_SCOPE,
    callers: USERS,
    async handle({ resources, principal, params, audit }) {
      Object.assign(audit, { targetType: 'workspace', targetId: params.workspaceId });
      await verifyWorkspace(resources, params.workspaceId, {
        actor: { kind: 'user', id: userOf(principal).userId },
        mode: 'manual',
      });
      return getAwsSetup(resources, params.workspaceId);
    },
  }),
  defineRoute({
    name: 'awsSetup.update',
    permission: 'workspace:manage',
    scope: WORKSPACE_SCOPE,
    callers: USERS,
    handle({ resources, params }) {
      return stackUpdate(resources, params.workspaceId);
    },
  }),
  defineRoute({
    name: 'awsSetup.link',
    permission: null,
    scope: NO_SCOPE,
    callers: PUBLIC,
    handle({ resources, query, now }) {
      return setupFromLink(resources, query.token, now);
    },
  }),
];
