import { describe, expect, it } from 'vitest';
import { planBootstrapFailures, type BootstrappingCluster } from './bootstrap-watch.ts';

const MIN = 60_000;
const cluster = (over: Partial<BootstrappingCluster> = {}): BootstrappingCluster => ({
  id: 'cl_a',
  clusterSize: 1,
  launchedAt: 0,
  nodes: [{ instanceId: 'i-1', registered: false, ec2State: 'running' }],
  ...over,
});

describe('planBootstrapFailures', () => {
  it('leaves a node within the timeout alone and fails it once the timeout has passed', () => {
    expect(planBootstrapFailures([cluster()], 10 * MIN - 1, 10 * MIN)).toEqual([]);
    expect(planBootstrapFailures([cluster()], 10 * MIN, 10 * MIN)).toEqual([
      {
        clusterId: 'cl_a',
        code: 'NodeBootstrapTimeout',
        message: expect.stringMatching(
          /^node i-1 did not register .* within the bootstrap timeout \(10 min\)/,
        ) as unknown,
        instanceIds: ['i-1'],
      },
    ]);
  });

  it('counts from the last launch, and a fully registered cluster never fails', () => {
    expect(planBootstrapFailures([cluster({ launchedAt: 5 * MIN })], 12 * MIN, 10 * MIN)).toEqual(
      [],
    );
    const registered = cluster({ nodes: [{ instanceId: 'i-1', registered: true }] });
    expect(planBootstrapFailures([registered], 60 * MIN, 10 * MIN)).toEqual([]);
  });

  it('fails at once when EC2 shows an unregistered node ending, naming that node', () => {
    for (const ec2State of ['shutting-down', 'terminated']) {
      const c = cluster({
        clusterSize: 2,
        nodes: [
          { instanceId: 'i-1', registered: true, ec2State: 'running' },
          { instanceId: 'i-2', registered: false, ec2State },
        ],
      });
      const [f] = planBootstrapFailures([c], 1, 10 * MIN);
      expect(f?.code).toBe('NodeEndedBeforeRegistering');
      expect(f?.instanceIds).toEqual(['i-2']);
      expect(f?.message).toContain(`node i-2 ended (EC2 state ${ec2State})`);
    }
    // A registered node that ends is the reconciler's business, not a bootstrap failure.
    const gone = cluster({
      nodes: [{ instanceId: 'i-1', registered: true, ec2State: 'terminated' }],
    });
    expect(planBootstrapFailures([gone], 1, 10 * MIN)).toEqual([]);
  });

  it('a cluster with too few nodes recorded fails at the timeout, naming the missing launch', () => {
    const [f] = planBootstrapFailures([cluster({ nodes: [] })], 10 * MIN, 10 * MIN);
    expect(f).toMatchObject({ code: 'NodeBootstrapTimeout', instanceIds: [] });
    expect(f?.message).toBe('no node was launched within the bootstrap timeout (10 min)');
  });
});
