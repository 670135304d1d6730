/**
 * Routes the worker agent calls: register with the bootstrap token, then heartbeat. They
 * are public to the pipeline (nodes have no principal) and authenticate in the handler by
 * token hash. Rate limits are per node, not per address: a customer's nodes may all leave
 * through one NAT address.
 */
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { NO_SCOPE } from '../authz/route-scope.ts';
import { PUBLIC, defineRoute, type AnyRouteDefinition } from '../http/define-route.ts';
import { NODE_TOKEN_HEADER, recordHeartbeat, registerNode } from '../compute/node-intake.ts';
import { grantQueryConnections } from '../connections/query-connection-grants.ts';
import { pollWork, reportQuery, uploadHead } from '../queries/node-queries.ts';

function nodeTokenOf(request: FastifyRequest): string | undefined {
  const value = request.headers[NODE_TOKEN_HEADER];
  return typeof value === 'string' ? value : undefined;
}

/** A short digest names the bucket; the token itself never becomes a key or a log field. */
const digest = (value: string): string =>
  createHash('sha256').update(value).digest('hex').slice(0, 32);

/** The rate-limit bucket of a node calling with its token. */
function nodeRateKey(request: FastifyRequest): string | undefined {
  const token = nodeTokenOf(request);
  return token === undefined ? undefined : `node-token:${digest(token)}`;
}

export const nodeRoutes: readonly AnyRouteDefinition[] = [
  defineRoute({
    name: 'nodes.register',
    permission: null,
    scope: NO_SCOPE,
    callers: PUBLIC,
    rateLimitKey(request) {
      const body = request.body as { instanceId?: unknown } | undefined;
      return typeof body?.instanceId === 'string' ? `node:${digest(body.instanceId)}` : undefined;
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
    permission: null,
    scope: NO_SCOPE,
    callers: PUBLIC,
    // Every node beats every few seconds: the audit log records registrations, not these.
    audited: false,
    rateLimitKey: nodeRateKey,
    handle({ resources, request, body }) {
      return recordHeartbeat(resources, nodeTokenOf(request), body);
    },
  }),
  defineRoute({
    name: 'nodes.queries.report',
    permission: null,
    scope: NO_SCOPE,
    callers: PUBLIC,
    // Query submissions and cancels are audited where users ask for them, not per report.
    audited: false,
    rateLimitKey: nodeRateKey,
    async handle({ resources, request, params, body }) {
      await reportQuery(resources, nodeTokenOf(request), params.queryId, body);
      return undefined;
    },
  }),
  defineRoute({
    name: 'nodes.work',
    permission: null,
    scope: NO_SCOPE,
    callers: PUBLIC,
    rateLimitKey: nodeRateKey,
    handle({ resources, request, query }) {
      const abort = new AbortController();
      request.raw.once('close', () => abort.abort());
      return pollWork(resources, nodeTokenOf(request), query.waitSeconds, abort.signal);
    },
  }),
  defineRoute({
    name: 'nodes.queries.head',
    permission: null,
    scope: NO_SCOPE,
    callers: PUBLIC,
    audited: false,
    rateLimitKey: nodeRateKey,
    async handle({ resources, request, params, body }) {
      await uploadHead(resources, nodeTokenOf(request), params.queryId, body);
      return undefined;
    },
  }),
  defineRoute({
    name: 'nodes.queries.connections',
    permission: null,
    scope: NO_SCOPE,
    callers: PUBLIC,
    // Each AssumeRole is audited by the broker, with the query's actor and id.
    audited: false,
    rateLimitKey: nodeRateKey,
    handle({ resources, request, params, body }) {
      return grantQueryConnections(resources, nodeTokenOf(request), params.queryId, body);
    },
  }),
];
