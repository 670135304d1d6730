import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidTransitionError } from './errors.ts';
import {
  WORKSPACE_STATES,
  canTransitionWorkspace,
  isTerminalWorkspaceState,
  transitionWorkspace,
} from './workspace-state.ts';

describe('workspace state machine', () => {
  it('follows the documented lifecycle', () => {
    expect(transitionWorkspace('Uninitialized', 'Pending')).toBe('Pending');
    expect(transitionWorkspace('Pending', 'Active')).toBe('Active');
    expect(transitionWorkspace('Pending', 'Failed')).toBe('Failed');
    expect(transitionWorkspace('Active', 'Degraded')).toBe('Degraded');
    expect(transitionWorkspace('Degraded', 'Active')).toBe('Active');
    expect(() => transitionWorkspace('Uninitialized', 'Active')).toThrow(InvalidTransitionError);
  });

  it('lets every live state be deleted and nothing leave Deleted', () => {
    fc.assert(
      fc.property(fc.constantFrom(...WORKSPACE_STATES), (s) => {
        if (s === 'Deleted') {
          expect(isTerminalWorkspaceState(s)).toBe(true);
          for (const t of WORKSPACE_STATES) expect(canTransitionWorkspace(s, t)).toBe(false);
        } else {
          expect(canTransitionWorkspace(s, 'Deleted')).toBe(true);
          expect(canTransitionWorkspace(s, s)).toBe(false);
        }
      }),
    );
  });
});
