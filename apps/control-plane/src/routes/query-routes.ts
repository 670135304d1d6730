/** Routes of queries: submit (proxy), connect (direct), list, get, wait, cancel, head, profile. */
import { ForbiddenError } from '@ferry/core';
import { allows } from '../authz/authorize.ts';
import { WORKSPACE_SCOPE } from '../authz/route-scope.ts';
import { ANY_CALLER, defineRoute, type AnyRouteDefinition } from '../http/define-route.ts';
import { cancelQuery } from '../queries/cancel-query.ts';
import { connectCluster } from '../queries/connect-cluster.ts';
import { queryActorOf } from '../queries/query-actor.ts';
import {
  getQuery,
  listQueries,
  queryHead,
  queryProfile,
  waitForQuery,
} from '../queries/query-reads.ts';
import { submitQuery } from '../queries/submit-query.ts';

export const queryRoutes: readonly AnyRouteDefinition[] = [
  defineRoute({
    name: 'queries.submit',
    permission: 'queries:run',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    async handle({ resources, transaction, principal, access, params, body, audit }) {
      // Reading through data connections needs their permission too (scopes and role).
      if (
        body.envelope.connections !== undefined &&
        (principal === undefined || !allows(principal, access, WORKSPACE_SCOPE, 'connections:use'))
      )
        throw new ForbiddenError('Missing permission connections:use.');
      const query = await submitQuery(resources, {
        workspaceId: params.workspaceId,
        clusterId: params.clusterId,
        body,
        actor: queryActorOf(principal),
        transaction,
      });
      Object.assign(audit, {
        targetType: 'query',
        targetId: query.id,
        details: {
          clusterId: query.clusterId,
          mode: query.mode,
          kind: query.kind,
          ...(body.envelope.connections === undefined
            ? {}
            : { connections: body.envelope.connections }),
        },
      });
      return query;
    },
  }),
  defineRoute({
    name: 'queries.connect',
    permission: 'queries:run',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    // Every direct-mode session connects: a token grant is recorded like a submission.
    async handle({ resources, principal, access, params, audit }) {
      const connection = await connectCluster(resources, {
        workspaceId: params.workspaceId,
        clusterId: params.clusterId,
        actor: queryActorOf(principal),
        useConnections:
          principal !== undefined && allows(principal, access, WORKSPACE_SCOPE, 'connections:use'),
      });
      Object.assign(audit, {
        targetType: 'cluster',
        targetId: params.clusterId,
        details: {
          connectionMode: connection.connectionMode,
          instanceId: connection.node?.instanceId ?? null,
          expiresAt: connection.expiresAt,
        },
      });
      return connection;
    },
  }),
  defineRoute({
    name: 'queries.list',
    permission: 'queries:run',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    handle({ resources, params, query }) {
      return listQueries(resources, params.workspaceId, query);
    },
  }),
  defineRoute({
    name: 'queries.get',
    permission: 'queries:run',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    handle({ resources, params }) {
      return getQuery(resources, params.workspaceId, params.queryId);
    },
  }),
  defineRoute({
    name: 'queries.wait',
    permission: 'queries:run',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    handle({ resources, params, query, request }) {
      const abort = new AbortController();
      request.raw.once('close', () => abort.abort());
      return waitForQuery(
        resources,
        params.workspaceId,
        params.queryId,
        query.waitSeconds,
        abort.signal,
      );
    },
  }),
  defineRoute({
    name: 'queries.cancel',
    permission: 'queries:run',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    async handle({ resources, params, audit }) {
      Object.assign(audit, { targetType: 'query', targetId: params.queryId });
      return cancelQuery(resources, params.workspaceId, params.queryId);
    },
  }),
  defineRoute({
    name: 'queries.head',
    permission: 'queries:run',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    handle({ resources, params }) {
      return queryHead(resources, params.workspaceId, params.queryId);
    },
  }),
  defineRoute({
    name: 'queries.profile',
    permission: 'queries:run',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    handle({ resources, params }) {
      return queryProfile(resources, params.workspaceId, params.queryId);
    },
  }),
];
