import { DENIED_SAMPLES, entriesForRole, findEntry, PERMISSION_FREE } from '@ferry/aws-template';
import { describe, expect, it } from 'vitest';
import { PLATFORM_INIT_ACTIONS } from './platform-init.ts';
import { ec2ProbeFor } from './role-probes.ts';

describe('the verifier’s probes', () => {
  it('dry-runs every registry entry that says it can be dry-run probed', () => {
    const target = {
      workspaceId: 'ws_x',
      subnetIds: ['subnet-0123456789abcdef0'],
      directSecurityGroupId: 'sg-0123456789abcdef0',
      workerInstanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/p',
      launchTemplateId: 'lt-0123456789abcdef0',
    };
    for (const role of ['UserInitiated', 'Unattended'] as const) {
      for (const entry of entriesForRole(role)) {
        if (entry.probe.kind !== 'dry-run' || entry.probe.note !== undefined) continue;
        expect(ec2ProbeFor(entry.action, target), `${role} ${entry.action}`).toBeDefined();
      }
    }
    // Without a probe template, the probes that need one are not sent.
    const { launchTemplateId: _, ...bare } = target;
    expect(ec2ProbeFor('ec2:CreateFleet', bare)).toBeUndefined();
    // Must-deny samples are requests, not calls the product relies on.
    expect(DENIED_SAMPLES.length).toBeGreaterThan(0);
  });

  it('platform init only calls what the Platform entries grant', () => {
    for (const action of PLATFORM_INIT_ACTIONS) {
      expect(findEntry('Platform', action), action).toBeDefined();
    }
    // GetCallerIdentity needs no permission, and the registry says so.
    expect(PERMISSION_FREE.map((p) => p.action)).toContain('sts:GetCallerIdentity');
  });
});
