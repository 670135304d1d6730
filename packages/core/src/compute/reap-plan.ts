/**
 * The reaper's plan, run with the Unattended role only: stop clusters idle past their
 * timeout, terminate ferry-tagged instances no live cluster wants (orphans), and delete the
 * fleets and launch templates of clusters that are gone. Anything not tagged as ferry's for
 * this workspace is never touched (the IAM policy would deny it anyway).
 */
import { isLiveClusterState, type ClusterState } from './cluster-state.ts';
import {
  clusterOf,
  isActiveInstance,
  isFerryManaged,
  type ObservedInstance,
} from './observed-instance.ts';
import { DEFAULT_LAUNCH_GRACE_MS } from './reconcile-plan.ts';

/** A cluster as the reaper sees it (times in ms since the epoch). */
export interface ReapClusterRecord {
  readonly id: string;
  readonly state: ClusterState;
  readonly idleTimeoutMins: number;
  /** When the cluster last ran a query or had a client connected (or became Idle). */
  readonly lastActivityAt: number;
  /** The last heartbeat from any node; undefined if none yet. */
  readonly lastHeartbeatAt?: number;
  readonly startedAt: number;
}

/** A fleet as DescribeFleets shows it. */
export interface ObservedFleet {
  readonly fleetId: string;
  /** EC2's FleetState: active, deleted, deleted_running, deleted_terminating, … */
  readonly state: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly createTime: number;
}

/** A launch template as DescribeLaunchTemplates shows it. */
export interface ObservedLaunchTemplate {
  readonly launchTemplateId: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly createTime: number;
}

/** What the reaper sees. */
export interface ReapInput {
  readonly workspaceId: string;
  readonly clusters: readonly ReapClusterRecord[];
  readonly instances: readonly ObservedInstance[];
  readonly fleets: readonly ObservedFleet[];
  readonly launchTemplates: readonly ObservedLaunchTemplate[];
  readonly now: number;
  /** Resources of an unknown cluster younger than this are left alone (default 5 minutes). */
  readonly graceMs?: number;
}

/** One step of the reaper's plan. */
export type ReapAction =
  | { readonly kind: 'stopCluster'; readonly clusterId: string; readonly reason: 'StoppedInactive' }
  | {
      readonly kind: 'terminate';
      readonly instanceId: string;
      readonly clusterId?: string;
      readonly reason: 'idle' | 'orphan';
    }
  | { readonly kind: 'deleteFleet'; readonly fleetId: string; readonly clusterId?: string }
  | {
      readonly kind: 'deleteLaunchTemplate';
      readonly launchTemplateId: string;
      readonly clusterId?: string;
    };

/** True when a live cluster has been idle (or silent) for its whole timeout. */
export function isIdlePastTimeout(c: ReapClusterRecord, now: number): boolean {
  if (!isLiveClusterState(c.state)) return false;
  const timeout = c.idleTimeoutMins * 60_000;
  // A node that stopped heartbeating serves nobody, whatever its last reported state.
  const silentSince = c.lastHeartbeatAt ?? c.startedAt;
  if (now - silentSince >= timeout) return true;
  return c.state === 'Idle' && now - c.lastActivityAt >= timeout;
}

/** The reaper's actions, in a deterministic order. */
export function planReap(input: ReapInput): ReapAction[] {
  const grace = input.graceMs ?? DEFAULT_LAUNCH_GRACE_MS;
  const records = new Map(input.clusters.map((c) => [c.id, c]));
  const byId =
    <T>(key: (t: T) => string) =>
    (a: T, b: T) =>
      key(a).localeCompare(key(b));
  const actions: ReapAction[] = [];

  const idle = new Set<string>();
  for (const c of [...input.clusters].sort(byId((c) => c.id))) {
    if (isIdlePastTimeout(c, input.now)) {
      idle.add(c.id);
      actions.push({ kind: 'stopCluster', clusterId: c.id, reason: 'StoppedInactive' });
    }
  }

  /** 'idle' or 'orphan' when nothing should keep a resource of `clusterId`, else undefined. */
  const unwanted = (clusterId: string | undefined, createdAt: number, stoppingCounts: boolean) => {
    const rec = clusterId === undefined ? undefined : records.get(clusterId);
    if (!rec) return input.now - createdAt >= grace ? 'orphan' : undefined;
    if (idle.has(rec.id)) return 'idle';
    if (isLiveClusterState(rec.state)) return undefined;
    return rec.state === 'Stopping' && !stoppingCounts ? undefined : 'orphan';
  };

  for (const i of [...input.instances].sort(byId((i) => i.instanceId))) {
    if (!isFerryManaged(i.tags, input.workspaceId) || !isActiveInstance(i)) continue;
    const clusterId = clusterOf(i.tags);
    const reason = unwanted(clusterId, i.launchTime, true);
    if (reason) {
      actions.push({
        kind: 'terminate',
        instanceId: i.instanceId,
        reason,
        ...(clusterId ? { clusterId } : {}),
      });
    }
  }
  // Fleets and templates go once their cluster is Stopped, Failed or unknown.
  const gone = (clusterId: string | undefined, createdAt: number): boolean => {
    const rec = clusterId === undefined ? undefined : records.get(clusterId);
    return rec ? rec.state === 'Stopped' || rec.state === 'Failed' : input.now - createdAt >= grace;
  };
  for (const f of [...input.fleets].sort(byId((f) => f.fleetId))) {
    if (!isFerryManaged(f.tags, input.workspaceId) || f.state.startsWith('deleted')) continue;
    const clusterId = clusterOf(f.tags);
    if (gone(clusterId, f.createTime)) {
      actions.push({
        kind: 'deleteFleet',
        fleetId: f.fleetId,
        ...(clusterId ? { clusterId } : {}),
      });
    }
  }
  for (const t of [...input.launchTemplates].sort(byId((t) => t.launchTemplateId))) {
    if (!isFerryManaged(t.tags, input.workspaceId)) continue;
    const clusterId = clusterOf(t.tags);
    if (gone(clusterId, t.createTime)) {
      actions.push({
        kind: 'deleteLaunchTemplate',
        launchTemplateId: t.launchTemplateId,
        ...(clusterId ? { clusterId } : {}),
      });
    }
  }
  return actions;
}
