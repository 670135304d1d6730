import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLUSTER_STATES, isLiveClusterState } from './cluster-state.ts';
import { clusterTags } from './launch-plan.ts';
import { FLEET_ID_TAG, type ObservedInstance } from './observed-instance.ts';
import {
  planReconcile,
  type ClusterRecord,
  type ReconcileAction,
  type ReconcileInput,
} from './reconcile-plan.ts';

const WS = 'ws_1';
const NOW = 1_000_000_000;
const GRACE = 60_000;

function tags(
  clusterId: string | undefined,
  fleetId?: string,
  workspace = WS,
): Record<string, string> {
  const t = Object.fromEntries(
    clusterTags(workspace, clusterId ?? '').map((x) => [x.Key, x.Value]),
  );
  if (clusterId === undefined) delete t['ferry:cluster'];
  if (fleetId) t[FLEET_ID_TAG] = fleetId;
  return t;
}
function inst(
  id: string,
  clusterId: string | undefined,
  over: Partial<ObservedInstance> = {},
  fleetId?: string,
): ObservedInstance {
  return {
    instanceId: id,
    state: 'running',
    tags: tags(clusterId, fleetId),
    launchTime: NOW - 10 * GRACE,
    ...over,
  };
}
function cluster(id: string, over: Partial<ClusterRecord> = {}): ClusterRecord {
  return {
    id,
    state: 'Idle',
    clusterSize: 1,
    fleetIds: [],
    instanceIds: [],
    launchAttempt: 0,
    launchedAt: NOW - 10 * GRACE,
    ...over,
  };
}
const plan = (clusters: ClusterRecord[], instances: ObservedInstance[]) =>
  planReconcile({ workspaceId: WS, clusters, instances, now: NOW, graceMs: GRACE });

/** The world after the control plane carried out `actions` (terminations take effect at once). */
function apply(input: ReconcileInput, actions: readonly ReconcileAction[]): ReconcileInput {
  let clusters = [...input.clusters];
  let instances = [...input.instances];
  for (const a of actions) {
    if (a.kind === 'terminate') {
      instances = instances.map((i) =>
        i.instanceId === a.instanceId ? { ...i, state: 'terminated' } : i,
      );
    } else if (a.kind === 'adopt') {
      clusters = clusters.map((c) =>
        c.id === a.clusterId
          ? {
              ...c,
              instanceIds: [...c.instanceIds, ...a.instanceIds],
              fleetIds: [...c.fleetIds, ...a.fleetIds],
            }
          : c,
      );
    } else {
      clusters = clusters.map((c) => (c.id === a.clusterId ? { ...c, state: 'Stopped' } : c));
    }
  }
  return { ...input, clusters, instances };
}

describe('planReconcile', () => {
  it('does nothing when records and EC2 agree', () => {
    expect(plan([cluster('c1', { instanceIds: ['i-1'] })], [inst('i-1', 'c1')])).toEqual([]);
  });

  it('adopts an instance launched but never recorded, with its fleet', () => {
    expect(
      plan(
        [cluster('c1', { state: 'Starting', clusterSize: 2 })],
        [inst('i-1', 'c1', {}, 'fleet-1')],
      ),
    ).toEqual([{ kind: 'adopt', clusterId: 'c1', instanceIds: ['i-1'], fleetIds: ['fleet-1'] }]);
  });

  it('terminates the extras of a cluster launched twice, keeping its recorded fleet', () => {
    const actions = plan(
      [cluster('c1', { clusterSize: 2, fleetIds: ['fleet-1'], instanceIds: ['i-1'] })],
      [
        inst('i-1', 'c1', {}, 'fleet-1'),
        inst('i-2', 'c1', { launchTime: NOW - 20 * GRACE }, 'fleet-2'),
        inst('i-3', 'c1', {}, 'fleet-1'),
      ],
    );
    expect(actions).toEqual([
      { kind: 'terminate', instanceId: 'i-2', clusterId: 'c1', reason: 'excess' },
      { kind: 'adopt', clusterId: 'c1', instanceIds: ['i-3'], fleetIds: [] },
    ]);
  });

  it('terminates instances of stopping, stopped, failed and unknown clusters; never untagged ones', () => {
    const actions = plan(
      [
        cluster('c1', { state: 'Stopping' }),
        cluster('c2', { state: 'Stopped' }),
        cluster('c3', { state: 'Failed' }),
      ],
      [
        inst('i-1', 'c1'),
        inst('i-2', 'c2'),
        inst('i-3', 'c3'),
        inst('i-4', 'gone'),
        inst('i-5', undefined),
        inst('i-6', 'gone', { launchTime: NOW - GRACE / 2 }),
        { ...inst('i-7', 'gone'), tags: {} },
        { ...inst('i-8', 'gone'), tags: tags('gone', undefined, 'ws_other') },
      ],
    );
    expect(actions).toEqual([
      { kind: 'terminate', instanceId: 'i-1', clusterId: 'c1', reason: 'cluster_not_live' },
      { kind: 'terminate', instanceId: 'i-2', clusterId: 'c2', reason: 'cluster_not_live' },
      { kind: 'terminate', instanceId: 'i-3', clusterId: 'c3', reason: 'cluster_not_live' },
      { kind: 'terminate', instanceId: 'i-4', clusterId: 'gone', reason: 'unknown_cluster' },
      { kind: 'terminate', instanceId: 'i-5', reason: 'unknown_cluster' },
    ]);
  });

  it('marks a cluster Stopped only once EC2 reports every instance terminated and the launch has settled', () => {
    const stopping = cluster('c1', { state: 'Stopping', instanceIds: ['i-1'] });
    expect(plan([stopping], [inst('i-1', 'c1', { state: 'shutting-down' })])).toEqual([]);
    expect(plan([stopping], [inst('i-1', 'c1', { state: 'terminated' })])).toEqual([
      { kind: 'markStopped', clusterId: 'c1' },
    ]);
    expect(plan([{ ...stopping, launchedAt: NOW - GRACE / 2 }], [])).toEqual([]);
    expect(plan([stopping], [])).toEqual([{ kind: 'markStopped', clusterId: 'c1' }]);
  });

  it('converges, never cuts a live cluster within its size, never marks Stopped over a live instance', () => {
    const ids = ['c1', 'c2', 'c3', 'c4'];
    const world = fc
      .record({
        clusters: fc.uniqueArray(
          fc.record({
            id: fc.constantFrom(...ids),
            state: fc.constantFrom(...CLUSTER_STATES),
            clusterSize: fc.integer({ min: 1, max: 3 }),
            fleetIds: fc.subarray(['f1', 'f2', 'f3']),
            recorded: fc.subarray(['i0', 'i1', 'i2', 'i3', 'i4', 'i5', 'i6', 'i7']),
            launchedAgo: fc.option(fc.integer({ min: 0, max: 3 * GRACE }), { nil: undefined }),
          }),
          { selector: (c) => c.id },
        ),
        instances: fc.array(
          fc.record({
            cluster: fc.option(fc.constantFrom(...ids, 'c9'), { nil: undefined }),
            state: fc.constantFrom('pending', 'running', 'shutting-down', 'terminated', 'stopped'),
            fleet: fc.option(fc.constantFrom('f1', 'f2', 'f3'), { nil: undefined }),
            age: fc.integer({ min: 0, max: 3 * GRACE }),
            workspace: fc.constantFrom(WS, WS, WS, 'ws_other'),
          }),
          { maxLength: 8 },
        ),
      })
      .map(({ clusters, instances }): ReconcileInput => ({
        workspaceId: WS,
        now: NOW,
        graceMs: GRACE,
        clusters: clusters.map((c) => ({
          id: c.id,
          state: c.state,
          clusterSize: c.clusterSize,
          fleetIds: c.fleetIds,
          instanceIds: c.recorded,
          launchAttempt: 0,
          ...(c.launchedAgo === undefined ? {} : { launchedAt: NOW - c.launchedAgo }),
        })),
        instances: instances.map((i, n) => ({
          instanceId: `i${n}`,
          // shutting-down settles to terminated between cycles.
          state: i.state,
          tags: tags(i.cluster, i.fleet, i.workspace),
          launchTime: NOW - i.age,
        })),
      }));

    fc.assert(
      fc.property(world, (input) => {
        const actions = planReconcile(input);
        const byId = new Map(input.instances.map((i) => [i.instanceId, i]));
        for (const c of input.clusters) {
          const members = input.instances.filter(
            (i) =>
              i.tags['ferry:cluster'] === c.id &&
              i.tags['ferry:workspace'] === WS &&
              i.state !== 'terminated' &&
              i.state !== 'shutting-down',
          );
          if (isLiveClusterState(c.state) && members.length <= c.clusterSize) {
            for (const a of actions)
              if (a.kind === 'terminate')
                expect(members.map((m) => m.instanceId)).not.toContain(a.instanceId);
          }
        }
        for (const a of actions) {
          if (a.kind === 'terminate')
            expect(byId.get(a.instanceId)?.tags['ferry:workspace']).toBe(WS);
          if (a.kind !== 'markStopped') continue;
          const c = input.clusters.find((x) => x.id === a.clusterId)!;
          for (const i of input.instances) {
            if (
              (i.tags['ferry:cluster'] === c.id && i.tags['ferry:workspace'] === WS) ||
              c.instanceIds.includes(i.instanceId)
            )
              expect(i.state).toBe('terminated');
          }
        }
        const after = apply(input, actions);
        const settled = {
          ...after,
          instances: after.instances.map((i) =>
            i.state === 'shutting-down' ? { ...i, state: 'terminated' } : i,
          ),
        };
        const again = planReconcile(settled);
        expect(planReconcile(apply(settled, again))).toEqual([]);
        expect(planReconcile(after).filter((a) => a.kind !== 'markStopped')).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
