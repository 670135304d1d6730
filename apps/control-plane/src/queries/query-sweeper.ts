/**
 * No query stays Running (or Queued) forever. A periodic sweep ends, as Failed with the
 * reason, every unfinished query whose node is gone (terminated, or silent for several
 * heartbeats — a killed worker), whose cluster is no longer live, a proxy query no node
 * took within `jobs.queryPickupTimeoutMs` (its nodes do not poll for work), whose proxy
 * delivery was lost (taken by a node that never reported it, e.g. when a control plane
 * replica died between committing the hand-over and answering the node), or whose reports
 * stopped while its node still heartbeats (each heartbeat names the queries the node
 * holds; one it no longer names, unheard of for several heartbeats, ended unreported).
 */
import { isLiveClusterState, type ClusterState } from '@ferry/core';
import type { Resources } from '../resources.ts';
import { queryBus } from './query-bus.ts';

/** What one sweep ended. */
export interface SweepReport {
  readonly failed: { queryId: string; code: string }[];
}

/** A node silent for this many heartbeats (and at least 30 s) is taken for dead. */
const SILENT_HEARTBEATS = 4;

/** A proxy query handed to a node that has not reported it after this long. */
const DELIVERY_LOST_MS = 60_000;

/** Ends the unfinished queries that can no longer finish. */
export async function sweepQueries(
  resources: Pick<Resources, 'db' | 'clock' | 'config' | 'log'>,
): Promise<SweepReport> {
  const pickupMs = resources.config.jobs.queryPickupTimeoutMs;
  const db = resources.db;
  const now = resources.clock.now();
  const silentMs = Math.max(
    30_000,
    SILENT_HEARTBEATS * resources.config.compute.heartbeatSeconds * 1000,
  );
  const live = await db
    .selectFrom('queries')
    .leftJoin('cluster_nodes', 'cluster_nodes.instance_id', 'queries.instance_id')
    .innerJoin('clusters', 'clusters.id', 'queries.cluster_id')
    .select([
      'queries.id',
      'queries.state',
      'queries.mode',
      'queries.instance_id',
      'queries.delivered_at',
      'queries.queued_at',
      'queries.updated_at',
      'cluster_nodes.terminated_at',
      'cluster_nodes.last_heartbeat_at',
      'clusters.state as cluster_state',
    ])
    .where('queries.state', 'in', ['Queued', 'Running'])
    .execute();
  const failed: SweepReport['failed'] = [];
  for (const q of live) {
    let reason: { code: string; message: string } | undefined;
    if (!isLiveClusterState(q.cluster_state as ClusterState)) {
      reason = {
        code: 'cluster_stopped',
        message: `The cluster is ${q.cluster_state}: the query cannot finish.`,
      };
    } else if (q.instance_id !== null && q.terminated_at !== null) {
      reason = {
        code: 'node_lost',
        message: `Node ${q.instance_id} was terminated while the query was ${q.state}.`,
      };
    } else if (
      q.instance_id !== null &&
      q.last_heartbeat_at !== null &&
      now.getTime() - q.last_heartbeat_at.getTime() > silentMs
    ) {
      reason = {
        code: 'node_lost',
        message: `Node ${q.instance_id} stopped answering (last heartbeat ${q.last_heartbeat_at.toISOString()}) while the query was ${q.state}: its worker died or was cut off.`,
      };
    } else if (
      q.mode === 'proxy' &&
      q.state === 'Queued' &&
      q.delivered_at === null &&
      now.getTime() - q.queued_at.getTime() > pickupMs
    ) {
      reason = {
        code: 'not_picked_up',
        message: `No node of the cluster took the query within ${Math.round(pickupMs / 1000)} s of its submission (queued at ${q.queued_at.toISOString()}): the cluster's nodes are not polling for work. Check the cluster's nodes and their logs, or run the query on another cluster.`,
      };
    } else if (q.mode === 'proxy' && q.state === 'Queued' && q.delivered_at !== null) {
      if (now.getTime() - q.updated_at.getTime() > DELIVERY_LOST_MS) {
        reason = {
          code: 'delivery_lost',
          message: `Node ${q.instance_id ?? '?'} took the query at ${q.delivered_at.toISOString()} and never reported it (the hand-over was lost).`,
        };
      }
    } else if (
      q.instance_id !== null &&
      q.last_heartbeat_at !== null &&
      q.last_heartbeat_at > q.updated_at &&
      now.getTime() - q.updated_at.getTime() > silentMs
    ) {
      // The node heartbeats, and each heartbeat names the queries it holds: this one it no
      // longer holds, and its end was never reported.
      reason = {
        code: 'reports_lost',
        message: `Node ${q.instance_id} is alive but no longer runs the query and never reported its end (last heard of ${q.updated_at.toISOString()}): its reports were lost.`,
      };
    }
    if (reason === undefined) continue;
    const ended = await db
      .updateTable('queries')
      .set((eb) => ({
        state: 'Failed',
        error_code: reason.code,
        error_message: reason.message,
        finished_at: now,
        updated_at: now,
        envelope: null,
        revision: eb('revision', '+', 1),
      }))
      .where('id', '=', q.id)
      .where('state', 'in', ['Queued', 'Running'])
      .returning('id')
      .executeTakeFirst();
    if (ended === undefined) continue;
    failed.push({ queryId: q.id, code: reason.code });
    resources.log.warn({ queryId: q.id, code: reason.code }, reason.message);
    await queryBus(resources).notify(`query:${q.id}`);
  }
  return { failed };
}
