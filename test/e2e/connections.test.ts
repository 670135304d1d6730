/**
 * Data connections end to end on localcloud, with a second "data owner" account: prepare →
 * the owner creates the role with the copied policies (AWS SDK, as the owner) → the test
 * passes → create; a role missing a permission fails its check with AWS's code and the
 * missing statement; the owner removes the external-ID condition → the re-test fails with
 * the confused-deputy message; another workspace's external ID cannot assume the role; a
 * query's session (the role assumed with a read-only session policy) reads under the
 * connection's prefix only, even when the role allows more; a Kinesis stream is read; access keys work for S3, appear in no API answer, log line or
 * database row in plain text, and survive a secrets-key rotation; the SDK's connection
 * functions take the same path from code.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  PutRecordCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  CONNECTION_CONFUSED_DEPUTY_MESSAGE,
  connectionScanCredentials,
  createSecretsKeyRing,
  generateSecretsKey,
  reencryptSecrets,
  retestAllConnections,
} from '@ferry/control-plane';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import * as sdk from '@ferry/sdk';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  REGION,
  startConnectedWorkspace,
  type Account,
  type ConnectedWorkspace,
} from './fixtures/connected-workspace.ts';
import { findSecrets } from './fixtures/secret-scan.ts';

interface Check {
  name: string;
  outcome: string;
  action: string | null;
  awsErrorCode: string | null;
  message: string;
  missingStatement: { Action: string[] } | null;
}
interface TestAnswer {
  ok: boolean;
  checks: Check[];
}
interface Policies {
  principalArn: string;
  externalId: string;
  roleName: string;
  trustPolicy: { Statement: { Sid: string; Condition?: unknown }[] };
  permissionsPolicy: { Statement: { Action: string[] }[] };
  createRoleCommand: string;
  cloudFormationTemplate: Record<string, unknown>;
}
interface ConnectionAnswer {
  id: string;
  name: string;
  state: string;
  stateReason: string | null;
  auth: Record<string, unknown>;
  lastTest: TestAnswer | null;
  policies: Policies;
}

// Each step calls AWS a dozen times on a loaded machine: generous timeouts.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 240_000 });

const lines: string[] = [];
let f: ConnectedWorkspace;
let owner: Account;
let iam: IAMClient;
const bucket = 'sales-data-bucket';
const target = {
  type: 's3',
  bucket,
  prefix: 'events/',
  writePrefix: 'landed/',
  region: REGION,
} as const;

beforeAll(async () => {
  f = await startConnectedWorkspace({
    logDestination: { write: (line) => void lines.push(line) },
    configure: (config) => {
      config.log.level = 'debug';
    },
  });
  owner = await f.dataOwnerAccount('data-owner');
  iam = new IAMClient(f.configFor(owner));
  const s3 = new S3Client({ ...f.configFor(owner), forcePathStyle: true });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'events/2026/a.json', Body: '{"n":1}\n' }),
    );
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'private/b.json', Body: '{}' }));
  } finally {
    s3.destroy();
  }
}, 240_000);

afterAll(async () => {
  iam?.destroy();
  await f?.stop();
});

const ws = () => `/api/v1/workspaces/${f.workspaceId}`;

async function prepare(workspacePath: string, body: unknown): Promise<Policies> {
  const res = await f.api<{ policies: Policies }>(
    'POST',
    `${workspacePath}/connections/prepare`,
    body,
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.policies;
}

/** The owner creates the role exactly as ferry's policies say. */
async function createRole(policies: Policies, permissions = policies.permissionsPolicy) {
  const role = await iam.send(
    new CreateRoleCommand({
      RoleName: policies.roleName,
      AssumeRolePolicyDocument: JSON.stringify(policies.trustPolicy),
    }),
  );
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: policies.roleName,
      PolicyName: 'ferry-connection',
      PolicyDocument: JSON.stringify(permissions),
    }),
  );
  return role.Role!.Arn!;
}

const outcomes = (t: TestAnswer) => Object.fromEntries(t.checks.map((c) => [c.name, c.outcome]));

describe('an S3 connection through a role', () => {
  let policies: Policies;
  let roleArn: string;

  it('prepare → the owner creates the role → the test passes → create', async () => {
    policies = await prepare(ws(), { target, name: 'sales' });
    expect(policies.externalId).toMatch(/^ferry-/);
    expect(policies.principalArn).toContain(f.platform.accountId);
    expect(policies.createRoleCommand).toContain('aws iam create-role');
    expect(JSON.stringify(policies.cloudFormationTemplate)).toContain('AWS::IAM::Role');
    roleArn = await createRole(policies);
    expect(roleArn).toContain(owner.accountId);

    const auth = { kind: 'role', roleArn, externalId: policies.externalId };
    const tested = await f.api<TestAnswer>('POST', `${ws()}/connections/test`, { target, auth });
    expect(tested.status, JSON.stringify(tested.body)).toBe(200);
    expect(outcomes(tested.body)).toEqual({
      'AssumeRole with the external ID': 'pass',
      'AssumeRole without the external ID is refused': 'pass',
      'AssumeRole with a wrong external ID is refused': 'pass',
      's3:ListBucket': 'pass',
      's3:GetObject': 'pass',
      's3:PutObject': 'pass',
      's3:DeleteObject': 'pass',
    });
    expect(tested.body.ok).toBe(true);

    const created = await f.api<ConnectionAnswer>('POST', `${ws()}/connections`, {
      name: 'sales',
      description: 'the sales team’s events',
      target,
      auth,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      name: 'sales',
      state: 'Verified',
      auth: { kind: 'role', roleArn, externalId: policies.externalId },
    });
    const again = await f.api('POST', `${ws()}/connections`, { name: 'sales', target, auth });
    expect(again.status).toBe(409);
  });

  it('a query’s session reads under the prefix only, even when the role allows more', async () => {
    // The owner grants far more than the connection needs.
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: policies.roleName,
        PolicyName: 'ferry-connection',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: ['s3:*'],
              Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
            },
          ],
        }),
      }),
    );
    const actor = { kind: 'user' as const, id: f.userId };
    const scope = { orgId: f.orgId, workspaceId: f.workspaceId, actor };
    const read = async (
      creds: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
      op: 'get' | 'list' | 'put',
      key: string,
    ): Promise<string> => {
      const s3 = new S3Client({ ...f.configFor(owner), credentials: creds, forcePathStyle: true });
      try {
        if (op === 'get') {
          const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          await got.Body?.transformToString();
        } else if (op === 'list') {
          await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key }));
        } else {
          await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));
        }
        return 'ok';
      } catch (err) {
        return (err as { name?: string }).name ?? String(err);
      } finally {
        s3.destroy();
      }
    };
    // The role itself reads outside the prefix (what the session policy must take away).
    const sts = new STSClient(f.configFor(f.platform));
    try {
      const assumed = await sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: 'whole-role',
          ExternalId: policies.externalId,
        }),
      );
      const c = assumed.Credentials!;
      const whole = {
        accessKeyId: c.AccessKeyId!,
        secretAccessKey: c.SecretAccessKey!,
        sessionToken: c.SessionToken!,
      };
      expect(await read(whole, 'get', 'private/b.json')).toBe('ok');
    } finally {
      sts.destroy();
    }

    const scan = await connectionScanCredentials(f.resources, {
      ...scope,
      name: 'sales',
      queryId: 'qry_session_policy',
    });
    expect(scan).toMatchObject({ name: 'sales', bucket, prefix: 'events/', region: REGION });
    const creds = scan.credentials;
    expect(creds.sessionToken).toBeTruthy();
    expect(await read(creds, 'get', 'events/2026/a.json')).toBe('ok');
    expect(await read(creds, 'list', 'events/2026/')).toBe('ok');
    expect(await read(creds, 'get', 'private/b.json')).toBe('AccessDenied');
    expect(await read(creds, 'list', 'private/')).toBe('AccessDenied');
    expect(await read(creds, 'put', 'events/new.json')).toBe('AccessDenied');
    expect(await read(creds, 'put', 'landed/new.json')).toBe('AccessDenied');

    // The owner's copied policy again, as the later checks expect.
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: policies.roleName,
        PolicyName: 'ferry-connection',
        PolicyDocument: JSON.stringify(policies.permissionsPolicy),
      }),
    );
  });

  it('another workspace’s external ID cannot assume the role, nor use this one', async () => {
    const other = await f.api<{ id: string }>('POST', `/api/v1/orgs/${f.orgId}/workspaces`, {
      name: 'Other team',
    });
    expect(other.status).toBe(201);
    const otherWs = `/api/v1/workspaces/${other.body.id}`;
    const theirs = await prepare(otherWs, { target });
    const tested = await f.api<TestAnswer>('POST', `${otherWs}/connections/test`, {
      target,
      auth: { kind: 'role', roleArn, externalId: theirs.externalId },
    });
    expect(tested.status).toBe(200);
    expect(tested.body.ok).toBe(false);
    expect(tested.body.checks[0]).toMatchObject({
      name: 'AssumeRole with the external ID',
      outcome: 'fail',
      awsErrorCode: 'AccessDenied',
    });
    // This workspace's ID is not theirs to present.
    const stolen = await f.api<{ error: { details: { path: string }[] } }>(
      'POST',
      `${otherWs}/connections`,
      { name: 'stolen', target, auth: { kind: 'role', roleArn, externalId: policies.externalId } },
    );
    expect(stolen.status).toBe(400);
    expect(stolen.body.error.details[0]!.path).toBe('body.auth.externalId');
  });

  it('a missing permission fails its check with AWS’s code and the statement to add', async () => {
    const narrow = await prepare(ws(), { target, name: 'no-read' });
    const withoutRead = {
      ...narrow.permissionsPolicy,
      Statement: narrow.permissionsPolicy.Statement.filter(
        (s) => !s.Action.includes('s3:GetObject'),
      ),
    };
    const arn = await createRole(narrow, withoutRead);
    const tested = await f.api<TestAnswer>('POST', `${ws()}/connections/test`, {
      target,
      auth: { kind: 'role', roleArn: arn, externalId: narrow.externalId },
    });
    expect(tested.body.ok).toBe(false);
    const read = tested.body.checks.find((c) => c.name === 's3:GetObject')!;
    expect(read).toMatchObject({ outcome: 'fail', awsErrorCode: 'AccessDenied' });
    expect(read.missingStatement?.Action).toEqual(['s3:GetObject']);
    const refused = await f.api<{ error: { code: string } }>('POST', `${ws()}/connections`, {
      name: 'no-read',
      target,
      auth: { kind: 'role', roleArn: arn, externalId: narrow.externalId },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('connection_test_failed');
    const unverified = await f.api<ConnectionAnswer>('POST', `${ws()}/connections`, {
      name: 'no-read',
      target,
      auth: { kind: 'role', roleArn: arn, externalId: narrow.externalId },
      skipTest: true,
    });
    expect(unverified.body.state).toBe('Unverified');
  });

  it('the owner removes the external-ID condition → the re-test fails as a confused deputy', async () => {
    const open = {
      ...policies.trustPolicy,
      Statement: policies.trustPolicy.Statement.map(({ Condition, ...s }) =>
        s.Sid === 'FerryAssumeWithExternalId' ? s : { ...s, Condition },
      ),
    };
    await iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: policies.roleName,
        PolicyDocument: JSON.stringify(open),
      }),
    );
    const retested = await f.api<ConnectionAnswer>('POST', `${ws()}/connections/sales/test`);
    expect(retested.status).toBe(200);
    expect(retested.body.state).toBe('Failing');
    expect(retested.body.stateReason).toContain(CONNECTION_CONFUSED_DEPUTY_MESSAGE);
    expect(outcomes(retested.body.lastTest!)).toMatchObject({
      'AssumeRole without the external ID is refused': 'fail',
      'AssumeRole with a wrong external ID is refused': 'fail',
    });

    // Fixed by the owner: the daily re-test turns it Verified again.
    await iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: policies.roleName,
        PolicyDocument: JSON.stringify(policies.trustPolicy),
      }),
    );
    const report = await retestAllConnections(f.resources);
    expect(report.tested).toBeGreaterThanOrEqual(2);
    const shown = await f.api<ConnectionAnswer>('GET', `${ws()}/connections/sales`);
    expect(shown.body).toMatchObject({ state: 'Verified', stateReason: null });
  });
});

describe('a Kinesis connection', () => {
  it('reads the owner’s stream with exactly the reader’s calls', async () => {
    // HTTP/1.1, as ferry's own Kinesis client.
    const kinesis = new KinesisClient({
      ...f.configFor(owner),
      requestHandler: new NodeHttpHandler(),
    });
    try {
      await kinesis.send(new CreateStreamCommand({ StreamName: 'clicks', ShardCount: 2 }));
      await f.until('stream active', async () => {
        const d = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'clicks' }));
        return d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE' ? true : undefined;
      });
      await kinesis.send(
        new PutRecordCommand({ StreamName: 'clicks', PartitionKey: 'k', Data: Buffer.from('{}') }),
      );
    } finally {
      kinesis.destroy();
    }
    const stream = { type: 'kinesis', stream: 'clicks', region: REGION };
    const missing = await f.api<{ error: { details: { path: string }[] } }>(
      'POST',
      `${ws()}/connections/prepare`,
      { target: stream },
    );
    expect(missing.status).toBe(400);
    expect(missing.body.error.details[0]!.path).toBe('body.accountId');
    const policies = await prepare(ws(), {
      target: stream,
      name: 'clicks',
      accountId: owner.accountId,
    });
    const roleArn = await createRole(policies);
    const auth = { kind: 'role', roleArn, externalId: policies.externalId };
    const created = await f.api<ConnectionAnswer>('POST', `${ws()}/connections`, {
      name: 'clicks',
      target: stream,
      auth,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(outcomes(created.body.lastTest!)).toMatchObject({
      'kinesis:DescribeStreamSummary': 'pass',
      'kinesis:ListShards': 'pass',
      'kinesis:GetShardIterator': 'pass',
      'kinesis:GetRecords': 'pass',
    });
    const keys = await f.api<{ error: { details: { path: string }[] } }>(
      'POST',
      `${ws()}/connections`,
      {
        name: 'clicks-keys',
        target: stream,
        auth: {
          kind: 'accessKeys',
          accessKeyId: 'AKIAAAAAAAAAAAAAAAAA',
          secretAccessKey: 'a'.repeat(40),
        },
      },
    );
    expect(keys.status).toBe(400);
    expect(keys.body.error.details[0]!.path).toBe('body.auth.kind');
  });
});

describe('an S3 connection with access keys', () => {
  it('works, is never shown or logged, and survives a secrets-key rotation', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'ferry-reader' }));
    const keyOf = async () => {
      const k = await iam.send(new CreateAccessKeyCommand({ UserName: 'ferry-reader' }));
      return {
        accessKeyId: k.AccessKey!.AccessKeyId!,
        secretAccessKey: k.AccessKey!.SecretAccessKey!,
      };
    };
    const first = await keyOf();
    const prepared = await prepare(ws(), { target });
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'ferry-reader',
        PolicyName: 'ferry-connection',
        PolicyDocument: JSON.stringify(prepared.permissionsPolicy),
      }),
    );
    const answers: string[] = [];
    const call = async <T>(method: string, path: string, body?: unknown) => {
      const res = await f.api<T>(method, path, body);
      answers.push(JSON.stringify(res.body));
      return res;
    };
    const created = await call<ConnectionAnswer>('POST', `${ws()}/connections`, {
      name: 'sales-keys',
      target,
      auth: { kind: 'accessKeys', ...first },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.state).toBe('Verified');
    expect(created.body.auth).toMatchObject({
      kind: 'accessKeys',
      notRecommended: true,
      accessKeyIdHint: `…${first.accessKeyId.slice(-4)}`,
    });
    await call('GET', `${ws()}/connections`);
    await call('GET', `${ws()}/connections/sales-keys`);
    await call('POST', `${ws()}/connections/sales-keys/test`);

    // Replaced by new keys (tested first).
    const second = await keyOf();
    const rotated = await call<ConnectionAnswer>(
      'PUT',
      `${ws()}/connections/sales-keys/access-keys`,
      {
        ...second,
      },
    );
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    expect(rotated.body.state).toBe('Verified');

    // A secrets-key rotation: re-encrypt under a new key, then drop the old one.
    const oldKey = (await readFile(join(f.config.database.dataDir, 'secrets.key'), 'utf8')).trim();
    const newKey = generateSecretsKey();
    const during = createSecretsKeyRing(newKey, [oldKey]);
    const report = await reencryptSecrets({ db: f.resources.db, secrets: during });
    expect(report.connections).toBe(1);
    const after = { ...f.resources, secrets: createSecretsKeyRing(newKey) };
    await retestAllConnections(after);
    const survived = await call<ConnectionAnswer>('GET', `${ws()}/connections/sales-keys`);
    expect(survived.body.state).toBe('Verified');
    expect(survived.body.lastTest!.checks.every((c) => c.outcome === 'pass')).toBe(true);
    const row = await sql<{ secret_ciphertext: string }>`
      select secret_ciphertext from connections where name = 'sales-keys'`.execute(f.resources.db);
    const ciphertext = row.rows[0]!.secret_ciphertext;
    expect(() => createSecretsKeyRing(oldKey).decrypt(ciphertext)).toThrow(/not in the key ring/);

    // Nowhere in plain text: answers, the log, the database.
    const dump = await sql<{ t: string }>`
      select coalesce(string_agg(c::text, ''), '') || coalesce((select string_agg(a::text, '') from audit_log a), '') as t
      from connections c`.execute(f.resources.db);
    const places = {
      'an API answer': answers.join('\n'),
      'the log': lines.join(''),
      'the database': dump.rows[0]!.t,
    };
    const secrets = {
      'the first secret key': first.secretAccessKey,
      'the first key id': first.accessKeyId,
      'the second secret key': second.secretAccessKey,
      'the second key id': second.accessKeyId,
    };
    expect(findSecrets(places, secrets)).toEqual([]);
    // The scan finds what is there.
    expect(findSecrets({ probe: `x${first.secretAccessKey}x` }, secrets)).toHaveLength(1);
    expect(lines.length).toBeGreaterThan(10);

    const deleted = await call('DELETE', `${ws()}/connections/sales-keys`);
    expect(deleted.status).toBe(204);
    expect((await call('GET', `${ws()}/connections/sales-keys`)).status).toBe(404);
  });
});

describe('from code (the SDK, with a personal access token)', () => {
  it('prepares, tests, creates, lists, shows, re-tests and deletes a connection', async () => {
    const token = await f.api<{ secret: string }>('POST', '/api/v1/auth/tokens', {
      name: 'connections',
      scopes: ['workspace:read', 'connections:read', 'connections:manage'],
      expiresInDays: 1,
    });
    expect(token.status).toBe(201);
    const options = { url: f.controlPlane.url, token: token.body.secret, workspace: f.workspaceId };
    const { policies } = await sdk.prepareConnection({ target, name: 'from-code' }, options);
    const roleArn = await createRole(policies as unknown as Policies);
    const auth = { kind: 'role', roleArn, externalId: policies.externalId! } as const;
    const tested = await sdk.testConnection({ target, auth }, options);
    expect(tested.ok, JSON.stringify(tested.checks)).toBe(true);
    const created = await sdk.createConnection({ name: 'from-code', target, auth }, options);
    expect(created).toMatchObject({ name: 'from-code', state: 'Verified', auth });
    const names = (await sdk.listConnections(options)).map((c) => c.name);
    expect(names).toContain('from-code');
    expect((await sdk.getConnection('from-code', options)).policies.externalId).toBe(
      policies.externalId,
    );
    expect((await sdk.retestConnection('from-code', options)).state).toBe('Verified');
    await sdk.deleteConnection('from-code', options);
    const gone = await sdk.getConnection('from-code', options).catch((err: unknown) => err);
    expect(gone).toBeInstanceOf(sdk.FerryError);
    expect((gone as InstanceType<typeof sdk.FerryError>).code).toBe('not_found');
  });
});
