import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloudHarness, TestAccount } from '../../testing/index.ts';
import { startLocalCloudHarness } from '../../testing/index.ts';
import { runAwsCli } from '../../testing/run-awscli.ts';

interface AssumeRoleOut {
  Credentials: {
    AccessKeyId: string;
    SecretAccessKey: string;
    SessionToken: string;
    Expiration: string;
  };
  AssumedRoleUser: { Arn: string };
}

// awscli starts a Python interpreter per command (seconds each on a busy machine).
describe("IAM and STS through Debian's awscli", { timeout: 180_000 }, () => {
  let lc: LocalCloudHarness;
  let acct: TestAccount;
  const aws = (
    args: string[],
    credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = acct,
  ) => runAwsCli(args, { endpoint: lc.url, credentials });

  beforeAll(async () => {
    lc = await startLocalCloudHarness();
    acct = await lc.createAccount();
  });
  afterAll(async () => {
    await lc.stop();
  });

  it('creates a role, assumes it with its external ID and sees the assumed identity', async () => {
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${acct.accountId}:root` },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': 'cli-ext' } },
        },
      ],
    });
    const created = await aws([
      'iam',
      'create-role',
      '--role-name',
      'CliRole',
      '--assume-role-policy-document',
      trust,
      '--tags',
      'Key=ferry,Value=yes',
    ]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect((created.json as { Role: { Arn: string } }).Role.Arn).toBe(
      `arn:aws:iam::${acct.accountId}:role/CliRole`,
    );
    const got = await aws(['iam', 'get-role', '--role-name', 'CliRole']);
    // awscli decodes the URL-encoded document into JSON, as it does against AWS.
    expect(
      (got.json as { Role: { AssumeRolePolicyDocument: unknown } }).Role.AssumeRolePolicyDocument,
    ).toEqual(JSON.parse(trust));

    const wrong = await aws([
      'sts',
      'assume-role',
      '--role-arn',
      `arn:aws:iam::${acct.accountId}:role/CliRole`,
      '--role-session-name',
      'cli',
      '--external-id',
      'not-it',
    ]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('AccessDenied');

    const assumed = await aws([
      'sts',
      'assume-role',
      '--role-arn',
      `arn:aws:iam::${acct.accountId}:role/CliRole`,
      '--role-session-name',
      'cli',
      '--external-id',
      'cli-ext',
      '--duration-seconds',
      '900',
    ]);
    expect(assumed.code).toBe(0);
    const out = assumed.json as AssumeRoleOut;
    expect(out.AssumedRoleUser.Arn).toBe(`arn:aws:sts::${acct.accountId}:assumed-role/CliRole/cli`);
    const who = await aws(['sts', 'get-caller-identity'], {
      accessKeyId: out.Credentials.AccessKeyId,
      secretAccessKey: out.Credentials.SecretAccessKey,
      sessionToken: out.Credentials.SessionToken,
    });
    expect(who.code).toBe(0);
    expect(who.json).toMatchObject({
      Account: acct.accountId,
      Arn: `arn:aws:sts::${acct.accountId}:assumed-role/CliRole/cli`,
    });
  });

  it('reports bad signatures and unknown keys', async () => {
    const bad = await aws(['sts', 'get-caller-identity'], { ...acct, secretAccessKey: 'wrong' });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('SignatureDoesNotMatch');
    const unknown = await aws(['iam', 'list-roles'], {
      accessKeyId: 'AKIANOBODYNOBODY0000',
      secretAccessKey: 'x',
    });
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('InvalidClientTokenId');
  });

  it('lists roles and reports IAM errors', async () => {
    const list = await aws(['iam', 'list-roles']);
    expect(list.code).toBe(0);
    expect((list.json as { Roles: { RoleName: string }[] }).Roles.map((r) => r.RoleName)).toContain(
      'CliRole',
    );
    const missing = await aws(['iam', 'get-role', '--role-name', 'Nope']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('NoSuchEntity');
    const malformed = await aws([
      'iam',
      'put-role-policy',
      '--role-name',
      'CliRole',
      '--policy-name',
      'p',
      '--policy-document',
      '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}',
    ]);
    expect(malformed.code).not.toBe(0);
    expect(malformed.stderr).toContain('MalformedPolicyDocument');
  });
});
