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

function nodeTokenOf(request: FastifyRequest): string | undefined {
  const value = request.headers[NODE_TOKEN_HEADER];
  return typeof value === 'string' ? value : undefined;
}

/** A short digest names the bucket; the token itself never becomes a key or a log field. */
const digest = (value: string): string =>
  createHash('sha256').update(value).digest('hex').slice(0, 32);

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
    rateLimitKey(request) {
      const token = nodeTokenOf(request);
      return token === undefined ? undefined : `node-token:${digest(token)}`;
    },
    handle({ resources, request, body }) {
      return recordHeartbeat(resources, nodeTokenOf(request), body);
    },
  }),
];
