/**
 * The stop job: terminates every instance of a stopping cluster — the recorded ones and any
 * EC2 shows tagged for it (a launch recorded nowhere) — with the role the job names, and
 * marks the cluster Stopped (event `terminated`) only once DescribeInstances shows every one
 * of them terminated. Until then the job polls, then fails so the queue runs it again (the
 * reconciler marks it Stopped too, whichever sees it first). The launch template goes last.
 */
import type { CustomerRole } from '@ferry/aws-template';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { isActiveInstance, type RetryPolicy } from '@ferry/core';
import type { BrokerActor } from '../aws/credential-broker.ts';
import { loadEc2Sdk } from '../aws/ec2-sdk.ts';
import type { Resources } from '../resources.ts';
import { applyClusterEvent } from './cluster-transitions.ts';
import {
  abortable,
  describeAwsError,
  retryEc2,
  type CallCounter,
  type SendOptions,
} from './ec2-retry.ts';
import { startedBy } from './cluster-actor.ts';
import { observeInstances, type ObservedEc2Instance } from './observe.ts';
import { ec2As, loadWorkspaceAws } from './workspace-aws.ts';

/** What one stop job run did. */
export interface StopOutcome {
  readonly status: 'stopped' | 'pending' | 'skipped';
  readonly terminated: readonly string[];
  readonly awsCalls: number;
}

/** Options of {@link stopClusterInstances}. */
export interface StopOptions {
  readonly role: CustomerRole;
  /** Who acts (default: the cluster's starter for UserInitiated, `system:reaper` otherwise). */
  readonly actor?: BrokerActor;
  readonly signal?: AbortSignal;
  /** How long to wait for EC2 to report the instances terminated (default 90 s). */
  readonly waitMs?: number;
  readonly pollMs?: number;
  readonly policy?: RetryPolicy;
}

/** The cluster is still waiting for its instances to terminate; the job runs again. */
export class InstancesStillTerminatingError extends Error {
  constructor(clusterId: string, ids: readonly string[]) {
    super(`cluster ${clusterId}: waiting for ${ids.join(', ') || 'instances'} to terminate`);
  }
}

/** Terminates instances in batches (EC2 takes up to 1000 ids per call); ignores ids EC2 no longer knows. */
export async function terminateInstances(
  ec2: EC2Client,
  ids: readonly string[],
  send: SendOptions,
): Promise<void> {
  const { TerminateInstancesCommand } = await loadEc2Sdk();
  for (let i = 0; i < ids.length; i += 1000) {
    const batch = ids.slice(i, i + 1000);
    try {
      await retryEc2(
        (signal) =>
          ec2.send(new TerminateInstancesCommand({ InstanceIds: batch }), abortable(signal)),
        send,
      );
    } catch (err) {
      // One unknown id fails the whole call: retry the others one by one.
      if (!describeAwsError(err).code.startsWith('InvalidInstanceID') || batch.length === 1) {
        if (describeAwsError(err).code.startsWith('InvalidInstanceID')) continue;
        throw err;
      }
      for (const id of batch) await terminateInstances(ec2, [id], send);
    }
  }
}

/** Deletes a launch template, ignoring one already gone. */
export async function deleteLaunchTemplate(
  ec2: EC2Client,
  launchTemplateId: string,
  send: SendOptions,
): Promise<void> {
  const { DeleteLaunchTemplateCommand } = await loadEc2Sdk();
  try {
    await retryEc2(
      (signal) =>
        ec2.send(
          new DeleteLaunchTemplateCommand({ LaunchTemplateId: launchTemplateId }),
          abortable(signal),
        ),
      send,
    );
  } catch (err) {
    if (!describeAwsError(err).code.startsWith('InvalidLaunchTemplateId')) throw err;
  }
}

/**
 * Stores what EC2 showed of the recorded nodes (state, termination time, addresses), writing
 * only what changed and in batches: one UPDATE per distinct new state (a cycle that sees a
 * thousand nodes go from pending to running writes them in one statement), one per node
 * whose address changed (rare), and one revision bump for all the clusters touched.
 * Answers how many clusters changed.
 */
export async function refreshNodes(
  resources: Pick<Resources, 'db' | 'clock'>,
  seen: readonly ObservedEc2Instance[],
): Promise<number> {
  if (seen.length === 0) return 0;
  const db = resources.db;
  const now = resources.clock.now();
  const rows = await db
    .selectFrom('cluster_nodes')
    .select(['instance_id', 'cluster_id', 'ec2_state', 'private_ip', 'public_ip', 'terminated_at'])
    .where(
      'instance_id',
      'in',
      seen.map((i) => i.instanceId),
    )
    .execute();
  const byId = new Map(seen.map((i) => [i.instanceId, i]));
  const touched = new Set<string>();
  /** Nodes whose only change is the state (and maybe its end), by `state` + ended. */
  const byState = new Map<string, { state: string; ended: boolean; ids: string[] }>();
  const addressed: { id: string; set: Record<string, unknown> }[] = [];
  for (const r of rows) {
    const i = byId.get(r.instance_id);
    if (!i) continue;
    const ended = i.state === 'terminated' && r.terminated_at === null;
    const ip = r.private_ip === null && i.privateIp ? i.privateIp : undefined;
    // A public address changes when a stopped instance starts again: keep EC2's latest.
    const publicIp =
      i.publicIp !== undefined && i.publicIp !== r.public_ip ? i.publicIp : undefined;
    if (i.state === r.ec2_state && !ended && ip === undefined && publicIp === undefined) continue;
    touched.add(r.cluster_id);
    if (ip === undefined && publicIp === undefined) {
      const key = `${i.state}:${ended}`;
      const group = byState.get(key) ?? { state: i.state, ended, ids: [] };
      group.ids.push(r.instance_id);
      byState.set(key, group);
      continue;
    }
    addressed.push({
      id: r.instance_id,
      set: {
        ec2_state: i.state,
        ...(ended ? { terminated_at: now } : {}),
        ...(ip !== undefined ? { private_ip: ip } : {}),
        ...(publicIp !== undefined ? { public_ip: publicIp } : {}),
      },
    });
  }
  for (const g of byState.values()) {
    for (let k = 0; k < g.ids.length; k += BATCH) {
      await db
        .updateTable('cluster_nodes')
        .set({ ec2_state: g.state, ...(g.ended ? { terminated_at: now } : {}) })
        .where('instance_id', 'in', g.ids.slice(k, k + BATCH))
        .execute();
    }
  }
  for (const a of addressed) {
    await db.updateTable('cluster_nodes').set(a.set).where('instance_id', '=', a.id).execute();
  }
  const clusters = [...touched];
  for (let k = 0; k < clusters.length; k += BATCH) {
    await db
      .updateTable('clusters')
      .set((eb) => ({ updated_at: now, revision: eb('revision', '+', 1) }))
      .where('id', 'in', clusters.slice(k, k + BATCH))
      .execute();
  }
  return touched.size;
}

/** Ids per batched statement (well under PostgreSQL's 65,535 parameters). */
const BATCH = 1000;

/** Runs the stop job for `clusterId`. */
export async function stopClusterInstances(
  resources: Resources,
  clusterId: string,
  options: StopOptions,
): Promise<StopOutcome> {
  const counter: CallCounter = { calls: 0 };
  const send: SendOptions = {
    counter,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.policy ? { policy: options.policy } : {}),
  };
  const db = resources.db;
  const row = await db
    .selectFrom('clusters')
    .selectAll()
    .where('id', '=', clusterId)
    .executeTakeFirst();
  if (!row || (row.state !== 'Stopping' && row.state !== 'Failed')) {
    return { status: 'skipped', terminated: [], awsCalls: 0 };
  }
  const ws = await loadWorkspaceAws(resources, row.workspace_id);
  const actor: BrokerActor =
    options.actor ??
    (options.role === 'UserInitiated' ? startedBy(row) : { kind: 'system', name: 'reaper' });
  const ec2 = await ec2As(resources, ws, options.role, actor);
  const graceMs = resources.config.compute.launchGraceMs;
  const waitMs = options.waitMs ?? 90_000;
  const pollMs = options.pollMs ?? 1000;
  const deadline = Date.now() + waitMs;
  const terminated = new Set<string>();
  try {
    for (;;) {
      const seen = await observeInstances(ec2, ws.workspaceId, { ...send, clusterId });
      await refreshNodes(resources, seen);
      const recorded = await db
        .selectFrom('cluster_nodes')
        .select(['instance_id', 'launched_at', 'terminated_at'])
        .where('cluster_id', '=', clusterId)
        .execute();
      const seenIds = new Map(seen.map((i) => [i.instanceId, i]));
      const now = resources.clock.now().getTime();
      // Recorded but invisible: still settling right after launch, or long gone.
      const invisible = recorded.filter(
        (r) => r.terminated_at === null && !seenIds.has(r.instance_id),
      );
      const unsettled = invisible.filter((r) => now - r.launched_at.getTime() < graceMs);
      const gone = invisible.filter((r) => now - r.launched_at.getTime() >= graceMs);
      if (gone.length > 0) {
        await db
          .updateTable('cluster_nodes')
          .set({ ec2_state: 'terminated', terminated_at: resources.clock.now() })
          .where(
            'instance_id',
            'in',
            gone.map((r) => r.instance_id),
          )
          .execute();
      }
      const toTerminate = [
        ...seen.filter(isActiveInstance).map((i) => i.instanceId),
        ...unsettled.map((r) => r.instance_id),
      ].filter((id) => !terminated.has(id));
      if (toTerminate.length > 0) {
        await terminateInstances(ec2, toTerminate, send);
        // An invisible id may have been refused as unknown: it is tried again once seen.
        for (const id of toTerminate) if (seenIds.has(id)) terminated.add(id);
      }
      const lingering = [
        ...seen.filter((i) => i.state !== 'terminated').map((i) => i.instanceId),
        ...unsettled.map((r) => r.instance_id),
      ];
      if (lingering.length === 0) {
        if (row.launch_template_id !== null) {
          try {
            await deleteLaunchTemplate(ec2, row.launch_template_id, send);
          } catch (err) {
            // The reaper deletes it later; a missing permission must not keep the cluster Stopping.
            resources.log.warn({ err, clusterId }, 'deleting the launch template failed');
          }
        }
        await applyClusterEvent(
          resources,
          clusterId,
          { type: 'terminated' },
          {
            message: 'EC2 reports every instance terminated',
          },
        );
        return { status: 'stopped', terminated: [...terminated], awsCalls: counter.calls };
      }
      if (Date.now() + pollMs > deadline || options.signal?.aborted) {
        throw new InstancesStillTerminatingError(clusterId, lingering);
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  } finally {
    ec2.destroy();
  }
}
