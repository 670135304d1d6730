/**
 * `connect`: what a client needs to run queries on a cluster. In direct mode, a registered
 * node's address, its worker's port and certificate fingerprint (to pin) and a short-lived
 * query token; in proxy mode only the mode (queries go through the control plane).
 */
import type { Connection } from '@ferry/api';
import { ConflictError, type ComputeContext } from '@ferry/core';
import type { Resources } from '../resources.ts';
import { findClusterRow } from '../compute/cluster-queries.ts';
import type { QueryActor } from './query-actor.ts';
import { issueQueryToken } from './query-token-issuer.ts';

/** Connects the actor to the cluster. */
export async function connectCluster(
  resources: Pick<Resources, 'db' | 'secrets' | 'clock'>,
  input: {
    workspaceId: string;
    clusterId: string;
    actor: QueryActor;
    /** The caller's credential may use data connections (scopes and role). */
    useConnections: boolean;
  },
): Promise<Connection> {
  const cluster = await findClusterRow(resources, input.workspaceId, input.clusterId);
  const context = cluster.context as unknown as ComputeContext;
  if (cluster.state === 'Starting') {
    throw new ConflictError(
      'cluster_not_ready',
      `Cluster ${cluster.id} is Starting: wait until it is Idle to connect.`,
      { retryable: true },
    );
  }
  if (cluster.state !== 'Idle' && cluster.state !== 'Busy') {
    throw new ConflictError(
      'cluster_not_live',
      `Cluster ${cluster.id} is ${cluster.state}: start it (or another) before running queries.`,
    );
  }
  const base = {
    clusterId: cluster.id,
    workspaceId: cluster.workspace_id,
    connectionMode: context.connectionMode,
  };
  if (context.connectionMode === 'proxy')
    return { ...base, node: null, token: null, expiresAt: null };
  const node = await resources.db
    .selectFrom('cluster_nodes')
    .select(['instance_id', 'private_ip', 'public_ip', 'query_port', 'tls_fingerprint'])
    .where('cluster_id', '=', cluster.id)
    .where('registered_at', 'is not', null)
    .where('terminated_at', 'is', null)
    .where('query_port', 'is not', null)
    .where('tls_fingerprint', 'is not', null)
    .where('private_ip', 'is not', null)
    .orderBy('last_heartbeat_at', 'desc')
    .executeTakeFirst();
  if (node === undefined) {
    throw new ConflictError(
      'no_query_node',
      `No node of cluster ${cluster.id} serves direct-mode queries (its worker reported no query port).`,
      { retryable: true },
    );
  }
  const issued = await issueQueryToken(resources, {
    actorId: input.actor.id,
    clusterId: cluster.id,
    workspaceId: cluster.workspace_id,
    useConnections: input.useConnections,
  });
  return {
    ...base,
    node: {
      instanceId: node.instance_id,
      // A client outside the VPC reaches the node only at its public address.
      address: node.public_ip ?? node.private_ip!,
      port: node.query_port!,
      tlsFingerprint: node.tls_fingerprint!,
    },
    token: issued.token,
    expiresAt: issued.expiresAt.toISOString(),
  };
}
