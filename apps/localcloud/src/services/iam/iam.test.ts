import {
  AddRoleToInstanceProfileCommand,
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreateInstanceProfileCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteInstanceProfileCommand,
  DeletePolicyCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetInstanceProfileCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListInstanceProfilesForRoleCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  RemoveRoleFromInstanceProfileCommand,
  SimulatePrincipalPolicyCommand,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloudHarness, TestAccount } from '../../testing/index.ts';
import { errorOf, startLocalCloudHarness } from '../../testing/index.ts';

const allow = (action: string | string[], resource = '*') =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: action, Resource: resource }],
  });
const ec2Trust = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
  ],
});

describe('IAM through the AWS SDK v3', () => {
  let lc: LocalCloudHarness;
  let acct: TestAccount;
  let iam: IAMClient;

  beforeAll(async () => {
    lc = await startLocalCloudHarness();
    acct = await lc.createAccount();
    iam = new IAMClient(lc.clientConfig(acct));
  });
  afterAll(async () => {
    await lc.stop();
  });

  it('creates, reads, lists and deletes roles with their trust policy and limits', async () => {
    const created = await iam.send(
      new CreateRoleCommand({
        RoleName: 'Worker',
        Path: '/ferry/',
        AssumeRolePolicyDocument: ec2Trust,
        MaxSessionDuration: 7200,
        Tags: [{ Key: 'ferry', Value: 'yes' }],
        Description: 'worker role',
      }),
    );
    expect(created.Role?.Arn).toBe(`arn:aws:iam::${acct.accountId}:role/ferry/Worker`);
    expect(created.Role?.RoleId).toMatch(/^AROA[A-Z2-7]{17}$/);
    expect(created.Role?.CreateDate).toBeInstanceOf(Date);
    const got = await iam.send(new GetRoleCommand({ RoleName: 'Worker' }));
    expect(JSON.parse(decodeURIComponent(got.Role?.AssumeRolePolicyDocument ?? ''))).toEqual(
      JSON.parse(ec2Trust),
    );
    expect(got.Role?.MaxSessionDuration).toBe(7200);
    expect(got.Role?.Tags).toEqual([{ Key: 'ferry', Value: 'yes' }]);
    const list = await iam.send(new ListRolesCommand({ PathPrefix: '/ferry/' }));
    expect(list.Roles?.map((r) => r.RoleName)).toEqual(['Worker']);
    expect(list.IsTruncated).toBe(false);

    const dup = await errorOf(
      iam.send(new CreateRoleCommand({ RoleName: 'worker', AssumeRolePolicyDocument: ec2Trust })),
    );
    expect(dup.name).toBe('EntityAlreadyExistsException');
    const malformed = await errorOf(
      iam.send(
        new CreateRoleCommand({
          RoleName: 'Bad',
          AssumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Maybe"}]}',
        }),
      ),
    );
    expect(malformed.name).toBe('MalformedPolicyDocumentException');
    const tooLong = await errorOf(
      iam.send(
        new CreateRoleCommand({
          RoleName: 'Long',
          AssumeRolePolicyDocument: ec2Trust,
          MaxSessionDuration: 50000,
        }),
      ),
    );
    expect(tooLong.name).toBe('ValidationError');
    const badName = await errorOf(
      iam.send(
        new CreateRoleCommand({ RoleName: 'no spaces', AssumeRolePolicyDocument: ec2Trust }),
      ),
    );
    expect(badName.name).toBe('ValidationError');
    expect(badName.message).toContain('roleName');
    const missing = await errorOf(iam.send(new GetRoleCommand({ RoleName: 'Nope' })));
    expect(missing.name).toBe('NoSuchEntityException');
    expect(missing.message).toBe('The role with name Nope cannot be found.');

    await iam.send(
      new UpdateAssumeRolePolicyCommand({ RoleName: 'Worker', PolicyDocument: ec2Trust }),
    );
    await iam.send(
      new TagRoleCommand({ RoleName: 'Worker', Tags: [{ Key: 'ferry', Value: 'no' }] }),
    );
    const retagged = await iam.send(new GetRoleCommand({ RoleName: 'Worker' }));
    expect(retagged.Role?.Tags).toEqual([{ Key: 'ferry', Value: 'no' }]);
  });

  it('manages inline policies and refuses to delete a role that has them', async () => {
    await iam.send(
      new CreateRoleCommand({ RoleName: 'Inline', AssumeRolePolicyDocument: ec2Trust }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'Inline',
        PolicyName: 's3',
        PolicyDocument: allow('s3:GetObject'),
      }),
    );
    const got = await iam.send(new GetRolePolicyCommand({ RoleName: 'Inline', PolicyName: 's3' }));
    expect(JSON.parse(decodeURIComponent(got.PolicyDocument ?? ''))).toEqual(
      JSON.parse(allow('s3:GetObject')),
    );
    const names = await iam.send(new ListRolePoliciesCommand({ RoleName: 'Inline' }));
    expect(names.PolicyNames).toEqual(['s3']);
    const conflict = await errorOf(iam.send(new DeleteRoleCommand({ RoleName: 'Inline' })));
    expect(conflict.name).toBe('DeleteConflictException');
    const bad = await errorOf(
      iam.send(
        new PutRolePolicyCommand({
          RoleName: 'Inline',
          PolicyName: 'x',
          PolicyDocument: allow('nosuch:Thing'),
        }),
      ),
    );
    expect(bad.name).toBe('MalformedPolicyDocumentException');
    await iam.send(new DeleteRolePolicyCommand({ RoleName: 'Inline', PolicyName: 's3' }));
    await iam.send(new DeleteRoleCommand({ RoleName: 'Inline' }));
    const gone = await errorOf(iam.send(new GetRoleCommand({ RoleName: 'Inline' })));
    expect(gone.name).toBe('NoSuchEntityException');
  });

  it('manages customer managed policies, versions and attachments', async () => {
    const created = await iam.send(
      new CreatePolicyCommand({
        PolicyName: 'Reader',
        PolicyDocument: allow('s3:GetObject'),
        Path: '/ferry/',
      }),
    );
    const arn = created.Policy?.Arn ?? '';
    expect(arn).toBe(`arn:aws:iam::${acct.accountId}:policy/ferry/Reader`);
    expect(created.Policy?.DefaultVersionId).toBe('v1');
    await iam.send(
      new CreateRoleCommand({ RoleName: 'Attached', AssumeRolePolicyDocument: ec2Trust }),
    );
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'Attached', PolicyArn: arn }));
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'Attached' }));
    expect(attached.AttachedPolicies).toEqual([{ PolicyName: 'Reader', PolicyArn: arn }]);
    const v2 = await iam.send(
      new CreatePolicyVersionCommand({
        PolicyArn: arn,
        PolicyDocument: allow(['s3:GetObject', 's3:ListBucket']),
        SetAsDefault: true,
      }),
    );
    expect(v2.PolicyVersion?.VersionId).toBe('v2');
    expect(v2.PolicyVersion?.IsDefaultVersion).toBe(true);
    const version = await iam.send(
      new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v2' }),
    );
    expect(decodeURIComponent(version.PolicyVersion?.Document ?? '')).toContain('s3:ListBucket');
    const attachedConflict = await errorOf(iam.send(new DeletePolicyCommand({ PolicyArn: arn })));
    expect(attachedConflict.name).toBe('DeleteConflictException');
    for (let i = 3; i <= 5; i++)
      await iam.send(
        new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: allow('s3:GetObject') }),
      );
    const limit = await errorOf(
      iam.send(
        new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: allow('s3:GetObject') }),
      ),
    );
    expect(limit.name).toBe('LimitExceededException');
    await iam.send(new DetachRolePolicyCommand({ RoleName: 'Attached', PolicyArn: arn }));
    await iam.send(new DeletePolicyCommand({ PolicyArn: arn }));
    const unknown = await errorOf(
      iam.send(new AttachRolePolicyCommand({ RoleName: 'Attached', PolicyArn: arn })),
    );
    expect(unknown.name).toBe('NoSuchEntityException');
  });

  it('manages instance profiles with at most one role', async () => {
    await iam.send(
      new CreateRoleCommand({ RoleName: 'IpRole', AssumeRolePolicyDocument: ec2Trust }),
    );
    await iam.send(
      new CreateRoleCommand({ RoleName: 'IpRole2', AssumeRolePolicyDocument: ec2Trust }),
    );
    const created = await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'Ip' }));
    expect(created.InstanceProfile?.Arn).toBe(`arn:aws:iam::${acct.accountId}:instance-profile/Ip`);
    expect(created.InstanceProfile?.Roles).toEqual([]);
    await iam.send(
      new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'Ip', RoleName: 'IpRole' }),
    );
    const limit = await errorOf(
      iam.send(
        new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'Ip', RoleName: 'IpRole2' }),
      ),
    );
    expect(limit.name).toBe('LimitExceededException');
    const got = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'Ip' }));
    expect(got.InstanceProfile?.Roles?.map((r) => r.RoleName)).toEqual(['IpRole']);
    const forRole = await iam.send(new ListInstanceProfilesForRoleCommand({ RoleName: 'IpRole' }));
    expect(forRole.InstanceProfiles?.map((p) => p.InstanceProfileName)).toEqual(['Ip']);
    const busyRole = await errorOf(iam.send(new DeleteRoleCommand({ RoleName: 'IpRole' })));
    expect(busyRole.name).toBe('DeleteConflictException');
    const busy = await errorOf(
      iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: 'Ip' })),
    );
    expect(busy.name).toBe('DeleteConflictException');
    await iam.send(
      new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: 'Ip', RoleName: 'IpRole' }),
    );
    await iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: 'Ip' }));
  });

  it('manages users and access keys; a new key works and a deleted key does not', async () => {
    const user = await iam.send(new CreateUserCommand({ UserName: 'ops' }));
    expect(user.User?.UserId).toMatch(/^AIDA[A-Z2-7]{17}$/);
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'ops' }));
    const creds = {
      accessKeyId: key.AccessKey?.AccessKeyId ?? '',
      secretAccessKey: key.AccessKey?.SecretAccessKey ?? '',
    };
    expect(creds.accessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    const keys = await iam.send(new ListAccessKeysCommand({ UserName: 'ops' }));
    expect(keys.AccessKeyMetadata?.map((k) => k.AccessKeyId)).toEqual([creds.accessKeyId]);
    const ops = new IAMClient(lc.clientConfig(creds));
    // No policy yet: denied with AWS's sentence.
    const denied = await errorOf(ops.send(new GetUserCommand({})));
    expect(denied.name).toBe('AccessDenied');
    expect(denied.message).toBe(
      `User: arn:aws:iam::${acct.accountId}:user/ops is not authorized to perform: iam:GetUser on resource: arn:aws:iam::${acct.accountId}:user/ops because no identity-based policy allows the iam:GetUser action`,
    );
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'ops',
        PolicyName: 'self',
        PolicyDocument: allow('iam:GetUser', 'arn:aws:iam::*:user/${aws:username}'),
      }),
    );
    const self = await ops.send(new GetUserCommand({}));
    expect(self.User?.UserName).toBe('ops');
    const other = await errorOf(ops.send(new GetUserCommand({ UserName: 'admin' })));
    expect(other.name).toBe('AccessDenied');
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'ops', AccessKeyId: creds.accessKeyId }));
    const revoked = await errorOf(ops.send(new GetUserCommand({})));
    expect(revoked.name).toBe('InvalidClientTokenId');
  });

  it('paginates with Marker and MaxItems', async () => {
    for (const n of ['P1', 'P2', 'P3'])
      await iam.send(
        new CreateRoleCommand({ RoleName: n, Path: '/page/', AssumeRolePolicyDocument: ec2Trust }),
      );
    const first = await iam.send(new ListRolesCommand({ PathPrefix: '/page/', MaxItems: 2 }));
    expect(first.Roles?.map((r) => r.RoleName)).toEqual(['P1', 'P2']);
    expect(first.IsTruncated).toBe(true);
    const second = await iam.send(
      new ListRolesCommand({ PathPrefix: '/page/', MaxItems: 2, Marker: first.Marker }),
    );
    expect(second.Roles?.map((r) => r.RoleName)).toEqual(['P3']);
    expect(second.IsTruncated).toBe(false);
    expect(second.Marker).toBeUndefined();
    const bad = await errorOf(iam.send(new ListRolesCommand({ Marker: 'garbage' })));
    expect(bad.name).toBe('ValidationError');
  });

  it('simulates a principal policy with the enforcing engine', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'Sim', AssumeRolePolicyDocument: ec2Trust }));
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'Sim',
        PolicyName: 'p',
        PolicyDocument: allow('s3:GetObject', 'arn:aws:s3:::data/*'),
      }),
    );
    const out = await iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: `arn:aws:iam::${acct.accountId}:role/Sim`,
        ActionNames: ['s3:GetObject', 's3:PutObject'],
        ResourceArns: ['arn:aws:s3:::data/x'],
      }),
    );
    expect(out.EvaluationResults?.map((r) => [r.EvalActionName, r.EvalDecision])).toEqual([
      ['s3:GetObject', 'allowed'],
      ['s3:PutObject', 'implicitDeny'],
    ]);
    expect(out.EvaluationResults?.[0]?.MatchedStatements?.[0]?.SourcePolicyId).toContain(
      'role/Sim/p',
    );
  });
});
