/**
 * Routes the worker agent calls: register with the bootstrap token, then heartbeat, report
 * queries and poll for work with its node token (`node-caller.ts`).
 */
import { NO_SCOPE } from '../authz/route-scope.ts';
import { PUBLIC, defineRoute, type AnyRouteDefinition } from '../http/define-route.ts';
import { recordHeartbeat, registerNode } from '../compute/node-intake.ts';
import { grantQueryConnections } from '../connections/query-connection-grants.ts';
import { pollWork, reportQuery, uploadHead } from '../queries/node-queries.ts';
import { NODE_TOKEN_ROUTE, nodeTokenOf, rateKeyDigest } from './node-caller.ts';

export const nodeRoutes: readonly AnyRouteDefinition[] = [
  defineRoute({
    name: 'nodes.register',
    permission: null,
    scope: NO_SCOPE,
    callers: PUBLIC,
    rateLimitKey(request) {
      const body = request.body as { instanceId?: unknown } | undefined;
      return typeof body?.instanceId === 'string'
        ? `node:${rateKeyDigest(body.instanceId)}`
        : undefined;
    },
    async handle({ resources, body, audit }) {
      Object.assign(audit, {
        targetType: 'cluster',
        targetId: body.clusterId,
        details: { instanceId: body.instanceId },
      });
      return registerNode(resources, body);
    },
  }),
  defineRoute({
    name: 'nodes.heartbeat',
    ...NODE_TOKEN_ROUTE,
    // Every node beats every few seconds: the audit log records registrations, not these.
    audited: false,
    handle({ resources, request, body }) {
      return recordHeartbeat(resources, nodeTokenOf(request), body);
    },
  }),
  defineRoute({
    name: 'nodes.queries.report',
    ...NODE_TOKEN_ROUTE,
    // Query submissions and cancels are audited where users ask for them, not per report.
    audited: false,
    async handle({ resources, request, params, body }) {
      await reportQuery(resources, nodeTokenOf(request), params.queryId, body);
      return undefined;
    },
  }),
  defineRoute({
    name: 'nodes.work',
    ...NODE_TOKEN_ROUTE,
    handle({ resources, request, query }) {
      const abort = new AbortController();
      request.raw.once('close', () => abort.abort());
      return pollWork(resources, nodeTokenOf(request), query.waitSeconds, abort.signal);
    },
  }),
  defineRoute({
    name: 'nodes.queries.head',
    ...NODE_TOKEN_ROUTE,
    audited: false,
    async handle({ resources, request, params, body }) {
      await uploadHead(resources, nodeTokenOf(request), params.queryId, body);
      return undefined;
    },
  }),
  defineRoute({
    name: 'nodes.queries.connections',
    ...NODE_TOKEN_ROUTE,
    // Each AssumeRole is audited by the broker, with the query's actor and id.
    audited: false,
    handle({ resources, request, params, body }) {
      return grantQueryConnections(resources, nodeTokenOf(request), params.queryId, body);
    },
  }),
];
