/**
 * Stopping a cluster at a user's request: the `stop` event (reason StoppedByUser) and the
 * stop job, as the user's role, in one transaction. The job terminates the instances and
 * marks the cluster Stopped only once EC2 reports them terminated. Stopping a cluster that
 * is already stopping or stopped changes nothing and returns it.
 */
import type { Cluster } from '@ferry/api';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Resources } from '../resources.ts';
import { applyClusterEvent } from './cluster-transitions.ts';
import { findClusterRow, getCluster } from './cluster-queries.ts';
import { stopClusterJob } from './compute-job-types.ts';

/** Stops the workspace's cluster (the `compute.stop` route). */
export async function stopCluster(
  resources: Pick<Resources, 'db' | 'clock' | 'jobs'>,
  workspaceId: string,
  clusterId: string,
): Promise<Cluster> {
  // 404 for a cluster of another workspace before anything changes.
  await findClusterRow(resources, workspaceId, clusterId);
  await resources.db.transaction().execute(async (trx) => {
    const applied = await applyClusterEvent(
      resources,
      clusterId,
      { type: 'stop', reason: 'StoppedByUser' },
      { trx, message: 'stopped by the user' },
    );
    if (!applied.applied) return;
    await resources.jobs.enqueue(
      stopClusterJob,
      { clusterId, role: 'UserInitiated' },
      { db: trx as unknown as Kysely<Database>, dedupeKey: `compute.stop:${clusterId}` },
    );
  });
  return getCluster(resources, workspaceId, clusterId);
}
