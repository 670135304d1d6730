/**
 * Differential test: the IAM and STS calls ferry makes, sent through the same SDK clients
 * to localcloud and to moto_server; what the SDK parses from each must have the same shape
 * (keys and types) and the same error codes, except the differences listed (and
 * documented in docs/localcloud.md).
 */
import {
  AddRoleToInstanceProfileCommand,
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreateInstanceProfileCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteRoleCommand,
  GetInstanceProfileCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListInstanceProfilesForRoleCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  PutRolePolicyCommand,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloudHarness, SdkCredentials } from '../../testing/index.ts';
import type { MotoServer } from '../../testing/moto-server.ts';
import { startLocalCloudHarness } from '../../testing/index.ts';
import { startMotoServer } from '../../testing/moto-server.ts';
import { compareRuns, type Outcome } from '../../testing/shape-diff.ts';
import { shapeOf } from '../../testing/shape-of.ts';

interface Backend {
  iam: IAMClient;
  sts: (c?: SdkCredentials) => STSClient;
  accountId: string;
}

interface Step {
  name: string;
  run(b: Backend, memo: Record<string, unknown>): Promise<unknown>;
}

const trust = (accountId: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${accountId}:root` },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': 'diff-ext' } },
      },
    ],
  });
const allow = (action: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }],
  });

const steps: Step[] = [
  { name: 'GetCallerIdentity', run: (b) => b.sts().send(new GetCallerIdentityCommand({})) },
  {
    name: 'CreateRole',
    run: (b) =>
      b.iam.send(
        new CreateRoleCommand({
          RoleName: 'DiffRole',
          Path: '/ferry/',
          AssumeRolePolicyDocument: trust(b.accountId),
          MaxSessionDuration: 7200,
          Description: 'differential',
          Tags: [{ Key: 'ferry', Value: 'yes' }],
        }),
      ),
  },
  {
    name: 'CreateRole duplicate',
    run: (b) =>
      b.iam.send(
        new CreateRoleCommand({
          RoleName: 'DiffRole',
          AssumeRolePolicyDocument: trust(b.accountId),
        }),
      ),
  },
  { name: 'GetRole', run: (b) => b.iam.send(new GetRoleCommand({ RoleName: 'DiffRole' })) },
  { name: 'GetRole missing', run: (b) => b.iam.send(new GetRoleCommand({ RoleName: 'Missing' })) },
  { name: 'ListRoles', run: (b) => b.iam.send(new ListRolesCommand({ PathPrefix: '/ferry/' })) },
  {
    name: 'PutRolePolicy',
    run: (b) =>
      b.iam.send(
        new PutRolePolicyCommand({
          RoleName: 'DiffRole',
          PolicyName: 'inline',
          PolicyDocument: allow('s3:GetObject'),
        }),
      ),
  },
  {
    name: 'GetRolePolicy',
    run: (b) =>
      b.iam.send(new GetRolePolicyCommand({ RoleName: 'DiffRole', PolicyName: 'inline' })),
  },
  {
    name: 'ListRolePolicies',
    run: (b) => b.iam.send(new ListRolePoliciesCommand({ RoleName: 'DiffRole' })),
  },
  {
    name: 'CreatePolicy',
    run: async (b, memo) => {
      const out = await b.iam.send(
        new CreatePolicyCommand({
          PolicyName: 'DiffPolicy',
          PolicyDocument: allow('sqs:SendMessage'),
        }),
      );
      memo.policyArn = out.Policy?.Arn;
      return out;
    },
  },
  {
    name: 'GetPolicy',
    run: (b, memo) => b.iam.send(new GetPolicyCommand({ PolicyArn: memo.policyArn as string })),
  },
  {
    name: 'GetPolicyVersion',
    run: (b, memo) =>
      b.iam.send(
        new GetPolicyVersionCommand({ PolicyArn: memo.policyArn as string, VersionId: 'v1' }),
      ),
  },
  {
    name: 'AttachRolePolicy',
    run: (b, memo) =>
      b.iam.send(
        new AttachRolePolicyCommand({ RoleName: 'DiffRole', PolicyArn: memo.policyArn as string }),
      ),
  },
  {
    name: 'ListAttachedRolePolicies',
    run: (b) => b.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'DiffRole' })),
  },
  {
    name: 'DeleteRole with policies',
    run: (b) => b.iam.send(new DeleteRoleCommand({ RoleName: 'DiffRole' })),
  },
  {
    name: 'TagRole',
    run: (b) =>
      b.iam.send(new TagRoleCommand({ RoleName: 'DiffRole', Tags: [{ Key: 'more', Value: '1' }] })),
  },
  {
    name: 'UpdateRole',
    run: (b) =>
      b.iam.send(new UpdateRoleCommand({ RoleName: 'DiffRole', MaxSessionDuration: 3600 })),
  },
  {
    name: 'UpdateAssumeRolePolicy',
    run: (b) =>
      b.iam.send(
        new UpdateAssumeRolePolicyCommand({
          RoleName: 'DiffRole',
          PolicyDocument: trust(b.accountId),
        }),
      ),
  },
  {
    name: 'CreateInstanceProfile',
    run: (b) =>
      b.iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'DiffProfile' })),
  },
  {
    name: 'AddRoleToInstanceProfile',
    run: (b) =>
      b.iam.send(
        new AddRoleToInstanceProfileCommand({
          InstanceProfileName: 'DiffProfile',
          RoleName: 'DiffRole',
        }),
      ),
  },
  {
    name: 'GetInstanceProfile',
    run: (b) => b.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'DiffProfile' })),
  },
  {
    name: 'ListInstanceProfilesForRole',
    run: (b) => b.iam.send(new ListInstanceProfilesForRoleCommand({ RoleName: 'DiffRole' })),
  },
  { name: 'CreateUser', run: (b) => b.iam.send(new CreateUserCommand({ UserName: 'diff-user' })) },
  {
    name: 'CreateAccessKey',
    run: (b) => b.iam.send(new CreateAccessKeyCommand({ UserName: 'diff-user' })),
  },
  {
    name: 'ListAccessKeys',
    run: (b) => b.iam.send(new ListAccessKeysCommand({ UserName: 'diff-user' })),
  },
  {
    name: 'AssumeRole',
    run: async (b, memo) => {
      const out = await b.sts().send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${b.accountId}:role/ferry/DiffRole`,
          RoleSessionName: 'diff-session',
          ExternalId: 'diff-ext',
          DurationSeconds: 900,
        }),
      );
      memo.session = {
        accessKeyId: out.Credentials?.AccessKeyId ?? '',
        secretAccessKey: out.Credentials?.SecretAccessKey ?? '',
        sessionToken: out.Credentials?.SessionToken,
      };
      return out;
    },
  },
  {
    name: 'GetCallerIdentity as session',
    run: async (b, memo) => {
      const out = await b
        .sts(memo.session as SdkCredentials)
        .send(new GetCallerIdentityCommand({}));
      memo.sessionArn = out.Arn;
      return out;
    },
  },
  {
    name: 'AssumeRole bad duration',
    run: (b) =>
      b.sts().send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${b.accountId}:role/ferry/DiffRole`,
          RoleSessionName: 'diff-session',
          ExternalId: 'diff-ext',
          DurationSeconds: 100,
        }),
      ),
  },
];

/**
 * Known differences, each justified in docs/localcloud.md ("Differences from moto").
 * A difference that disappears makes the test fail, so the list stays true.
 */
const MOTO_PART = 'sts';

const knownDifferences: Record<string, string> = {
  // AWS's ListAccessKeys and ListInstanceProfilesForRole answers always have IsTruncated (API
  // reference, response elements).
  'ListAccessKeys $.IsTruncated': 'moto omits IsTruncated',
  'ListInstanceProfilesForRole $.IsTruncated': 'moto omits IsTruncated',
  // AWS returns PackedPolicySize only when session policies or tags are passed.
  'AssumeRole $.PackedPolicySize': 'moto always returns PackedPolicySize',
  // AWS: DurationSeconds minimum 900 (ValidationError below).
  'AssumeRole bad duration $': 'moto does not validate DurationSeconds',
  // The Role shape inside an InstanceProfile has Description; localcloud fills it, moto does not.
  'GetInstanceProfile $.InstanceProfile.Roles[].Description':
    'moto omits the Description of roles inside instance profiles',
  'ListInstanceProfilesForRole $.InstanceProfiles[].Roles[].Description':
    'moto omits the Description of roles inside instance profiles',
};
async function runAll(b: Backend): Promise<Record<string, Outcome>> {
  const memo: Record<string, unknown> = {};
  const out: Record<string, Outcome> = {};
  for (const step of steps) {
    try {
      out[step.name] = { ok: shapeOf(await step.run(b, memo)) };
    } catch (err) {
      out[step.name] = { error: (err as { name: string }).name };
    }
  }
  out['session ARN form'] = {
    ok: String(memo.sessionArn).replace(/\d{12}/, 'ACCT') as 'string',
  };
  return out;
}

describe('IAM and STS against moto_server', { timeout: 120_000 }, () => {
  let lc: LocalCloudHarness;
  let moto: MotoServer;

  beforeAll(async () => {
    [lc, moto] = await Promise.all([startLocalCloudHarness(), startMotoServer()]);
  });
  afterAll(async () => {
    await Promise.all([lc?.stop(), moto?.stop()]);
  });

  it('parses to the same shapes and error codes', async () => {
    const acct = await lc.createAccount();
    const local: Backend = {
      iam: new IAMClient(lc.clientConfig(acct)),
      sts: (c) => new STSClient(lc.clientConfig(c ?? acct)),
      accountId: acct.accountId,
    };
    const motoCreds = { accessKeyId: 'AKIAMOTOMOTOMOTO0000', secretAccessKey: 'moto' };
    const motoConfig = (c: SdkCredentials) => ({
      endpoint: moto.url,
      region: 'us-east-1',
      credentials: c,
      maxAttempts: 1,
    });
    const motoIdentity = await new STSClient(motoConfig(motoCreds)).send(
      new GetCallerIdentityCommand({}),
    );
    const remote: Backend = {
      iam: new IAMClient(motoConfig(motoCreds)),
      sts: (c) => new STSClient(motoConfig(c ?? motoCreds)),
      accountId: motoIdentity.Account ?? '',
    };
    const [ours, theirs] = [await runAll(local), await runAll(remote)];
    const { differences, report } = compareRuns(ours, theirs, knownDifferences);
    console.log(`moto differential (${MOTO_PART}): ${report.join('\n')}`);
    // Exactly the allowed (step, path) differences: a new one, or one that went away, fails.
    expect(Object.keys(differences).sort(), JSON.stringify(differences, null, 1)).toEqual(
      Object.keys(knownDifferences).sort(),
    );
    // The calls ferry depends on succeed on localcloud.
    for (const name of ['AssumeRole', 'GetCallerIdentity as session', 'CreateRole', 'GetRole'])
      expect(ours[name]).toHaveProperty('ok');
    expect(ours['GetRole missing']).toEqual({ error: 'NoSuchEntityException' });
  });
});
