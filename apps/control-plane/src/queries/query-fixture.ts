/** Test fixture: a query row of a cluster, written the way a proxy submission writes it. */
import { newId } from '@ferry/core';
import type { ClusterRow } from '../compute/cluster-transitions.ts';
import type { Resources } from '../resources.ts';

/** Inserts a Queued proxy query on the cluster (whatever its state) and returns its id. */
export async function insertQuery(
  resources: Pick<Resources, 'db' | 'clock'>,
  cluster: ClusterRow,
  options: { state?: string; instanceId?: string; startedAt?: Date } = {},
): Promise<string> {
  const now = resources.clock.now();
  const id = newId('query', now.getTime());
  await resources.db
    .insertInto('queries')
    .values({
      id,
      workspace_id: cluster.workspace_id,
      org_id: cluster.org_id,
      cluster_id: cluster.id,
      instance_id: options.instanceId ?? null,
      actor_kind: 'user',
      actor_id: cluster.started_by_id,
      mode: 'proxy',
      kind: 'sql',
      labels: JSON.stringify({ secret: 'label' }),
      state: options.state ?? 'Queued',
      envelope: JSON.stringify({ kind: 'sql', sql: 'SELECT 1' }),
      queued_at: now,
      started_at: options.startedAt ?? null,
      usd_per_hour: cluster.usd_per_hour,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return id;
}
