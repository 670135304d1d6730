import { expect, it } from 'vitest';
import { describeEachBackend } from '../testing/backends.ts';
import { fixtureInstanceId, insertCluster, workspaceRows } from './cluster-fixture.ts';
import { recordNodes, typeFacts } from './node-records.ts';

describeEachBackend('recording launched instances', (ctx) => {
  it('records nodes and fleets once however often it runs, with the size and price selection knew', async () => {
    const { resources } = ctx();
    const { orgId, workspaceId } = await workspaceRows(resources);
    const { cluster } = await insertCluster(resources, {
      workspaceId,
      orgId,
      context: { cpus: 2, memory: 8, storage: 50 },
    });
    const a = fixtureInstanceId();
    const b = fixtureInstanceId();
    const launchedAt = new Date('2030-01-01T00:00:00Z');
    const node = (instanceId: string) => ({
      instanceId,
      instanceType: 'm7i.large',
      availabilityZone: 'us-east-1b',
      ec2State: 'pending',
      launchedAt,
    });
    expect(await recordNodes(resources, cluster, [node(a)], ['fleet-1'])).toBe(1);
    expect(await recordNodes(resources, cluster, [node(a), node(b)], ['fleet-1', 'fleet-2'])).toBe(
      1,
    );
    expect(await recordNodes(resources, cluster, [node(a), node(b)], ['fleet-2'])).toBe(0);

    const db = resources.db;
    const row = await db
      .selectFrom('clusters')
      .selectAll()
      .where('id', '=', cluster.id)
      .executeTakeFirstOrThrow();
    expect(row.fleet_ids).toEqual(['fleet-1', 'fleet-2']);
    // Two writes changed something; the third did not bump the revision.
    expect(row.revision).toBe(cluster.revision + 2);
    const nodes = await db
      .selectFrom('cluster_nodes')
      .selectAll()
      .where('cluster_id', '=', cluster.id)
      .orderBy('instance_id')
      .execute();
    expect(nodes.map((n) => n.instance_id)).toEqual([a, b].sort());
    for (const n of nodes) {
      expect(n).toMatchObject({
        workspace_id: workspaceId,
        instance_type: 'm7i.large',
        availability_zone: 'us-east-1b',
        ec2_state: 'pending',
        vcpus: 2,
        memory_gib: 8,
        storage_gib: 50,
        usd_per_hour: cluster.usd_per_hour,
      });
    }
    expect(typeFacts(row, 'm7i.xlarge')).toMatchObject({ vcpus: 4, memoryGiB: 16 });
  });
});
