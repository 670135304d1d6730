/** Routes of data connections: prepare, test, create, list, show, re-test, replace keys, delete. */
import { UnauthenticatedError } from '@ferry/core';
import { WORKSPACE_SCOPE } from '../authz/route-scope.ts';
import { ANY_CALLER, defineRoute, type AnyRouteDefinition } from '../http/define-route.ts';
import type { Principal } from '../identity/principal.ts';
import type { BrokerActor } from '../aws/credential-broker.ts';
import {
  createConnection,
  deleteConnection,
  getConnection,
  listConnections,
  prepareConnection,
  retestConnectionByName,
  rotateConnectionKeys,
  testNewConnection,
} from '../connections/connections.ts';

/** Who acts in the data owner's account: the calling user or service account. */
function actorOf(
  principal: Principal | undefined,
): BrokerActor & { kind: 'user' | 'service-account' } {
  if (principal === undefined) throw new UnauthenticatedError();
  return principal.kind === 'user'
    ? { kind: 'user', id: principal.userId }
    : { kind: 'service-account', id: principal.serviceAccountId };
}

export const connectionRoutes: readonly AnyRouteDefinition[] = [
  defineRoute({
    name: 'connections.prepare',
    permission: 'connections:manage',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    async handle({ resources, transaction, principal, params, body, now, audit }) {
      const prepared = await prepareConnection(resources, {
        workspaceId: params.workspaceId,
        createdBy: actorOf(principal).id,
        target: body.target,
        name: body.name,
        accountId: body.accountId,
        now,
        transaction,
      });
      Object.assign(audit, {
        targetType: 'connection-external-id',
        targetId: prepared.policies.externalId ?? '',
        details: { type: body.target.type },
      });
      return prepared;
    },
  }),
  defineRoute({
    name: 'connections.test',
    permission: 'connections:manage',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    handle({ resources, principal, access, params, body, now }) {
      return testNewConnection(resources, {
        orgId: access.orgId ?? '',
        workspaceId: params.workspaceId,
        actor: actorOf(principal),
        target: body.target,
        auth: body.auth,
        now,
      });
    },
  }),
  defineRoute({
    name: 'connections.create',
    permission: 'connections:manage',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    async handle({ resources, transaction, principal, access, params, body, now, audit }) {
      const actor = actorOf(principal);
      const created = await createConnection(resources, {
        orgId: access.orgId ?? '',
        workspaceId: params.workspaceId,
        actor,
        createdBy: actor.id,
        body,
        now,
        transaction,
      });
      Object.assign(audit, {
        targetType: 'connection',
        targetId: created.id,
        details: {
          name: created.name,
          type: created.target.type,
          auth: created.auth.kind,
          state: created.state,
        },
      });
      return created;
    },
  }),
  defineRoute({
    name: 'connections.list',
    permission: 'connections:read',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    handle({ resources, params, query }) {
      return listConnections(resources, params.workspaceId, query);
    },
  }),
  defineRoute({
    name: 'connections.get',
    permission: 'connections:read',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    handle({ resources, params }) {
      return getConnection(resources, params.workspaceId, params.connectionName);
    },
  }),
  defineRoute({
    name: 'connections.retest',
    permission: 'connections:manage',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    async handle({ resources, transaction, principal, params, now, audit }) {
      const tested = await retestConnectionByName(resources, {
        workspaceId: params.workspaceId,
        name: params.connectionName,
        actor: actorOf(principal),
        now,
        transaction,
      });
      Object.assign(audit, {
        targetType: 'connection',
        targetId: tested.id,
        details: { state: tested.state },
      });
      return tested;
    },
  }),
  defineRoute({
    name: 'connections.rotateKeys',
    permission: 'connections:manage',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    async handle({ resources, transaction, principal, params, body, now, audit }) {
      const rotated = await rotateConnectionKeys(resources, {
        workspaceId: params.workspaceId,
        name: params.connectionName,
        actor: actorOf(principal),
        keys: { accessKeyId: body.accessKeyId, secretAccessKey: body.secretAccessKey },
        skipTest: body.skipTest === true,
        now,
        transaction,
      });
      Object.assign(audit, {
        targetType: 'connection',
        targetId: rotated.id,
        details: { name: rotated.name, state: rotated.state },
      });
      return rotated;
    },
  }),
  defineRoute({
    name: 'connections.delete',
    permission: 'connections:manage',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    async handle({ resources, transaction, params, audit }) {
      const id = await deleteConnection(resources, {
        workspaceId: params.workspaceId,
        name: params.connectionName,
        transaction,
      });
      Object.assign(audit, {
        targetType: 'connection',
        targetId: id,
        details: { name: params.connectionName },
      });
      return undefined;
    },
  }),
];
