import { expect, it } from 'vitest';
import { describeEachBackend } from '../testing/backends.ts';
import { createTestClock } from '../testing/test-clock.ts';
import { insertCluster, recordNode, workspaceRows } from './cluster-fixture.ts';
import { clusterRunningCost } from './cluster-view.ts';
import { getCluster } from './cluster-queries.ts';
import { usageReport } from './usage-report.ts';

const clock = createTestClock(new Date('2030-06-01T12:00:00Z'));
const HOUR = 3_600_000;
const at = (hoursAgo: number) => new Date(clock.now().getTime() - hoursAgo * HOUR);

describeEachBackend(
  'compute usage and running cost',
  (ctx) => {
    it('sums vCPU-, GiB-, storage-hours and cost over a period from the nodes', async () => {
      const { resources } = ctx();
      const { orgId, workspaceId } = await workspaceRows(resources);
      const other = await workspaceRows(resources);
      // m7i.large: 2 vCPU, 8 GiB, $0.1008/h; 100 GiB storage per node.
      const { cluster } = await insertCluster(resources, {
        workspaceId,
        orgId,
        context: { cpus: 2, memory: 8, storage: 100, clusterSize: 2 },
      });
      // One node ran 10 h ago → 4 h ago (6 h); one runs since 3 h ago.
      await recordNode(resources, cluster, { launchedAt: at(10), terminatedAt: at(4) });
      await recordNode(resources, cluster, { launchedAt: at(3) });
      // Another workspace's node does not count.
      const theirs = await insertCluster(resources, {
        workspaceId: other.workspaceId,
        orgId: other.orgId,
      });
      await recordNode(resources, theirs.cluster, { launchedAt: at(5) });

      const all = await usageReport(resources, workspaceId, {});
      expect(all).toMatchObject({ workspaceId, to: clock.now().toISOString() });
      expect(all.instanceHours).toBeCloseTo(9, 9);
      expect(all.vcpuHours).toBeCloseTo(18, 9);
      expect(all.memoryGiBHours).toBeCloseTo(72, 9);
      expect(all.storageGiBHours).toBeCloseTo(900, 9);
      expect(all.costUsd).toBeCloseTo(9 * 0.1008, 6);

      // Clipped to a window: 5 h ago → 2 h ago holds 1 h of the first, 1 h of the second.
      const window = await usageReport(resources, workspaceId, {
        from: at(5).toISOString(),
        to: at(2).toISOString(),
      });
      expect(window.instanceHours).toBeCloseTo(2, 9);
      expect(window.vcpuHours).toBeCloseTo(4, 9);

      await expect(
        usageReport(resources, workspaceId, { from: at(1).toISOString(), to: at(2).toISOString() }),
      ).rejects.toMatchObject({ details: [{ path: 'query.from' }] });

      // The cluster's running cost: every node's own run at its $/hour, growing while it runs.
      const view = await getCluster(resources, workspaceId, cluster.id);
      expect(view.runningCostUsd).toBeCloseTo(9 * 0.1008, 6);
      await clock.advance(HOUR);
      const later = await getCluster(resources, workspaceId, cluster.id);
      expect(later.runningCostUsd).toBeCloseTo(10 * 0.1008, 6);
      const nodes = await resources.db
        .selectFrom('cluster_nodes')
        .selectAll()
        .where('cluster_id', '=', cluster.id)
        .execute();
      expect(clusterRunningCost(nodes, clock.now())).toBe(later.runningCostUsd);
    });
  },
  { clock },
);
