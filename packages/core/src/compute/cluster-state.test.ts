import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidTransitionError } from '../errors.ts';
import {
  CLUSTER_STATES,
  CLUSTER_TRANSITIONS,
  isLiveClusterState,
  isTerminalClusterState,
  transitionCluster,
  type ClusterEvent,
  type ClusterStatus,
} from './cluster-state.ts';

function run(events: readonly ClusterEvent[]): ClusterStatus {
  let status: ClusterStatus = { state: 'Starting' };
  for (const e of events) {
    const r = transitionCluster(status, e);
    if (!r.ok) throw r.error;
    status = r.status;
  }
  return status;
}

const events: ClusterEvent[] = [
  { type: 'ready' },
  { type: 'busy' },
  { type: 'idle' },
  { type: 'stop', reason: 'StoppedByUser' },
  { type: 'stop', reason: 'StoppedInactive' },
  { type: 'terminated' },
  { type: 'fail', error: { code: 'InsufficientInstanceCapacity', message: 'no capacity' } },
];

describe('cluster state machine', () => {
  it('follows the lifecycle and keeps the termination reason', () => {
    expect(run([{ type: 'ready' }, { type: 'busy' }, { type: 'idle' }])).toEqual({ state: 'Idle' });
    expect(
      run([{ type: 'ready' }, { type: 'stop', reason: 'StoppedInactive' }, { type: 'terminated' }]),
    ).toEqual({
      state: 'Stopped',
      reason: 'StoppedInactive',
    });
    expect(run([{ type: 'stop', reason: 'StoppedByUser' }])).toEqual({
      state: 'Stopping',
      reason: 'StoppedByUser',
    });
    expect(run([events[6]!])).toEqual({
      state: 'Failed',
      reason: 'Failed',
      error: { code: 'InsufficientInstanceCapacity', message: 'no capacity' },
    });
  });

  it('refuses what the table does not allow, with an error and no throw', () => {
    const r = transitionCluster({ state: 'Starting' }, { type: 'busy' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toBeInstanceOf(InvalidTransitionError);
    expect(transitionCluster({ state: 'Idle' }, { type: 'terminated' }).ok).toBe(false);
    expect(
      transitionCluster({ state: 'Stopped' }, { type: 'stop', reason: 'StoppedByUser' }).ok,
    ).toBe(false);
  });

  it('agrees with its table for every state and event; Stopped and Failed are final', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CLUSTER_STATES),
        fc.constantFrom(...events),
        (state, event) => {
          const status: ClusterStatus =
            state === 'Stopping' ? { state, reason: 'StoppedByUser' } : { state };
          const r = transitionCluster(status, event);
          const to = CLUSTER_TRANSITIONS[state][event.type];
          expect(r.ok ? r.status.state : undefined).toBe(to);
          if (isTerminalClusterState(state)) expect(r.ok).toBe(false);
          if (r.ok && !isLiveClusterState(r.status.state)) expect(r.status.reason).toBeDefined();
        },
      ),
    );
    expect(CLUSTER_STATES.filter(isTerminalClusterState)).toEqual(['Stopped', 'Failed']);
    expect(CLUSTER_STATES.filter(isLiveClusterState)).toEqual(['Starting', 'Idle', 'Busy']);
  });
});
