import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLUSTER_STATES } from './cluster-state.ts';
import { clusterTags } from './launch-plan.ts';
import type { ObservedInstance } from './observed-instance.ts';
import {
  isIdlePastTimeout,
  planReap,
  type ReapClusterRecord,
  type ReapInput,
} from './reap-plan.ts';

const WS = 'ws_1';
const MIN = 60_000;
const NOW = 1_000_000_000;
const tags = (clusterId: string, workspace = WS) =>
  Object.fromEntries(clusterTags(workspace, clusterId).map((t) => [t.Key, t.Value]));
const inst = (
  id: string,
  clusterId: string,
  over: Partial<ObservedInstance> = {},
): ObservedInstance => ({
  instanceId: id,
  state: 'running',
  tags: tags(clusterId),
  launchTime: NOW - 60 * MIN,
  ...over,
});
const cluster = (id: string, over: Partial<ReapClusterRecord> = {}): ReapClusterRecord => ({
  id,
  state: 'Idle',
  idleTimeoutMins: 10,
  lastActivityAt: NOW - 5 * MIN,
  lastHeartbeatAt: NOW - MIN,
  startedAt: NOW - 60 * MIN,
  ...over,
});
const input = (over: Partial<ReapInput>): ReapInput => ({
  workspaceId: WS,
  clusters: [],
  instances: [],
  fleets: [],
  launchTemplates: [],
  now: NOW,
  ...over,
});

describe('planReap', () => {
  it('stops a cluster idle past its timeout and terminates its nodes', () => {
    const clusters = [
      cluster('idle', { lastActivityAt: NOW - 10 * MIN }),
      cluster('fresh'),
      cluster('busy', { state: 'Busy', lastActivityAt: 0 }),
    ];
    expect(
      planReap(
        input({
          clusters,
          instances: [inst('i-1', 'idle'), inst('i-2', 'fresh'), inst('i-3', 'busy')],
        }),
      ),
    ).toEqual([
      { kind: 'stopCluster', clusterId: 'idle', reason: 'StoppedInactive' },
      { kind: 'terminate', instanceId: 'i-1', clusterId: 'idle', reason: 'idle' },
    ]);
  });

  it('treats a cluster whose nodes stopped heartbeating as idle, whatever its state', () => {
    expect(
      isIdlePastTimeout(cluster('c', { state: 'Busy', lastHeartbeatAt: NOW - 11 * MIN }), NOW),
    ).toBe(true);
    expect(
      isIdlePastTimeout(
        cluster('c', { state: 'Starting', lastHeartbeatAt: undefined, startedAt: NOW - 9 * MIN }),
        NOW,
      ),
    ).toBe(false);
    expect(isIdlePastTimeout(cluster('c', { state: 'Stopped', lastHeartbeatAt: 0 }), NOW)).toBe(
      false,
    );
  });

  it('terminates orphans, deletes fleets and templates of gone clusters, never touches untagged resources', () => {
    const clusters = [
      cluster('live'),
      cluster('stopped', { state: 'Stopped' }),
      cluster('stopping', { state: 'Stopping' }),
    ];
    const actions = planReap(
      input({
        clusters,
        instances: [
          inst('i-1', 'live'),
          inst('i-2', 'stopped'),
          inst('i-3', 'unknown'),
          inst('i-4', 'unknown', { launchTime: NOW - MIN }),
          inst('i-5', 'stopping'),
          inst('i-6', 'unknown', { tags: {} }),
          inst('i-7', 'unknown', { tags: tags('unknown', 'ws_other') }),
          inst('i-8', 'unknown', { state: 'terminated' }),
        ],
        fleets: [
          {
            fleetId: 'fleet-1',
            state: 'active',
            tags: tags('stopped'),
            createTime: NOW - 60 * MIN,
          },
          { fleetId: 'fleet-2', state: 'active', tags: tags('live'), createTime: NOW - 60 * MIN },
          {
            fleetId: 'fleet-3',
            state: 'deleted',
            tags: tags('stopped'),
            createTime: NOW - 60 * MIN,
          },
          { fleetId: 'fleet-4', state: 'active', tags: {}, createTime: NOW - 60 * MIN },
          {
            fleetId: 'fleet-5',
            state: 'active',
            tags: tags('stopping'),
            createTime: NOW - 60 * MIN,
          },
        ],
        launchTemplates: [
          { launchTemplateId: 'lt-1', tags: tags('unknown'), createTime: NOW - 60 * MIN },
          { launchTemplateId: 'lt-2', tags: tags('live'), createTime: NOW - 60 * MIN },
          { launchTemplateId: 'lt-3', tags: tags('unknown'), createTime: NOW - MIN },
        ],
      }),
    );
    expect(actions).toEqual([
      { kind: 'terminate', instanceId: 'i-2', clusterId: 'stopped', reason: 'orphan' },
      { kind: 'terminate', instanceId: 'i-3', clusterId: 'unknown', reason: 'orphan' },
      { kind: 'terminate', instanceId: 'i-5', clusterId: 'stopping', reason: 'orphan' },
      { kind: 'deleteFleet', fleetId: 'fleet-1', clusterId: 'stopped' },
      { kind: 'deleteLaunchTemplate', launchTemplateId: 'lt-1', clusterId: 'unknown' },
    ]);
  });

  it('acts only on resources tagged for the workspace, and never on a fresh live cluster', () => {
    fc.assert(
      fc.property(
        // Cluster ids are primary keys: never two records with one id.
        fc.uniqueArray(
          fc.record({
            id: fc.constantFrom('a', 'b', 'c'),
            state: fc.constantFrom(...CLUSTER_STATES),
            activityAgo: fc.nat(30),
            beatAgo: fc.nat(30),
          }),
          { maxLength: 3, selector: (c) => c.id },
        ),
        fc.array(
          fc.record({
            cluster: fc.constantFrom('a', 'b', 'c', 'z'),
            ws: fc.constantFrom(WS, 'ws_other', ''),
            state: fc.constantFrom('running', 'terminated', 'pending'),
          }),
          { maxLength: 6 },
        ),
        (cs, is) => {
          const clusters = cs.map((c) =>
            cluster(c.id, {
              state: c.state,
              lastActivityAt: NOW - c.activityAgo * MIN,
              lastHeartbeatAt: NOW - c.beatAgo * MIN,
            }),
          );
          const instances = is.map((i, n) =>
            inst(`i-${n}`, i.cluster, { state: i.state, tags: i.ws ? tags(i.cluster, i.ws) : {} }),
          );
          const actions = planReap(input({ clusters, instances }));
          for (const a of actions) {
            if (a.kind !== 'terminate') continue;
            const i = instances.find((x) => x.instanceId === a.instanceId)!;
            expect(i.tags['ferry:workspace']).toBe(WS);
            expect(i.state).not.toBe('terminated');
            const c = clusters.find((x) => x.id === i.tags['ferry:cluster']);
            if (c && (c.state === 'Idle' || c.state === 'Busy' || c.state === 'Starting')) {
              expect(isIdlePastTimeout(c, NOW)).toBe(true);
            }
          }
        },
      ),
    );
  });
});
