import {
  AssumeRoleCommand,
  DecodeAuthorizationMessageCommand,
  GetCallerIdentityCommand,
  GetSessionTokenCommand,
  STSClient,
} from '@aws-sdk/client-sts';
import {
  CreateRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  CreateUserCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  UpdateRoleCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloudHarness, SdkCredentials, TestAccount } from '../../testing/index.ts';
import { errorOf, startLocalCloudHarness } from '../../testing/index.ts';

const trustWithExternalId = (principal: string, externalId: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: principal },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': externalId } },
      },
    ],
  });

const trust = (principal: string, actions: string[] = ['sts:AssumeRole']) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: principal }, Action: actions }],
  });

const allow = (action: string | string[], resource = '*') =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: action, Resource: resource }],
  });

describe('STS through the AWS SDK v3', () => {
  let lc: LocalCloudHarness;
  let a: TestAccount;
  let b: TestAccount;
  let iamA: IAMClient;
  let iamB: IAMClient;
  const sts = (c: SdkCredentials) => new STSClient(lc.clientConfig(c));
  const creds = (out: {
    Credentials?: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string };
  }): SdkCredentials => ({
    accessKeyId: out.Credentials?.AccessKeyId ?? '',
    secretAccessKey: out.Credentials?.SecretAccessKey ?? '',
    sessionToken: out.Credentials?.SessionToken,
  });

  beforeAll(async () => {
    lc = await startLocalCloudHarness();
    a = await lc.createAccount('a');
    b = await lc.createAccount('b');
    iamA = new IAMClient(lc.clientConfig(a));
    iamB = new IAMClient(lc.clientConfig(b));
  });
  afterAll(async () => {
    await lc.stop();
  });

  it('GetCallerIdentity names the admin user', async () => {
    const id = await sts(a).send(new GetCallerIdentityCommand({}));
    expect(id.Account).toBe(a.accountId);
    expect(id.Arn).toBe(`arn:aws:iam::${a.accountId}:user/admin`);
    expect(id.UserId).toMatch(/^AIDA[A-Z2-7]{17}$/);
  });

  it('requires the external ID the trust policy names', async () => {
    await iamA.send(
      new CreateRoleCommand({
        RoleName: 'ExtRole',
        AssumeRolePolicyDocument: trustWithExternalId(
          `arn:aws:iam::${a.accountId}:root`,
          'ext-123',
        ),
      }),
    );
    const missing = await errorOf(
      sts(a).send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${a.accountId}:role/ExtRole`,
          RoleSessionName: 'sess1',
        }),
      ),
    );
    expect(missing.name).toBe('AccessDenied');
    expect(missing.message).toContain(
      `arn:aws:iam::${a.accountId}:user/admin is not authorized to perform: sts:AssumeRole`,
    );
    const wrong = await errorOf(
      sts(a).send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${a.accountId}:role/ExtRole`,
          RoleSessionName: 'sess1',
          ExternalId: 'ext-999',
        }),
      ),
    );
    expect(wrong.name).toBe('AccessDenied');
    const ok = await sts(a).send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${a.accountId}:role/ExtRole`,
        RoleSessionName: 'sess1',
        ExternalId: 'ext-123',
      }),
    );
    expect(ok.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${a.accountId}:assumed-role/ExtRole/sess1`);
    expect(ok.AssumedRoleUser?.AssumedRoleId).toMatch(/^AROA[A-Z2-7]{17}:sess1$/);
    expect(ok.Credentials?.Expiration).toBeInstanceOf(Date);
    const who = await sts(creds(ok)).send(new GetCallerIdentityCommand({}));
    expect(who.Arn).toBe(`arn:aws:sts::${a.accountId}:assumed-role/ExtRole/sess1`);
    expect(who.UserId).toBe(ok.AssumedRoleUser?.AssumedRoleId);
  });

  it('accepts an external ID for a role that does not require one', async () => {
    await iamA.send(
      new CreateRoleCommand({
        RoleName: 'PlainRole',
        AssumeRolePolicyDocument: trust(`arn:aws:iam::${a.accountId}:root`),
      }),
    );
    const ok = await sts(a).send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${a.accountId}:role/PlainRole`,
        RoleSessionName: 'with-ext',
        ExternalId: 'anything-goes',
      }),
    );
    expect(ok.Credentials?.AccessKeyId).toMatch(/^ASIA/);
  });

  it('allows cross-account assume only when the trust names the caller and its identity allows it', async () => {
    const roleArn = `arn:aws:iam::${a.accountId}:role/CrossRole`;
    await iamA.send(
      new CreateRoleCommand({
        RoleName: 'CrossRole',
        AssumeRolePolicyDocument: trust(`arn:aws:iam::${b.accountId}:user/dev`),
      }),
    );
    await iamB.send(new CreateUserCommand({ UserName: 'dev' }));
    const key = await iamB.send(new CreateAccessKeyCommand({ UserName: 'dev' }));
    const dev = {
      accessKeyId: key.AccessKey?.AccessKeyId ?? '',
      secretAccessKey: key.AccessKey?.SecretAccessKey ?? '',
    };
    // Trust names dev, but dev's identity allows nothing.
    const noIdentity = await errorOf(
      sts(dev).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'x1' })),
    );
    expect(noIdentity.name).toBe('AccessDenied');
    await iamB.send(
      new PutUserPolicyCommand({
        UserName: 'dev',
        PolicyName: 'assume',
        PolicyDocument: allow('sts:AssumeRole', roleArn),
      }),
    );
    const ok = await sts(dev).send(
      new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'x1' }),
    );
    expect(ok.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${a.accountId}:assumed-role/CrossRole/x1`);
    // B's admin is allowed everything by identity, but the trust does not name it.
    const notNamed = await errorOf(
      sts(b).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'x2' })),
    );
    expect(notNamed.name).toBe('AccessDenied');
  });

  it('caps chained sessions at one hour and enforces MaxSessionDuration', async () => {
    await iamA.send(
      new CreateRoleCommand({
        RoleName: 'Hop1',
        AssumeRolePolicyDocument: trust(`arn:aws:iam::${a.accountId}:root`),
        MaxSessionDuration: 7200,
      }),
    );
    await iamA.send(
      new PutRolePolicyCommand({
        RoleName: 'Hop1',
        PolicyName: 'p',
        PolicyDocument: allow('sts:AssumeRole'),
      }),
    );
    await iamA.send(
      new CreateRoleCommand({
        RoleName: 'Hop2',
        AssumeRolePolicyDocument: trust(`arn:aws:iam::${a.accountId}:role/Hop1`),
        MaxSessionDuration: 7200,
      }),
    );
    const tooLong = await errorOf(
      sts(a).send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${a.accountId}:role/Hop1`,
          RoleSessionName: 'hop',
          DurationSeconds: 7201,
        }),
      ),
    );
    expect(tooLong.name).toBe('ValidationError');
    const tooShort = await errorOf(
      sts(a).send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${a.accountId}:role/Hop1`,
          RoleSessionName: 'hop',
          DurationSeconds: 899,
        }),
      ),
    );
    expect(tooShort.name).toBe('ValidationError');
    const hop1 = await sts(a).send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${a.accountId}:role/Hop1`,
        RoleSessionName: 'hop',
        DurationSeconds: 7200,
      }),
    );
    const chained = await errorOf(
      sts(creds(hop1)).send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${a.accountId}:role/Hop2`,
          RoleSessionName: 'h2',
          DurationSeconds: 7200,
        }),
      ),
    );
    expect(chained.name).toBe('ValidationError');
    expect(chained.message).toContain('role chaining');
    const hop2 = await sts(creds(hop1)).send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${a.accountId}:role/Hop2`,
        RoleSessionName: 'h2',
        DurationSeconds: 3600,
      }),
    );
    expect(hop2.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${a.accountId}:assumed-role/Hop2/h2`);
    await iamA.send(new UpdateRoleCommand({ RoleName: 'Hop1', MaxSessionDuration: 3600 }));
  });

  it('rejects bad session names', async () => {
    const bad = await errorOf(
      sts(a).send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${a.accountId}:role/PlainRole`,
          RoleSessionName: 'a b',
        }),
      ),
    );
    expect(bad.name).toBe('ValidationError');
    expect(bad.message).toContain('roleSessionName');
  });

  it('narrows a session with a session policy and PolicyArns', async () => {
    await iamA.send(
      new CreateRoleCommand({
        RoleName: 'Broad',
        AssumeRolePolicyDocument: trust(`arn:aws:iam::${a.accountId}:root`),
      }),
    );
    await iamA.send(
      new PutRolePolicyCommand({
        RoleName: 'Broad',
        PolicyName: 'all-iam',
        PolicyDocument: allow('iam:*'),
      }),
    );
    const roleArn = `arn:aws:iam::${a.accountId}:role/Broad`;
    const narrowed = await sts(a).send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: 'narrow',
        Policy: allow('iam:GetRole'),
      }),
    );
    const iamNarrow = new IAMClient(lc.clientConfig(creds(narrowed)));
    await iamNarrow
      .send(
        new PutRolePolicyCommand({
          RoleName: 'Broad',
          PolicyName: 'x',
          PolicyDocument: allow('s3:*'),
        }),
      )
      .then(
        () => expect.fail('session policy should deny PutRolePolicy'),
        (err: { name: string; message: string }) => {
          expect(err.name).toBe('AccessDenied');
          expect(err.message).toContain('no session policy allows the iam:PutRolePolicy action');
        },
      );
    const policy = await iamA.send(
      new CreatePolicyCommand({
        PolicyName: 'OnlyCreateRole',
        PolicyDocument: allow('iam:CreateRole'),
      }),
    );
    const byArn = await sts(a).send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: 'by-arn',
        PolicyArns: [{ arn: policy.Policy?.Arn }],
      }),
    );
    expect(byArn.PackedPolicySize).toBeGreaterThan(0);
    const viaArn = new IAMClient(lc.clientConfig(creds(byArn)));
    const denied = await errorOf(
      viaArn.send(
        new PutRolePolicyCommand({
          RoleName: 'Broad',
          PolicyName: 'y',
          PolicyDocument: allow('s3:*'),
        }),
      ),
    );
    expect(denied.name).toBe('AccessDenied');
  });

  it('requires sts:TagSession for session tags and propagates transitive tags and source identity', async () => {
    const base = `arn:aws:iam::${a.accountId}`;
    await iamA.send(
      new CreateRoleCommand({
        RoleName: 'NoTags',
        AssumeRolePolicyDocument: trust(`${base}:root`),
      }),
    );
    const noTag = await errorOf(
      sts(a).send(
        new AssumeRoleCommand({
          RoleArn: `${base}:role/NoTags`,
          RoleSessionName: 'tagger',
          Tags: [{ Key: 'ws', Value: 'w1' }],
        }),
      ),
    );
    expect(noTag.name).toBe('AccessDenied');
    await iamA.send(
      new CreateRoleCommand({
        RoleName: 'Tagged',
        AssumeRolePolicyDocument: trust(`${base}:root`, [
          'sts:AssumeRole',
          'sts:TagSession',
          'sts:SetSourceIdentity',
        ]),
      }),
    );
    await iamA.send(
      new PutRolePolicyCommand({
        RoleName: 'Tagged',
        PolicyName: 'p',
        PolicyDocument: allow('sts:*'),
      }),
    );
    const tagged = await sts(a).send(
      new AssumeRoleCommand({
        RoleArn: `${base}:role/Tagged`,
        RoleSessionName: 'tagger',
        Tags: [{ Key: 'ws', Value: 'w1' }],
        TransitiveTagKeys: ['ws'],
        SourceIdentity: 'alice',
      }),
    );
    expect(tagged.SourceIdentity).toBe('alice');
    await iamA.send(
      new CreateRoleCommand({
        RoleName: 'Next',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `${base}:role/Tagged` },
              Action: ['sts:AssumeRole', 'sts:TagSession'],
              Condition: {
                StringEquals: { 'aws:RequestTag/ws': 'w1', 'sts:SourceIdentity': 'alice' },
              },
            },
          ],
        }),
      }),
    );
    const next = await sts(creds(tagged)).send(
      new AssumeRoleCommand({ RoleArn: `${base}:role/Next`, RoleSessionName: 'next' }),
    );
    expect(next.SourceIdentity).toBe('alice');
    const changed = await errorOf(
      sts(creds(tagged)).send(
        new AssumeRoleCommand({
          RoleArn: `${base}:role/Next`,
          RoleSessionName: 'next',
          SourceIdentity: 'mallory',
        }),
      ),
    );
    expect(changed.name).toBe('AccessDenied');
  });

  it('denies AssumeRole on a role younger than the IAM propagation delay', async () => {
    await lc.admin('POST', '/_localcloud/faults', { kind: 'iam-propagation-delay', seconds: 30 });
    try {
      await iamA.send(
        new CreateRoleCommand({
          RoleName: 'Fresh',
          AssumeRolePolicyDocument: trust(`arn:aws:iam::${a.accountId}:root`),
        }),
      );
      const err = await errorOf(
        sts(a).send(
          new AssumeRoleCommand({
            RoleArn: `arn:aws:iam::${a.accountId}:role/Fresh`,
            RoleSessionName: 'fresh',
          }),
        ),
      );
      expect(err.name).toBe('AccessDenied');
    } finally {
      await lc.admin('DELETE', '/_localcloud/faults');
    }
    const ok = await sts(a).send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${a.accountId}:role/Fresh`,
        RoleSessionName: 'fresh',
      }),
    );
    expect(ok.Credentials).toBeDefined();
  });

  it('issues session tokens to users, not to sessions', async () => {
    const out = await sts(a).send(new GetSessionTokenCommand({ DurationSeconds: 900 }));
    const session = creds(out);
    expect(session.accessKeyId).toMatch(/^ASIA/);
    const who = await sts(session).send(new GetCallerIdentityCommand({}));
    expect(who.Arn).toBe(`arn:aws:iam::${a.accountId}:user/admin`);
    const again = await errorOf(sts(session).send(new GetSessionTokenCommand({})));
    expect(again.name).toBe('AccessDenied');
    const tooLong = await errorOf(
      sts(a).send(new GetSessionTokenCommand({ DurationSeconds: 200000 })),
    );
    expect(tooLong.name).toBe('ValidationError');
  });

  it('decodes the authorization message of a denial', async () => {
    const encoded = Buffer.from(JSON.stringify({ allowed: false })).toString('base64url');
    const out = await sts(a).send(
      new DecodeAuthorizationMessageCommand({ EncodedMessage: encoded }),
    );
    expect(JSON.parse(out.DecodedMessage ?? '{}')).toEqual({ allowed: false });
  });
});
