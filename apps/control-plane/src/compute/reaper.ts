/**
 * The reaper: the backstop for forgotten compute, with the Unattended role ONLY (actor
 * `system:reaper`), so it keeps working when the UserInitiated role is broken. Per connected
 * workspace: DescribeInstances, DescribeFleets and DescribeLaunchTemplates (tag-filtered),
 * then `planReap` — clusters idle past their timeout are stopped (StoppedInactive) and their
 * instances terminated, orphans terminated, fleets and launch templates of clusters that are
 * gone deleted. Only resources tagged as this workspace's ferry resources are ever touched;
 * the IAM policy denies the rest anyway.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import {
  planReap,
  type ClusterState,
  type ComputeContext,
  type ReapAction,
  type ReapClusterRecord,
} from '@ferry/core';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { loadEc2Sdk } from '../aws/ec2-sdk.ts';
import type { Resources } from '../resources.ts';
import { applyClusterEvent } from './cluster-transitions.ts';
import { stopClusterJob } from './compute-job-types.ts';
import { abortable, retryEc2, type SendOptions } from './ec2-retry.ts';
import { observeFleets, observeInstances, observeLaunchTemplates } from './observe.ts';
import { deleteLaunchTemplate, terminateInstances } from './stopper.ts';
import { sweepWorkspaces, type SweepOptions, type SweepReport } from './workspace-sweep.ts';

const LIVE: readonly ClusterState[] = ['Starting', 'Idle', 'Busy'];

/** Actions a reaper cycle executed, by kind. */
export type ReapTally = {
  stopCluster: number;
  terminate: number;
  deleteFleet: number;
  deleteLaunchTemplate: number;
};

/** The outcome of one reaper cycle. */
export type ReapReport = SweepReport<ReapTally>;

async function reapRecords(
  resources: Resources,
  workspaceId: string,
  referenced: readonly string[],
): Promise<ReapClusterRecord[]> {
  const rows = await resources.db
    .selectFrom('clusters')
    .select(['id', 'state', 'context', 'last_activity_at', 'last_heartbeat_at', 'created_at'])
    .where('workspace_id', '=', workspaceId)
    .where((eb) =>
      referenced.length > 0
        ? eb.or([eb('state', 'in', [...LIVE, 'Stopping']), eb('id', 'in', referenced)])
        : eb('state', 'in', [...LIVE, 'Stopping']),
    )
    .execute();
  return rows.map((r) => ({
    id: r.id,
    state: r.state as ClusterState,
    idleTimeoutMins: (r.context as unknown as ComputeContext).idleTimeoutMins,
    lastActivityAt: r.last_activity_at.getTime(),
    ...(r.last_heartbeat_at ? { lastHeartbeatAt: r.last_heartbeat_at.getTime() } : {}),
    startedAt: r.created_at.getTime(),
  }));
}

async function deleteFleets(
  ec2: EC2Client,
  ids: readonly string[],
  send: SendOptions,
): Promise<void> {
  const { DeleteFleetsCommand } = await loadEc2Sdk();
  // DeleteFleets takes at most 25 ids; an instant fleet is deleted with its instances.
  for (let i = 0; i < ids.length; i += 25) {
    const batch = ids.slice(i, i + 25);
    await retryEc2(
      (signal) =>
        ec2.send(
          new DeleteFleetsCommand({ FleetIds: batch, TerminateInstances: true }),
          abortable(signal),
        ),
      send,
    );
  }
}

async function execute(
  resources: Resources,
  workspaceId: string,
  plan: readonly ReapAction[],
  ec2: EC2Client,
  send: SendOptions,
): Promise<ReapTally> {
  const done = { stopCluster: 0, terminate: 0, deleteFleet: 0, deleteLaunchTemplate: 0 };
  for (const a of plan) {
    if (a.kind !== 'stopCluster') continue;
    const stopped = await resources.db.transaction().execute(async (trx) => {
      const applied = await applyClusterEvent(
        resources,
        a.clusterId,
        { type: 'stop', reason: 'StoppedInactive' },
        { trx, message: 'idle past its timeout: stopped by the reaper' },
      );
      if (!applied.applied) return false;
      // The stop job (as the reaper) marks it Stopped once EC2 shows it terminated.
      await resources.jobs.enqueue(
        stopClusterJob,
        { clusterId: a.clusterId, role: 'Unattended', actor: { kind: 'system', name: 'reaper' } },
        { db: trx as unknown as Kysely<Database>, dedupeKey: `compute.stop:${a.clusterId}` },
      );
      return true;
    });
    if (stopped) done.stopCluster++;
  }
  const terminations = plan.flatMap((a) => (a.kind === 'terminate' ? [a.instanceId] : []));
  if (terminations.length > 0) {
    await terminateInstances(ec2, terminations, send);
    done.terminate = terminations.length;
  }
  const fleets = plan.flatMap((a) => (a.kind === 'deleteFleet' ? [a.fleetId] : []));
  if (fleets.length > 0) {
    await deleteFleets(ec2, fleets, send);
    done.deleteFleet = fleets.length;
  }
  for (const a of plan) {
    if (a.kind !== 'deleteLaunchTemplate') continue;
    await deleteLaunchTemplate(ec2, a.launchTemplateId, send);
    done.deleteLaunchTemplate++;
  }
  if (plan.length > 0) resources.log.info({ workspaceId, actions: plan }, 'reaper acted');
  return done;
}

/** Connected workspaces (the reaper looks for orphans even where no cluster is recorded). */
async function connectedWorkspaces(resources: Resources): Promise<string[]> {
  const rows = await resources.db
    .selectFrom('aws_setups')
    .select('workspace_id')
    .where('status', 'in', ['active', 'degraded'])
    .execute();
  return rows.map((r) => r.workspace_id).sort();
}

/** One reaper cycle (default: every connected workspace). */
export async function reap(resources: Resources, options: SweepOptions = {}): Promise<ReapReport> {
  return sweepWorkspaces(
    resources,
    options.workspaceIds ?? (await connectedWorkspaces(resources)),
    {
      actor: 'reaper',
      actions: { stopCluster: 0, terminate: 0, deleteFleet: 0, deleteLaunchTemplate: 0 },
      signal: options.signal,
    },
    async (workspaceId, ec2, send) => {
      const [instances, fleets, launchTemplates] = await Promise.all([
        observeInstances(ec2, workspaceId, send),
        observeFleets(ec2, workspaceId, send),
        observeLaunchTemplates(ec2, workspaceId, send),
      ]);
      const referenced = [
        ...new Set(
          [...instances, ...fleets, ...launchTemplates].flatMap(
            (r) => r.tags['ferry:cluster'] ?? [],
          ),
        ),
      ];
      const plan = planReap({
        workspaceId,
        clusters: await reapRecords(resources, workspaceId, referenced),
        instances,
        fleets,
        launchTemplates,
        now: resources.clock.now().getTime(),
        graceMs: resources.config.compute.launchGraceMs,
      });
      return execute(resources, workspaceId, plan, ec2, send);
    },
  );
}
