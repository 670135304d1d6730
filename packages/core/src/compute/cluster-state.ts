/**
 * The cluster lifecycle: Starting → Idle ⇄ Busy → Stopping → Stopped, or Failed with
 * AWS's error. Every transition is driven by an event and yields the new status with its
 * termination reason, so the control plane can persist both together.
 */
import { assertNever } from '../assert-never.ts';
import { InvalidTransitionError } from '../errors.ts';

/** Every cluster state. */
export const CLUSTER_STATES = [
  'Starting',
  'Idle',
  'Busy',
  'Stopping',
  'Stopped',
  'Failed',
] as const;
/** A cluster state. */
export type ClusterState = (typeof CLUSTER_STATES)[number];

/** Why a cluster ended (or is ending). */
export const TERMINATION_REASONS = ['StoppedByUser', 'StoppedInactive', 'Failed'] as const;
/** A termination reason. */
export type TerminationReason = (typeof TERMINATION_REASONS)[number];

/** The AWS (or ferry) error that failed a cluster. */
export interface ClusterError {
  readonly code: string;
  readonly message: string;
}

/** A cluster's persisted status. */
export interface ClusterStatus {
  readonly state: ClusterState;
  readonly reason?: TerminationReason;
  readonly error?: ClusterError;
}

/** What can happen to a cluster. */
export type ClusterEvent =
  | { readonly type: 'ready' } // every node registered with the control plane
  | { readonly type: 'busy' } // a query or client is active
  | { readonly type: 'idle' } // no query and no client
  | { readonly type: 'stop'; readonly reason: 'StoppedByUser' | 'StoppedInactive' }
  | { readonly type: 'terminated' } // EC2 reports every instance terminated
  | { readonly type: 'fail'; readonly error: ClusterError };

/** A cluster event's type. */
export type ClusterEventType = ClusterEvent['type'];

/** The state each event leads to from each state; a missing entry is not allowed. */
export const CLUSTER_TRANSITIONS: Readonly<
  Record<ClusterState, Partial<Readonly<Record<ClusterEventType, ClusterState>>>>
> = {
  Starting: { ready: 'Idle', stop: 'Stopping', fail: 'Failed' },
  Idle: { busy: 'Busy', stop: 'Stopping', fail: 'Failed' },
  Busy: { idle: 'Idle', stop: 'Stopping', fail: 'Failed' },
  Stopping: { terminated: 'Stopped', fail: 'Failed' },
  Stopped: {},
  Failed: {},
};

/** The result of a transition. */
export type TransitionResult =
  | { readonly ok: true; readonly status: ClusterStatus }
  | { readonly ok: false; readonly error: InvalidTransitionError };

/** Applies `event` to `status`; an event the table does not allow yields an error, never a throw. */
export function transitionCluster(status: ClusterStatus, event: ClusterEvent): TransitionResult {
  const to = CLUSTER_TRANSITIONS[status.state][event.type];
  if (to === undefined) {
    return { ok: false, error: new InvalidTransitionError('cluster', status.state, event.type) };
  }
  switch (event.type) {
    case 'ready':
    case 'busy':
    case 'idle':
      return { ok: true, status: { state: to } };
    case 'stop':
      return { ok: true, status: { state: to, reason: event.reason } };
    case 'terminated':
      // Stopped keeps the reason given when stopping began.
      return {
        ok: true,
        status: { state: to, ...(status.reason ? { reason: status.reason } : {}) },
      };
    case 'fail':
      return { ok: true, status: { state: to, reason: 'Failed', error: event.error } };
    default:
      return assertNever(event, 'cluster event');
  }
}

/** True while the cluster wants its instances (it is starting or running). */
export function isLiveClusterState(state: ClusterState): boolean {
  switch (state) {
    case 'Starting':
    case 'Idle':
    case 'Busy':
      return true;
    case 'Stopping':
    case 'Stopped':
    case 'Failed':
      return false;
    default:
      return assertNever(state, 'cluster state');
  }
}

/** True once the cluster can never change again. */
export function isTerminalClusterState(state: ClusterState): boolean {
  return Object.keys(CLUSTER_TRANSITIONS[state]).length === 0;
}
