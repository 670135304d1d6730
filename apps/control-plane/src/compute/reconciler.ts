/**
 * The reconciler: once per cycle and per workspace with clusters to watch, ONE tag-filtered,
 * paged DescribeInstances (Unattended role, actor `system:reconciler`) — never one call per
 * cluster — then `planReconcile`'s actions: adopt instances launched but never recorded
 * (nodes and fleet ids written), terminate the ones nobody wants (one batched call), mark
 * Stopping clusters Stopped once EC2 shows their instances terminated, fail Starting clusters
 * whose nodes never registered (`bootstrap-watch.ts`); and every node's
 * `ec2_state` / `terminated_at` refreshed from the same answer.
 */
import {
  FLEET_ID_TAG,
  planReconcile,
  type ClusterRecord,
  type ClusterState,
  type ComputeContext,
  type ReconcileAction,
} from '@ferry/core';
import type { Resources } from '../resources.ts';
import { failStalledBootstraps } from './bootstrap-watch.ts';
import { applyClusterEvent } from './cluster-transitions.ts';
import { recordNodes } from './node-records.ts';
import { observeInstances, type ObservedEc2Instance } from './observe.ts';
import { refreshNodes, terminateInstances } from './stopper.ts';
import { sweepWorkspaces, type SweepOptions, type SweepReport } from './workspace-sweep.ts';

/** Cluster states the reconciler watches. */
const WATCHED: readonly ClusterState[] = ['Starting', 'Idle', 'Busy', 'Stopping'];

/** Actions a reconcile cycle executed, by kind. */
export type ReconcileTally = {
  adopt: number;
  terminate: number;
  markStopped: number;
  bootFailed: number;
};

/** The outcome of one cycle. */
export type ReconcileReport = SweepReport<ReconcileTally>;

/** Workspaces with a live or stopping cluster, or a node not known terminated. */
async function workspacesToWatch(resources: Resources): Promise<string[]> {
  const db = resources.db;
  const rows = await db
    .selectFrom('clusters')
    .select('workspace_id')
    .where('state', 'in', WATCHED)
    .union(db.selectFrom('cluster_nodes').select('workspace_id').where('terminated_at', 'is', null))
    .execute();
  return [...new Set(rows.map((r) => r.workspace_id))].sort();
}

/** The database's view of the workspace's clusters that matter to this observation. */
async function clusterRecords(
  resources: Resources,
  workspaceId: string,
  seen: readonly ObservedEc2Instance[],
): Promise<ClusterRecord[]> {
  const db = resources.db;
  const tagged = [...new Set(seen.flatMap((i) => i.tags['ferry:cluster'] ?? []))];
  const rows = await db
    .selectFrom('clusters')
    .select(['id', 'state', 'context', 'fleet_ids', 'launch_attempt', 'launched_at'])
    .where('workspace_id', '=', workspaceId)
    .where((eb) =>
      tagged.length > 0
        ? eb.or([eb('state', 'in', WATCHED), eb('id', 'in', tagged)])
        : eb('state', 'in', WATCHED),
    )
    .execute();
  if (rows.length === 0) return [];
  const nodes = await db
    .selectFrom('cluster_nodes')
    .select(['cluster_id', 'instance_id'])
    .where(
      'cluster_id',
      'in',
      rows.map((r) => r.id),
    )
    .execute();
  return rows.map((r) => ({
    id: r.id,
    state: r.state as ClusterState,
    clusterSize: (r.context as unknown as ComputeContext).clusterSize,
    fleetIds: r.fleet_ids,
    instanceIds: nodes.filter((n) => n.cluster_id === r.id).map((n) => n.instance_id),
    launchAttempt: r.launch_attempt,
    ...(r.launched_at ? { launchedAt: r.launched_at.getTime() } : {}),
  }));
}

/** Recorded nodes EC2 no longer lists at all (terminated long ago), past the launch grace. */
async function forgetVanished(
  resources: Resources,
  workspaceId: string,
  seen: readonly ObservedEc2Instance[],
): Promise<void> {
  const db = resources.db;
  const now = resources.clock.now();
  const cutoff = new Date(now.getTime() - resources.config.compute.launchGraceMs);
  const visible = new Set(seen.map((i) => i.instanceId));
  const open = await db
    .selectFrom('cluster_nodes')
    .select(['instance_id'])
    .where('workspace_id', '=', workspaceId)
    .where('terminated_at', 'is', null)
    .where('launched_at', '<', cutoff)
    .execute();
  const gone = open.map((n) => n.instance_id).filter((id) => !visible.has(id));
  if (gone.length === 0) return;
  await db
    .updateTable('cluster_nodes')
    .set({ ec2_state: 'terminated', terminated_at: now })
    .where('instance_id', 'in', gone)
    .execute();
}

/** Executes the plan of one workspace; returns the executed actions. */
async function execute(
  resources: Resources,
  workspaceId: string,
  actions: readonly ReconcileAction[],
  seen: readonly ObservedEc2Instance[],
  terminate: (ids: string[]) => Promise<void>,
): Promise<ReconcileTally> {
  const done = { adopt: 0, terminate: 0, markStopped: 0, bootFailed: 0 };
  const byId = new Map(seen.map((i) => [i.instanceId, i]));
  const db = resources.db;
  const terminations = actions.flatMap((a) => (a.kind === 'terminate' ? [a.instanceId] : []));
  if (terminations.length > 0) {
    await terminate(terminations);
    done.terminate = terminations.length;
    resources.log.info(
      { workspaceId, instanceIds: terminations },
      'reconciler terminated instances',
    );
  }
  for (const a of actions) {
    if (a.kind === 'adopt') {
      const row = await db
        .selectFrom('clusters')
        .selectAll()
        .where('id', '=', a.clusterId)
        .executeTakeFirst();
      if (!row) continue;
      await recordNodes(
        resources,
        row,
        a.instanceIds.flatMap((id) => {
          const i = byId.get(id);
          if (!i) return [];
          return [
            {
              instanceId: id,
              instanceType: i.instanceType,
              ...(i.availabilityZone ? { availabilityZone: i.availabilityZone } : {}),
              ...(i.privateIp ? { privateIp: i.privateIp } : {}),
              ec2State: i.state,
              launchedAt: new Date(i.launchTime),
            },
          ];
        }),
        a.fleetIds.length > 0
          ? a.fleetIds
          : [...new Set(a.instanceIds.flatMap((id) => byId.get(id)?.tags[FLEET_ID_TAG] ?? []))],
      );
      done.adopt += a.instanceIds.length;
      resources.log.info(
        { workspaceId, clusterId: a.clusterId, instanceIds: a.instanceIds },
        'reconciler adopted instances',
      );
    } else if (a.kind === 'markStopped') {
      const applied = await applyClusterEvent(
        resources,
        a.clusterId,
        { type: 'terminated' },
        {
          message: 'EC2 reports every instance terminated',
        },
      );
      if (applied.applied) done.markStopped++;
    }
  }
  return done;
}

/** One reconcile cycle (default: every workspace with something to watch). */
export async function reconcile(
  resources: Resources,
  options: SweepOptions = {},
): Promise<ReconcileReport> {
  return sweepWorkspaces(
    resources,
    options.workspaceIds ?? (await workspacesToWatch(resources)),
    {
      actor: 'reconciler',
      actions: { adopt: 0, terminate: 0, markStopped: 0, bootFailed: 0 },
      signal: options.signal,
    },
    async (workspaceId, ec2, send) => {
      const seen = await observeInstances(ec2, workspaceId, send);
      await refreshNodes(resources, seen);
      await forgetVanished(resources, workspaceId, seen);
      // Before planning, so the plan terminates a cluster failed here in this same cycle.
      const bootFailed = await failStalledBootstraps(resources, workspaceId, seen, ec2, send);
      const plan = planReconcile({
        workspaceId,
        clusters: await clusterRecords(resources, workspaceId, seen),
        instances: seen,
        now: resources.clock.now().getTime(),
        graceMs: resources.config.compute.launchGraceMs,
      });
      const done = await execute(resources, workspaceId, plan, seen, (ids) =>
        terminateInstances(ec2, ids, send),
      );
      return { ...done, bootFailed };
    },
  );
}
