/**
 * Recording a cluster's EC2 instances in `cluster_nodes` and its fleets in
 * `clusters.fleet_ids`: shared by the launcher (after CreateFleet) and the reconciler (an
 * instance it adopts). Idempotent — a node or fleet already recorded is left as it is — so
 * a repeated job or a second reconcile cycle records nothing twice.
 */
import type { Candidate, Selection } from '@ferry/core';
import { sql } from 'kysely';
import type { Resources } from '../resources.ts';
import type { ClusterRow } from './cluster-transitions.ts';
import { touchCluster } from './cluster-transitions.ts';

/** An instance to record. */
export interface NodeToRecord {
  readonly instanceId: string;
  readonly instanceType: string;
  readonly availabilityZone?: string;
  readonly privateIp?: string;
  readonly ec2State: string;
  readonly launchedAt: Date;
}

/** The size and price of `instanceType` as selection saw it (the cluster's own explanation). */
export function typeFacts(
  row: Pick<ClusterRow, 'selection' | 'usd_per_hour'>,
  instanceType: string,
): { vcpus: number; memoryGiB: number; usdPerHour: number } {
  const selection = row.selection as unknown as Selection | null;
  const c: Candidate | undefined = selection?.candidates.find(
    (x) => x.instanceType === instanceType,
  );
  return {
    vcpus: c?.vcpus ?? 0,
    memoryGiB: c?.memoryGiB ?? 0,
    usdPerHour: c?.usdPerHour ?? row.usd_per_hour ?? 0,
  };
}

/** Records `nodes` and `fleetIds` of the cluster; returns how many nodes were new. */
export async function recordNodes(
  resources: Pick<Resources, 'db' | 'clock'>,
  row: ClusterRow,
  nodes: readonly NodeToRecord[],
  fleetIds: readonly string[],
): Promise<number> {
  if (nodes.length === 0 && fleetIds.length === 0) return 0;
  const context = row.context as { storageGiB?: number };
  const now = resources.clock.now();
  return resources.db.transaction().execute(async (trx) => {
    let added = 0;
    if (nodes.length > 0) {
      const inserted = await trx
        .insertInto('cluster_nodes')
        .values(
          nodes.map((n) => {
            const facts = typeFacts(row, n.instanceType);
            return {
              instance_id: n.instanceId,
              cluster_id: row.id,
              workspace_id: row.workspace_id,
              instance_type: n.instanceType,
              availability_zone: n.availabilityZone ?? null,
              private_ip: n.privateIp ?? null,
              ec2_state: n.ec2State,
              vcpus: facts.vcpus,
              memory_gib: facts.memoryGiB,
              storage_gib: context.storageGiB ?? 0,
              usd_per_hour: facts.usdPerHour,
              launched_at: n.launchedAt,
            };
          }),
        )
        .onConflict((oc) => oc.column('instance_id').doNothing())
        .returning('instance_id')
        .execute();
      added = inserted.length;
    }
    let fleetsChanged = false;
    for (const fleetId of fleetIds) {
      const res = await trx
        .updateTable('clusters')
        .set({ fleet_ids: sql`fleet_ids || ${JSON.stringify([fleetId])}::jsonb` })
        .where('id', '=', row.id)
        .where(sql<boolean>`not (fleet_ids @> ${JSON.stringify([fleetId])}::jsonb)`)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) > 0) fleetsChanged = true;
    }
    if (added > 0 || fleetsChanged) await touchCluster(trx, row.id, now);
    return added;
  });
}
