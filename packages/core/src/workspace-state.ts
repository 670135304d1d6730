/**
 * The workspace lifecycle. A workspace starts Uninitialized; creating its stack makes it
 * Pending; verification makes it Active or Failed; an Active workspace whose checks start
 * failing is Degraded until they pass again. Deleted is final.
 */
import { InvalidTransitionError } from './errors.ts';

/** Every workspace state. */
export const WORKSPACE_STATES = [
  'Uninitialized',
  'Pending',
  'Active',
  'Degraded',
  'Failed',
  'Deleted',
] as const;
/** A workspace state. */
export type WorkspaceState = (typeof WORKSPACE_STATES)[number];

const TRANSITIONS: Readonly<Record<WorkspaceState, readonly WorkspaceState[]>> = {
  Uninitialized: ['Pending', 'Deleted'],
  Pending: ['Active', 'Failed', 'Uninitialized', 'Deleted'],
  Active: ['Degraded', 'Pending', 'Deleted'],
  Degraded: ['Active', 'Failed', 'Pending', 'Deleted'],
  Failed: ['Pending', 'Uninitialized', 'Deleted'],
  Deleted: [],
};

/** States reachable from `from` in one step. */
export function nextWorkspaceStates(from: WorkspaceState): readonly WorkspaceState[] {
  return TRANSITIONS[from];
}

/** True when the workspace may go from `from` to `to`. */
export function canTransitionWorkspace(from: WorkspaceState, to: WorkspaceState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Returns `to` when the transition is allowed; throws InvalidTransitionError otherwise. */
export function transitionWorkspace(from: WorkspaceState, to: WorkspaceState): WorkspaceState {
  if (!canTransitionWorkspace(from, to)) throw new InvalidTransitionError('workspace', from, to);
  return to;
}

/** True once the workspace can never change again. */
export function isTerminalWorkspaceState(state: WorkspaceState): boolean {
  return TRANSITIONS[state].length === 0;
}
