/**
 * A cluster as the API shows it: its request (from the normalised context), the chosen
 * instance type with its price and the selection's explanation, its nodes, and the cost so
 * far (every node's running time at its own $/hour).
 */
import type { Cluster, ClusterNode } from '@ferry/api';
import { roundUsd, runningCost, type ClusterState, type ComputeContext } from '@ferry/core';
import type { Kysely, Selectable } from 'kysely';
import type { ClusterNodesTable } from '../db/tables/compute-tables.ts';
import type { ClusterRow } from './cluster-transitions.ts';
import type { Database } from '../db/database.ts';

/** A cluster_nodes row. */
export type ClusterNodeRow = Selectable<ClusterNodesTable>;

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

/** One node as the API shows it. */
export function nodeView(row: ClusterNodeRow): ClusterNode {
  return {
    instanceId: row.instance_id,
    instanceType: row.instance_type,
    availabilityZone: row.availability_zone,
    privateIp: row.private_ip,
    ec2State: row.ec2_state,
    agentState: row.agent_state,
    launchedAt: row.launched_at.toISOString(),
    registeredAt: iso(row.registered_at),
    lastHeartbeatAt: iso(row.last_heartbeat_at),
    terminatedAt: iso(row.terminated_at),
  };
}

/** Cost so far of the nodes: each node's run (launch → termination, or now) × its $/hour. */
export function clusterRunningCost(nodes: readonly ClusterNodeRow[], now: Date): number {
  const total = nodes.reduce(
    (sum, n) =>
      sum +
      runningCost(
        n.usd_per_hour,
        [
          {
            start: n.launched_at.getTime(),
            ...(n.terminated_at ? { end: n.terminated_at.getTime() } : {}),
          },
        ],
        now.getTime(),
      ),
    0,
  );
  return roundUsd(total);
}

/** The API shape of a cluster row and its nodes. */
export function clusterView(row: ClusterRow, nodes: readonly ClusterNodeRow[], now: Date): Cluster {
  const context = row.context as unknown as ComputeContext;
  const sizing = context.sizing;
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    manifest: row.manifest,
    state: row.state as ClusterState,
    reason: row.reason as Cluster['reason'],
    error:
      row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? '' },
    region: row.region,
    cpus: sizing.kind === 'bounds' ? sizing.cpus : null,
    memory: sizing.kind === 'bounds' ? sizing.memoryGiB : null,
    requestedInstanceType: sizing.kind === 'instanceType' ? sizing.instanceType : null,
    architecture: context.architecture,
    storage: context.storageGiB,
    clusterSize: context.clusterSize,
    connectionMode: context.connectionMode,
    idleTimeoutMins: context.idleTimeoutMins,
    labels: { ...context.labels },
    instanceType: row.instance_type,
    usdPerHour: row.usd_per_hour,
    selection: (row.selection as Cluster['selection']) ?? null,
    runningCostUsd: clusterRunningCost(nodes, now),
    nodes: [...nodes]
      .sort((a, b) => a.launched_at.getTime() - b.launched_at.getTime())
      .map(nodeView),
    startedBy: { kind: row.started_by_kind, id: row.started_by_id },
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    stoppedAt: iso(row.stopped_at),
    lastActivityAt: row.last_activity_at.toISOString(),
    revision: row.revision,
  };
}

/** Views of several clusters, their nodes loaded in one query. */
export async function clusterViews(
  db: Kysely<Database>,
  rows: readonly ClusterRow[],
  now: Date,
): Promise<Cluster[]> {
  if (rows.length === 0) return [];
  const nodes = await db
    .selectFrom('cluster_nodes')
    .selectAll()
    .where(
      'cluster_id',
      'in',
      rows.map((r) => r.id),
    )
    .execute();
  const byCluster = new Map<string, ClusterNodeRow[]>();
  for (const n of nodes) {
    const list = byCluster.get(n.cluster_id) ?? [];
    list.push(n);
    byCluster.set(n.cluster_id, list);
  }
  return rows.map((r) => clusterView(r, byCluster.get(r.id) ?? [], now));
}
