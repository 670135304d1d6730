import { actionsMatching, evaluate } from '@ferry/iam';
import { describe, expect, it } from 'vitest';
import {
  actionsForRole,
  CUSTOMER_ROLES,
  PERMISSIONS,
  type CustomerRole,
} from './permission-registry.ts';
import {
  assessStack,
  assessTrust,
  deniedCases,
  namedPolicy,
  registryCases,
  roleSession,
  stackPolicies,
  trustCases,
  type AssessmentCase,
} from './policy-assessment.ts';
import { renderRolePolicy, renderTrustPolicy } from './role-policy.ts';
import {
  createSampleStack,
  DEMO_EXISTING_NETWORK,
  DEMO_PARAMETERS,
  type SampleStack,
} from './sample-stack.ts';
import { buildTemplate } from './template-builder.ts';

const variants = [
  { network: 'new', buckets: [] },
  { network: 'new', buckets: ['analytics-raw', 'analytics-results'] },
  { network: 'existing', buckets: [] },
  { network: 'existing', buckets: ['analytics-raw'] },
] as const;

function deploy(network: 'new' | 'existing', buckets: readonly string[]): SampleStack {
  return createSampleStack(buildTemplate({ network }), {
    parameters: {
      ...DEMO_PARAMETERS,
      WorkerBuckets: [...buckets],
      ...(network === 'existing'
        ? { VpcId: DEMO_EXISTING_NETWORK.VpcId, SubnetIds: [...DEMO_EXISTING_NETWORK.SubnetIds] }
        : {}),
    },
  });
}

const failures = (results: { ok: boolean }[]) => results.filter((r) => !r.ok);

describe.each(variants)('the $network-network stack, buckets $buckets', ({ network, buckets }) => {
  const stack = deploy(network, buckets);
  const v = stack.values;
  const policies = stackPolicies(stack);

  it('deploys policies that equal the registry rendered for the same stack', () => {
    for (const role of CUSTOMER_ROLES) {
      expect(policies[role].identity.map((p) => p.document)).toEqual([
        namedPolicy(role, renderRolePolicy(role, v), 'identity').document,
      ]);
      expect(policies[role].trust.document).toEqual(
        namedPolicy(role, renderTrustPolicy(role, v), 'trust').document,
      );
    }
  });

  it('allows every registry entry, for every resource and condition it declares', () => {
    const cases = registryCases(v);
    // At least one case per customer-role entry of the registry.
    expect(cases.length).toBeGreaterThanOrEqual(
      PERMISSIONS.filter((e) => e.role !== 'Platform').length,
    );
    expect(failures(assessStack(stack, cases))).toEqual([]);
  });

  it('denies every must-deny sample', () => {
    expect(failures(assessStack(stack, deniedCases(v)))).toEqual([]);
  });

  it('lets each role reach exactly its registry actions, nothing more through wildcards', () => {
    for (const role of CUSTOMER_ROLES) {
      const reachable = new Set<string>();
      for (const p of policies[role].identity) {
        for (const s of p.document.Statement) {
          expect(s.NotAction, `${role} ${s.Sid}`).toBeUndefined();
          expect(s.NotResource, `${role} ${s.Sid}`).toBeUndefined();
          expect(s.Effect).toBe('Allow');
          for (const pattern of s.Action ?? []) {
            const expanded = actionsMatching(pattern);
            expect(expanded.length, pattern).toBeGreaterThan(0);
            for (const a of expanded) reachable.add(a);
          }
        }
      }
      expect([...reachable].sort()).toEqual(actionsForRole(role));
    }
  });

  it('demands the external ID from the platform and lets EC2 use only the Worker role', () => {
    expect(failures(assessTrust(stack, v, trustCases(v)))).toEqual([]);
  });

  const sub = (s: string) => s.replace('ACCT', stack.facts.accountId);
  const ec2 = `arn:aws:ec2:us-east-1:${stack.facts.accountId}`;
  const subnet = v.SubnetIds![0]!;
  const tagged = {
    'aws:RequestTag/ferry:managed': 'true',
    'aws:RequestTag/ferry:workspace': v.WorkspaceId!,
  };
  const decide = (role: CustomerRole, c: Omit<AssessmentCase, 'role' | 'expect' | 'why'>) =>
    evaluate({
      principal: roleSession(policies[role].roleArn),
      action: c.action,
      resource: sub(c.resource),
      resourceAccount: stack.facts.accountId,
      context: c.context,
      identityPolicies: policies[role].identity,
    }).decision;

  it('authorizes a whole launch: every resource RunInstances checks', () => {
    const launch: [string, Record<string, string>][] = [
      [`${ec2}:instance/*`, { ...tagged, 'ec2:InstanceProfile': v.WorkerInstanceProfileArn! }],
      [`${ec2}:subnet/${subnet}`, { 'ec2:SubnetID': subnet, 'ec2:Vpc': `${ec2}:vpc/${v.VpcId}` }],
      [`${ec2}:security-group/${v.DirectSecurityGroupId}`, {}],
      [
        `${ec2}:network-interface/*`,
        { 'ec2:Vpc': `${ec2}:vpc/${v.VpcId}`, 'ec2:Subnet': `${ec2}:subnet/${subnet}` },
      ],
      ['arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0', {}],
      [`${ec2}:volume/*`, {}],
    ];
    for (const [resource, context] of launch) {
      expect(
        decide('UserInitiated', { action: 'ec2:RunInstances', resource, context }),
        resource,
      ).toBe('Allowed');
    }
  });

  it('refuses launches that step outside the stack', () => {
    const cases: [string, string, Record<string, string>][] = [
      [
        'untagged instance',
        `${ec2}:instance/*`,
        { 'ec2:InstanceProfile': v.WorkerInstanceProfileArn! },
      ],
      [
        'another profile',
        `${ec2}:instance/*`,
        {
          ...tagged,
          'ec2:InstanceProfile': `arn:aws:iam::${stack.facts.accountId}:instance-profile/Admin`,
        },
      ],
      [
        'another workspace’s tag',
        `${ec2}:instance/*`,
        {
          ...tagged,
          'aws:RequestTag/ferry:workspace': 'ws-other',
          'ec2:InstanceProfile': v.WorkerInstanceProfileArn!,
        },
      ],
      [
        'another subnet',
        `${ec2}:subnet/subnet-0ffffffffffffffff`,
        { 'ec2:SubnetID': 'subnet-0ffffffffffffffff' },
      ],
      ['another security group', `${ec2}:security-group/sg-0ffffffffffffffff`, {}],
      [
        'another VPC',
        `${ec2}:network-interface/*`,
        { 'ec2:Vpc': `${ec2}:vpc/vpc-0ffffffffffffffff` },
      ],
      ['another region', 'arn:aws:ec2:eu-west-1:ACCT:volume/*', {}],
    ];
    for (const [why, resource, context] of cases) {
      expect(
        decide('UserInitiated', { action: 'ec2:RunInstances', resource, context }),
        why,
      ).not.toBe('Allowed');
    }
  });

  it('lets nobody terminate an instance without ferry’s tag', () => {
    for (const role of CUSTOMER_ROLES) {
      for (const context of [
        {},
        { 'aws:ResourceTag/ferry:managed': 'true' },
        { 'aws:ResourceTag/ferry:workspace': v.WorkspaceId! },
      ]) {
        expect(
          decide(role, {
            action: 'ec2:TerminateInstances',
            resource: `${ec2}:instance/i-0123456789abcdef0`,
            context,
          }),
        ).not.toBe('Allowed');
      }
    }
    expect(
      decide('Unattended', {
        action: 'ec2:TerminateInstances',
        resource: `${ec2}:instance/i-0123456789abcdef0`,
        context: {
          'aws:ResourceTag/ferry:managed': 'true',
          'aws:ResourceTag/ferry:workspace': v.WorkspaceId!,
        },
      }),
    ).toBe('Allowed');
  });

  it('tags only at creation', () => {
    const resource = `${ec2}:instance/i-0123456789abcdef0`;
    expect(
      decide('UserInitiated', {
        action: 'ec2:CreateTags',
        resource,
        context: { 'ec2:CreateAction': 'RunInstances' },
      }),
    ).toBe('Allowed');
    expect(decide('UserInitiated', { action: 'ec2:CreateTags', resource, context: {} })).not.toBe(
      'Allowed',
    );
    expect(
      decide('UserInitiated', {
        action: 'ec2:CreateTags',
        resource,
        context: { 'ec2:CreateAction': 'CreateVolume' },
      }),
    ).not.toBe('Allowed');
  });

  it('scopes the Worker to the named buckets, or to all when none are named', () => {
    const other = decide('Worker', {
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::someone-elses-bucket/key.parquet',
      context: {},
    });
    expect(other).toBe(buckets.length === 0 ? 'Allowed' : 'ImplicitlyDenied');
    for (const b of buckets) {
      expect(
        decide('Worker', {
          action: 's3:PutObject',
          resource: `arn:aws:s3:::${b}/results/part-0.parquet`,
          context: {},
        }),
      ).toBe('Allowed');
      expect(
        decide('Worker', { action: 's3:ListBucket', resource: `arn:aws:s3:::${b}`, context: {} }),
      ).toBe('Allowed');
    }
    expect(
      decide('Worker', {
        action: 's3:PutBucketPolicy',
        resource: `arn:aws:s3:::${buckets[0] ?? 'any'}`,
        context: {},
      }),
    ).toBe('ImplicitlyDenied');
  });
});

describe('other partitions', () => {
  it.each(['aws-cn', 'aws-us-gov'])('scopes the Worker’s buckets with %s ARNs', (partition) => {
    const stack = createSampleStack(buildTemplate({ network: 'new' }), {
      partition,
      region: partition === 'aws-cn' ? 'cn-north-1' : 'us-gov-west-1',
      parameters: { ...DEMO_PARAMETERS, WorkerBuckets: ['raw', 'results'] },
    });
    const doc = stack.resources.WorkerPolicy!.Properties.PolicyDocument as {
      Statement: { Resource: string[] }[];
    };
    expect(doc.Statement.flatMap((s) => s.Resource).sort()).toEqual([
      `arn:${partition}:s3:::ferry-111122223333-ws-demo-results`,
      `arn:${partition}:s3:::ferry-111122223333-ws-demo-results/*`,
      `arn:${partition}:s3:::raw`,
      `arn:${partition}:s3:::raw/*`,
      `arn:${partition}:s3:::results`,
      `arn:${partition}:s3:::results/*`,
    ]);
    expect(stackPolicies(stack).Worker.identity[0]!.document).toEqual(
      namedPolicy('w', renderRolePolicy('Worker', stack.values), 'identity').document,
    );
  });
});
