import { describe, expect, it } from 'vitest';
import {
  PERMISSIONS,
  effectiveWorkspaceRole,
  orgRoleAllows,
  workspaceRoleAllows,
  SERVICE_ACCOUNT_PERMISSIONS,
} from './roles.ts';

describe('permission matrix', () => {
  it('gives org admins every org permission and members only reading and creating', () => {
    expect(orgRoleAllows('admin', 'members:manage')).toBe(true);
    expect(orgRoleAllows('admin', 'audit:read')).toBe(true);
    expect(orgRoleAllows('member', 'org:read')).toBe(true);
    expect(orgRoleAllows('member', 'org:manage')).toBe(false);
    expect(orgRoleAllows('member', 'audit:read')).toBe(false);
  });

  it('makes org admins admins of every workspace', () => {
    expect(effectiveWorkspaceRole('admin', undefined)).toBe('admin');
    expect(effectiveWorkspaceRole('admin', 'member')).toBe('admin');
    expect(effectiveWorkspaceRole('member', undefined)).toBeUndefined();
    expect(effectiveWorkspaceRole('member', 'member')).toBe('member');
    expect(effectiveWorkspaceRole(undefined, 'admin')).toBeUndefined();
  });

  it('keeps workspace members from managing', () => {
    expect(workspaceRoleAllows('member', 'compute:start')).toBe(true);
    expect(workspaceRoleAllows('member', 'workspace:manage')).toBe(false);
    expect(workspaceRoleAllows('member', 'connections:manage')).toBe(false);
    expect(workspaceRoleAllows('admin', 'connections:manage')).toBe(true);
  });

  it('never grants a service account management', () => {
    for (const p of SERVICE_ACCOUNT_PERMISSIONS) expect(p.endsWith(':manage')).toBe(false);
    expect(new Set(PERMISSIONS).size).toBe(PERMISSIONS.length);
  });
});
