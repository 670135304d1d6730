/**
 * What deleting a workspace does to its compute. Once deleted, its AWS setup is
 * disconnected and nothing assumes its roles again, so a cluster still running then would
 * run (and bill) unreachable. Deletion is therefore refused while any cluster is not
 * Stopped or Failed (409 naming them), unless the caller asks for them to be stopped
 * first: then every ferry instance of the workspace is terminated as the user — EC2 has
 * accepted the termination before the workspace goes — and the live clusters get their
 * `stop` event.
 */
import { ConflictError, isActiveInstance, type ClusterState } from '@ferry/core';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { BrokerActor } from '../aws/credential-broker.ts';
import type { Resources } from '../resources.ts';
import { applyClusterEvent } from './cluster-transitions.ts';
import { observeInstances } from './observe.ts';
import { terminateInstances } from './stopper.ts';
import { ec2As, loadWorkspaceAws, WorkspaceNotConnectedError } from './workspace-aws.ts';

/** Cluster states that still have (or may still have) instances. */
const NOT_ENDED: readonly ClusterState[] = ['Starting', 'Idle', 'Busy', 'Stopping'];

/** The workspace still has clusters that are not Stopped or Failed. */
export class WorkspaceHasClustersError extends ConflictError {
  constructor(workspaceId: string, clusters: readonly { id: string; state: string }[]) {
    super(
      'workspace_has_clusters',
      `Workspace ${workspaceId} has clusters that are not stopped: ${clusters
        .map((c) => `${c.id} (${c.state})`)
        .join(
          ', ',
        )}. Stop them and delete again once they are Stopped, or delete with stopClusters=true to stop them as part of the deletion.`,
    );
  }
}

/**
 * The workspace's clusters that are not Stopped or Failed, oldest first; with
 * `stoppingEnded`, Stopping ones count as ended (their instances' termination was accepted).
 */
export async function unendedClusters(
  db: Kysely<Database>,
  workspaceId: string,
  stoppingEnded = false,
): Promise<{ id: string; state: string }[]> {
  return db
    .selectFrom('clusters')
    .select(['id', 'state'])
    .where('workspace_id', '=', workspaceId)
    .where('state', 'in', stoppingEnded ? NOT_ENDED.filter((s) => s !== 'Stopping') : NOT_ENDED)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/**
 * Makes the workspace's compute ready for deletion: nothing to do without clusters; a 409
 * naming them unless `stopClusters`; with it, their instances terminated and the live
 * clusters stopped.
 */
export async function stopComputeForDeletion(
  resources: Resources,
  workspaceId: string,
  options: { readonly stopClusters: boolean; readonly actor: BrokerActor },
): Promise<void> {
  const db = resources.db;
  const clusters = await unendedClusters(db, workspaceId);
  if (clusters.length === 0) return;
  if (!options.stopClusters) throw new WorkspaceHasClustersError(workspaceId, clusters);

  let message = 'stopped to delete the workspace';
  try {
    const ws = await loadWorkspaceAws(resources, workspaceId);
    const ec2 = await ec2As(resources, ws, 'UserInitiated', options.actor);
    try {
      const ids = (await observeInstances(ec2, workspaceId))
        .filter(isActiveInstance)
        .map((i) => i.instanceId);
      await terminateInstances(ec2, ids, {});
      if (ids.length > 0) message += `; EC2 accepted the termination of ${ids.join(', ')}`;
    } finally {
      ec2.destroy();
    }
  } catch (err) {
    // No connection left to act through: nothing ferry can reach is running for it.
    if (!(err instanceof WorkspaceNotConnectedError)) throw err;
    message += '; the workspace has no AWS connection, so no instance could be terminated';
  }
  for (const c of clusters) {
    await applyClusterEvent(
      resources,
      c.id,
      { type: 'stop', reason: 'StoppedByUser' },
      { message },
    );
  }
  resources.log.info(
    { workspaceId, clusterIds: clusters.map((c) => c.id) },
    'clusters stopped to delete their workspace',
  );
}
