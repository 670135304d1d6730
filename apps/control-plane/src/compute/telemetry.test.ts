import { expect, it } from 'vitest';
import { describeEachBackend } from '../testing/backends.ts';
import { createTestClock } from '../testing/test-clock.ts';
import { insertCluster, recordNode, workspaceRows } from './cluster-fixture.ts';
import { clusterLogs, clusterMetrics, purgeTelemetry } from './telemetry.ts';

const clock = createTestClock(new Date('2030-06-01T12:00:00Z'));
const HOUR = 3_600_000;

describeEachBackend(
  'compute telemetry retention',
  (ctx) => {
    it('deletes logs and samples older than the retention, keeps the rest', async () => {
      const { resources } = ctx();
      const { orgId, workspaceId } = await workspaceRows(resources);
      const { cluster } = await insertCluster(resources, { workspaceId, orgId });
      const node = await recordNode(resources, cluster);
      const db = resources.db;
      const ages = [100, 49, 47, 1]; // hours; retention is 48
      for (const age of ages) {
        const at = new Date(clock.now().getTime() - age * HOUR);
        await db
          .insertInto('node_logs')
          .values({
            cluster_id: cluster.id,
            instance_id: node,
            at,
            stream: 'agent',
            line: `${age}h`,
          })
          .execute();
        await db
          .insertInto('node_samples')
          .values({
            cluster_id: cluster.id,
            instance_id: node,
            at,
            cpu_percent: age,
            memory_percent: 1,
            disk_percent: 1,
          })
          .execute();
      }
      expect(await purgeTelemetry(resources)).toEqual({ logs: 2, samples: 2 });
      const logs = await clusterLogs(resources, workspaceId, cluster.id, {});
      expect(logs.items.map((l) => l.line)).toEqual(['47h', '1h']);
      const samples = await clusterMetrics(resources, workspaceId, cluster.id, {});
      expect(samples.items.map((s) => s.cpuPercent)).toEqual([47, 1]);
      expect(await purgeTelemetry(resources)).toEqual({ logs: 0, samples: 0 });

      // Time passes: the next purge takes what aged out since.
      await clock.advance(2 * HOUR);
      expect(await purgeTelemetry(resources)).toEqual({ logs: 1, samples: 1 });
    });
  },
  { clock, env: { FERRY_COMPUTE_LOG_RETENTION_HOURS: '48' } },
);
