/**
 * Routes of Kinesis landing: users start, list, show and stop ingestions (starting one
 * uses a connection: `connections:use`); a cluster's nodes claim them and record each
 * shard's steps with their node token.
 */
import { UnauthenticatedError } from '@ferry/core';
import { WORKSPACE_SCOPE } from '../authz/route-scope.ts';
import { ANY_CALLER, defineRoute, type AnyRouteDefinition } from '../http/define-route.ts';
import {
  getIngestion,
  listIngestions,
  startIngestion,
  stopIngestion,
} from '../ingest/ingestions.ts';
import {
  claimIngestions,
  recordIngestionOutcome,
  recordShardStep,
} from '../ingest/node-ingestions.ts';
import { NODE_TOKEN_ROUTE, nodeTokenOf } from './node-caller.ts';

export const ingestionRoutes: readonly AnyRouteDefinition[] = [
  defineRoute({
    name: 'ingestions.start',
    permission: 'connections:use',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    async handle({ resources, transaction, principal, access, params, body, now, audit }) {
      if (principal === undefined) throw new UnauthenticatedError();
      const createdBy = principal.kind === 'user' ? principal.userId : principal.serviceAccountId;
      const started = await startIngestion(resources, {
        orgId: access.orgId ?? '',
        workspaceId: params.workspaceId,
        createdBy,
        body,
        now,
        transaction,
      });
      Object.assign(audit, {
        targetType: 'ingestion',
        targetId: started.id,
        details: {
          connection: started.connection,
          clusterId: started.clusterId,
          mode: started.mode,
          location: started.location,
        },
      });
      return started;
    },
  }),
  defineRoute({
    name: 'ingestions.list',
    permission: 'connections:read',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    handle({ resources, params, query }) {
      return listIngestions(resources, params.workspaceId, query);
    },
  }),
  defineRoute({
    name: 'ingestions.get',
    permission: 'connections:read',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    handle({ resources, params, query }) {
      return getIngestion(resources, params.workspaceId, params.ingestionId, query.waitSeconds);
    },
  }),
  defineRoute({
    name: 'ingestions.stop',
    permission: 'connections:use',
    scope: WORKSPACE_SCOPE,
    callers: ANY_CALLER,
    async handle({ resources, transaction, params, now, audit }) {
      const stopped = await stopIngestion(resources, {
        workspaceId: params.workspaceId,
        ingestionId: params.ingestionId,
        now,
        transaction,
      });
      Object.assign(audit, {
        targetType: 'ingestion',
        targetId: stopped.id,
        details: { state: stopped.state },
      });
      return stopped;
    },
  }),
  defineRoute({
    name: 'nodes.ingestions.claim',
    ...NODE_TOKEN_ROUTE,
    // Nodes renew their claims every few seconds: users' starts and stops are audited.
    audited: false,
    handle({ resources, request }) {
      return claimIngestions(resources, nodeTokenOf(request));
    },
  }),
  defineRoute({
    name: 'nodes.ingestions.shard',
    ...NODE_TOKEN_ROUTE,
    audited: false,
    async handle({ resources, request, params, body }) {
      await recordShardStep(resources, nodeTokenOf(request), params.ingestionId, body);
      return undefined;
    },
  }),
  defineRoute({
    name: 'nodes.ingestions.outcome',
    ...NODE_TOKEN_ROUTE,
    async handle({ resources, request, params, body, audit }) {
      Object.assign(audit, {
        targetType: 'ingestion',
        targetId: params.ingestionId,
        details: { state: body.state },
      });
      await recordIngestionOutcome(resources, nodeTokenOf(request), params.ingestionId, body);
      return undefined;
    },
  }),
];
