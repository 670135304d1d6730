/**
 * Routes of Kinesis landing: users start, list, show and stop ingestions (starting one
 * uses a connection: `connections:use`); a cluster's nodes claim them and record each
 * shard's steps with their node token.
 */
import type { FastifyRequest } from 'fastify';
import { UnauthenticatedError } from '@ferry/core';
import { NO_SCOPE, WORKSPACE_SCOPE } from '../authz/route-scope.ts';
import { ANY_CALLER, PUBLIC, defineRoute, type AnyRouteDefinition } from '../http/define-route.ts';
import { NODE_TOKEN_HEADER } from '../compute/node-intake.ts';
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
import { createHash } from 'node:crypto';

function nodeTokenOf(request: FastifyRequest): string | undefined {
  const value = request.headers[NODE_TOKEN_HEADER];
  return typeof value === 'string' ? value : undefined;
}

/** The rate-limit bucket of a node (a digest: the token never becomes a key). */
function nodeRateKey(request: FastifyRequest): string | undefined {
  const token = nodeTokenOf(request);
  return token === undefined
    ? undefined
    : `node-token:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`;
}

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
    permission: null,
    scope: NO_SCOPE,
    callers: PUBLIC,
    // Nodes renew their claims every few seconds: users' starts and stops are audited.
    audited: false,
    rateLimitKey: nodeRateKey,
    handle({ resources, request }) {
      return claimIngestions(resources, nodeTokenOf(request));
    },
  }),
  defineRoute({
    name: 'nodes.ingestions.shard',
    permission: null,
    scope: NO_SCOPE,
    callers: PUBLIC,
    audited: false,
    rateLimitKey: nodeRateKey,
    async handle({ resources, request, params, body }) {
      await recordShardStep(resources, nodeTokenOf(request), params.ingestionId, body);
      return undefined;
    },
  }),
  defineRoute({
    name: 'nodes.ingestions.outcome',
    permission: null,
    scope: NO_SCOPE,
    callers: PUBLIC,
    rateLimitKey: nodeRateKey,
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
