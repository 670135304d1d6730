/**
 * `refreshNodes` (stopper.ts), what the reconciler stores of each DescribeInstances answer:
 * only what changed is written, and in batches — the statements a cycle sends do not grow
 * with the nodes that changed state.
 */
import type { KyselyPlugin } from 'kysely';
import { expect, it } from 'vitest';
import { describeEachBackend } from '../testing/backends.ts';
import { insertCluster, recordNode, workspaceRows } from './cluster-fixture.ts';
import type { ObservedEc2Instance } from './observe.ts';
import { refreshNodes } from './stopper.ts';

/** Counts the statements sent through the database handle it is plugged into. */
function statementCounter(): KyselyPlugin & { readonly count: number } {
  let count = 0;
  return {
    get count() {
      return count;
    },
    transformQuery(args) {
      count++;
      return args.node;
    },
    transformResult(args) {
      return Promise.resolve(args.result);
    },
  };
}

const seen = (
  instanceId: string,
  state: string,
  extra: Partial<ObservedEc2Instance> = {},
): ObservedEc2Instance => ({
  instanceId,
  state,
  tags: {},
  launchTime: Date.now(),
  instanceType: 'm7i.large',
  ...extra,
});

describeEachBackend('refreshing nodes from an EC2 answer', (ctx) => {
  it('writes only what changed, in a number of statements that does not grow with the nodes', async () => {
    const { resources } = ctx();
    const { orgId, workspaceId } = await workspaceRows(resources);
    const clusters: { id: string }[] = [];
    const ids: string[] = [];
    for (let c = 0; c < 4; c++) {
      const { cluster } = await insertCluster(resources, { workspaceId, orgId });
      clusters.push(cluster);
      for (let n = 0; n < 10; n++) ids.push(await recordNode(resources, cluster));
    }
    const db = resources.db;
    const revisions = async () =>
      (
        await db
          .selectFrom('clusters')
          .select(['id', 'revision'])
          .where(
            'id',
            'in',
            clusters.map((c) => c.id),
          )
          .orderBy('id')
          .execute()
      ).map((r) => r.revision);
    const before = await revisions();

    // 40 nodes: 30 went running, 9 terminated, 1 got its address; nothing else changed.
    const answer = ids.map((id, k) =>
      k < 30
        ? seen(id, 'running')
        : k < 39
          ? seen(id, 'terminated')
          : seen(id, 'pending', { privateIp: '10.0.0.9' }),
    );
    const counter = statementCounter();
    const touched = await refreshNodes(
      { db: resources.db.withPlugin(counter), clock: resources.clock },
      answer,
    );
    expect(touched).toBe(4);
    // One read, one write per distinct new state (running; terminated), one for the node
    // whose address changed, one revision bump for all the clusters.
    expect(counter.count).toBe(5);
    const rows = await db
      .selectFrom('cluster_nodes')
      .select(['instance_id', 'ec2_state', 'terminated_at', 'private_ip'])
      .where('instance_id', 'in', ids)
      .execute();
    const byId = new Map(rows.map((r) => [r.instance_id, r]));
    ids.forEach((id, k) => {
      const r = byId.get(id)!;
      expect(r.ec2_state).toBe(k < 30 ? 'running' : k < 39 ? 'terminated' : 'pending');
      expect(r.terminated_at !== null).toBe(k >= 30 && k < 39);
      expect(r.private_ip).toBe(k === 39 ? '10.0.0.9' : null);
    });
    expect(await revisions()).toEqual(before.map((r) => r + 1));

    // The same answer again changes nothing and writes nothing.
    const again = statementCounter();
    expect(
      await refreshNodes({ db: resources.db.withPlugin(again), clock: resources.clock }, answer),
    ).toBe(0);
    expect(again.count).toBe(1);
    expect(await revisions()).toEqual(before.map((r) => r + 1));
  });
});
