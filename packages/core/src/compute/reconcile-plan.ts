/**
 * The reconciler's plan: from the clusters ferry's database wants and the instances one
 * tag-filtered DescribeInstances reports, the actions that converge them. Pure: the
 * control plane executes the actions and records their outcome.
 *
 * - An instance tagged for a live cluster but not recorded (a crash between CreateFleet
 *   and the database write) is adopted.
 * - A live cluster with more active instances than its size (two fleets, a retried launch)
 *   keeps a deterministic choice — recorded first, then its recorded fleets in order, then
 *   the earliest launched — and the extras are terminated.
 * - Instances of a cluster that is stopping, stopped or failed are terminated; instances of
 *   an unknown cluster too, once older than the grace window (its record may be in flight).
 * - A Stopping cluster is marked Stopped only when no instance of it is visible other than
 *   as terminated and its last launch is older than the grace window, since EC2 may not
 *   yet list instances it has just launched.
 */
import { isLiveClusterState, type ClusterState } from './cluster-state.ts';
import {
  FLEET_ID_TAG,
  clusterOf,
  isActiveInstance,
  isFerryManaged,
  type ObservedInstance,
} from './observed-instance.ts';

/** A cluster as the database records it. */
export interface ClusterRecord {
  readonly id: string;
  readonly state: ClusterState;
  readonly clusterSize: number;
  /** Fleets recorded for the cluster, oldest first. */
  readonly fleetIds: readonly string[];
  readonly instanceIds: readonly string[];
  readonly launchAttempt: number;
  /** When the last CreateFleet was sent (ms); undefined if never. */
  readonly launchedAt?: number;
}

/** Why the reconciler terminates an instance. */
export type ReconcileTerminateReason = 'cluster_not_live' | 'unknown_cluster' | 'excess';

/** One step of the plan. */
export type ReconcileAction =
  | {
      readonly kind: 'adopt';
      readonly clusterId: string;
      readonly instanceIds: readonly string[];
      readonly fleetIds: readonly string[];
    }
  | {
      readonly kind: 'terminate';
      readonly instanceId: string;
      readonly clusterId?: string;
      readonly reason: ReconcileTerminateReason;
    }
  | { readonly kind: 'markStopped'; readonly clusterId: string };

/** What the reconciler sees. */
export interface ReconcileInput {
  readonly workspaceId: string;
  readonly clusters: readonly ClusterRecord[];
  readonly instances: readonly ObservedInstance[];
  readonly now: number;
  /** How long a launch may stay invisible to DescribeInstances (default 5 minutes). */
  readonly graceMs?: number;
}

/** Default grace window for EC2's eventual consistency after a launch. */
export const DEFAULT_LAUNCH_GRACE_MS = 5 * 60_000;

/** The actions that converge recorded and observed state; empty when they agree. */
export function planReconcile(input: ReconcileInput): ReconcileAction[] {
  const grace = input.graceMs ?? DEFAULT_LAUNCH_GRACE_MS;
  const records = new Map(input.clusters.map((c) => [c.id, c]));
  const seen = new Map<string, ObservedInstance>();
  for (const i of input.instances) seen.set(i.instanceId, i);
  const ours = [...seen.values()]
    .filter((i) => isFerryManaged(i.tags, input.workspaceId))
    .sort((a, b) => a.instanceId.localeCompare(b.instanceId));

  const actions: ReconcileAction[] = [];
  const liveMembers = new Map<string, ObservedInstance[]>();
  for (const i of ours) {
    if (!isActiveInstance(i)) continue;
    const clusterId = clusterOf(i.tags);
    const rec = clusterId === undefined ? undefined : records.get(clusterId);
    if (!rec) {
      if (input.now - i.launchTime >= grace) {
        actions.push({
          kind: 'terminate',
          instanceId: i.instanceId,
          reason: 'unknown_cluster',
          ...(clusterId ? { clusterId } : {}),
        });
      }
    } else if (!isLiveClusterState(rec.state)) {
      actions.push({
        kind: 'terminate',
        instanceId: i.instanceId,
        clusterId: rec.id,
        reason: 'cluster_not_live',
      });
    } else {
      liveMembers.set(rec.id, [...(liveMembers.get(rec.id) ?? []), i]);
    }
  }

  for (const rec of [...input.clusters].sort((a, b) => a.id.localeCompare(b.id))) {
    if (isLiveClusterState(rec.state)) {
      const members = [...(liveMembers.get(rec.id) ?? [])].sort(keepOrder(rec));
      const kept = members.slice(0, rec.clusterSize);
      for (const extra of members.slice(rec.clusterSize)) {
        actions.push({
          kind: 'terminate',
          instanceId: extra.instanceId,
          clusterId: rec.id,
          reason: 'excess',
        });
      }
      const unrecorded = kept.filter((i) => !rec.instanceIds.includes(i.instanceId));
      if (unrecorded.length > 0) {
        const fleets = unrecorded
          .map((i) => i.tags[FLEET_ID_TAG])
          .filter((f): f is string => f !== undefined && !rec.fleetIds.includes(f));
        actions.push({
          kind: 'adopt',
          clusterId: rec.id,
          instanceIds: unrecorded.map((i) => i.instanceId),
          fleetIds: [...new Set(fleets)].sort(),
        });
      }
    } else if (rec.state === 'Stopping') {
      const settled = rec.launchedAt === undefined || input.now - rec.launchedAt >= grace;
      const lingering =
        ours.some((i) => clusterOf(i.tags) === rec.id && i.state !== 'terminated') ||
        rec.instanceIds.some((id) => {
          const i = seen.get(id);
          return i !== undefined && i.state !== 'terminated';
        });
      if (settled && !lingering) actions.push({ kind: 'markStopped', clusterId: rec.id });
    }
  }
  return actions;
}

/** Which of a live cluster's instances to keep first. */
function keepOrder(rec: ClusterRecord): (a: ObservedInstance, b: ObservedInstance) => number {
  const fleetRank = (i: ObservedInstance): number => {
    const at = rec.fleetIds.indexOf(i.tags[FLEET_ID_TAG] ?? '');
    return at === -1 ? rec.fleetIds.length : at;
  };
  const recorded = (i: ObservedInstance): number =>
    rec.instanceIds.includes(i.instanceId) ? 0 : 1;
  return (a, b) =>
    recorded(a) - recorded(b) ||
    fleetRank(a) - fleetRank(b) ||
    a.launchTime - b.launchTime ||
    a.instanceId.localeCompare(b.instanceId);
}
