import {
  DENIED_SAMPLES,
  entriesForRole,
  EXTERNAL_ID_PATTERN,
  findEntry,
  PERMISSION_FREE,
} from '@ferry/aws-template';
import { describe, expect, it } from 'vitest';
import { CALLED_ACTIONS } from './aws-actions.ts';
import { sessionNameFor } from './credential-broker.ts';
import { ec2ProbeFor } from './role-probes.ts';
import { newExternalId } from './setup-service.ts';
import { PLATFORM_INIT_ACTIONS } from './platform-init.ts';

describe('AWS actions of the control plane', () => {
  it('every action called is an entry of the permission registry for its role', () => {
    for (const { role, action, by } of CALLED_ACTIONS) {
      expect(findEntry(role, action), `${role} ${action} (${by})`).toBeDefined();
    }
    for (const action of PLATFORM_INIT_ACTIONS) {
      expect(CALLED_ACTIONS.some((c) => c.role === 'Platform' && c.action === action)).toBe(true);
    }
    // GetCallerIdentity needs no permission, and the registry says so.
    expect(PERMISSION_FREE.map((p) => p.action)).toContain('sts:GetCallerIdentity');
  });

  it('every EC2 dry-run probe the verifier sends is declared for the role it probes', () => {
    const target = {
      workspaceId: 'ws_x',
      subnetIds: ['subnet-0123456789abcdef0'],
      directSecurityGroupId: 'sg-0123456789abcdef0',
      workerInstanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/p',
      launchTemplateId: 'lt-0123456789abcdef0',
    };
    for (const role of ['UserInitiated', 'Unattended'] as const) {
      // Every action the registry says is dry-run probed (without a note) has a probe …
      for (const entry of entriesForRole(role)) {
        if (entry.probe.kind !== 'dry-run' || entry.probe.note !== undefined) continue;
        expect(ec2ProbeFor(entry.action, target), `${role} ${entry.action}`).toBeDefined();
      }
      // … and every probe sent is a declared call of that role.
      for (const entry of entriesForRole(role)) {
        if (ec2ProbeFor(entry.action, target) === undefined) continue;
        expect(
          CALLED_ACTIONS.some((c) => c.role === role && c.action === entry.action),
          `${role} ${entry.action}`,
        ).toBe(true);
      }
    }
    // Without a probe template, the probes that need one are not sent.
    const { launchTemplateId: _, ...bare } = target;
    expect(ec2ProbeFor('ec2:CreateFleet', bare)).toBeUndefined();
    // Must-deny samples are requests, not calls the product relies on.
    expect(DENIED_SAMPLES.length).toBeGreaterThan(0);
  });
});

describe('credential broker naming', () => {
  it('names sessions after the actor within STS limits', () => {
    expect(sessionNameFor({ kind: 'user', id: 'user_01jd' })).toBe('user-user_01jd');
    expect(sessionNameFor({ kind: 'service-account', id: 'sa_01' })).toBe('sa-sa_01');
    expect(sessionNameFor({ kind: 'system', name: 'reaper' })).toBe('ferry-reaper');
    const long = sessionNameFor({ kind: 'user', id: `x y/${'z'.repeat(100)}` });
    expect(long).toMatch(/^[\w+=,.@-]{2,64}$/);
  });
});

describe('external IDs', () => {
  it('are long, in STS charset, and never repeat', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newExternalId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) {
      expect(id.length).toBeGreaterThanOrEqual(32);
      expect(id).toMatch(new RegExp(`^${EXTERNAL_ID_PATTERN}$`));
    }
  });
});
