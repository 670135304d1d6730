/**
 * The reconcile benchmark at a tiny size, so it keeps running: three scenarios measured,
 * every cycle succeeds, and the reconciler's DescribeInstances calls follow workspaces —
 * one (single-page) call per workspace with clusters, whatever the number of clusters.
 */
import { describe, expect, it } from 'vitest';
import { formatBench, runReconcileBench } from '../../bench/reconcile/reconcile-bench.ts';

describe('reconcile benchmark', () => {
  it('measures calls per cycle that follow workspaces, not clusters', async () => {
    const result = await runReconcileBench({
      workspaces: 2,
      clusters: 4,
      baseWorkspaces: 1,
      baseClusters: 2,
      cycles: 1,
    });
    const table = formatBench(result);
    console.log(table);
    expect(result.scenarios.map((s) => [s.name, s.workspaces, s.clusters, s.instances])).toEqual([
      ['baseline', 1, 2, 2],
      ['more clusters', 1, 4, 4],
      ['more workspaces', 2, 4, 4],
    ]);
    const [baseline, moreClusters, moreWorkspaces] = result.scenarios;
    expect(baseline!.describeInstancesPerCycle).toBe(1);
    expect(moreClusters!.describeInstancesPerCycle).toBe(1);
    expect(moreWorkspaces!.describeInstancesPerCycle).toBe(2);
    // Nothing per cluster: doubling the clusters adds no call at all.
    expect(moreClusters!.callsPerCycle).toBe(baseline!.callsPerCycle);
    expect(table).toContain('AWS calls/cycle');
  }, 240_000);
});
