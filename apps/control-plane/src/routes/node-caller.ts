/**
 * What every route a node calls shares: nodes have no principal, so the routes are public
 * to the pipeline and authenticate in the handler by token hash. Rate limits are per node,
 * not per address: a customer's nodes may all leave through one NAT address.
 */
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { NO_SCOPE } from '../authz/route-scope.ts';
import { PUBLIC } from '../http/define-route.ts';
import { NODE_TOKEN_HEADER } from '../compute/node-intake.ts';

/** The node token the request carries, if any. */
export function nodeTokenOf(request: FastifyRequest): string | undefined {
  const value = request.headers[NODE_TOKEN_HEADER];
  return typeof value === 'string' ? value : undefined;
}

/** A short digest names the bucket; the token itself never becomes a key or a log field. */
export const rateKeyDigest = (value: string): string =>
  createHash('sha256').update(value).digest('hex').slice(0, 32);

/** The rate-limit bucket of a node calling with its token. */
function nodeRateKey(request: FastifyRequest): string | undefined {
  const token = nodeTokenOf(request);
  return token === undefined ? undefined : `node-token:${rateKeyDigest(token)}`;
}

/** The fields of a route a node calls with its token (spread into `defineRoute`). */
export const NODE_TOKEN_ROUTE = {
  permission: null,
  scope: NO_SCOPE,
  callers: PUBLIC,
  rateLimitKey: nodeRateKey,
} as const;
