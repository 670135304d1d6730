/**
 * The connection test: assume the data owner's role with the connection's external ID;
 * assuming it without the ID, or with a wrong one, must fail (else anyone who knows the
 * role ARN gets in: the confused-deputy check); then one trial call per permission the
 * connection's policy grants. Each check carries AWS's error code and, when a permission
 * is missing, the statement of the policy that grants it. Credentials never leave here.
 */
import { randomBytes } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import {
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import {
  CONNECTION_PROBE_PREFIX,
  connectionStatement,
  findConnectionEntry,
  partitionOf,
} from '@ferry/aws-template';
import type {
  StoredConnectionCheck,
  StoredConnectionTarget,
  StoredConnectionTest,
} from '../db/tables/index.ts';
import type { Resources } from '../resources.ts';
import { awsErrorCode, type AwsCredentials } from '../aws/aws-clients.ts';
import { AssumeRoleError, type BrokerActor } from '../aws/credential-broker.ts';
import { policyTargetOf } from './connection-policies.ts';

/** What the confused-deputy check says when the trust policy lacks the external ID. */
export const CONNECTION_CONFUSED_DEPUTY_MESSAGE =
  'this trust policy lets anyone who knows the role ARN in — add the `sts:ExternalId` condition';

/** How ferry authenticates to the connection (secrets in plain text, in memory only). */
export type ConnectionCredentialsInput =
  | { kind: 'role'; roleArn: string; externalId: string }
  | { kind: 'accessKeys'; accessKeyId: string; secretAccessKey: string };

/** One test. */
export interface ConnectionTestInput {
  orgId: string;
  workspaceId: string;
  actor: BrokerActor;
  target: StoredConnectionTarget;
  auth: ConnectionCredentialsInput;
  now: Date;
}

/** How long one trial call may take: a hung endpoint fails its check instead of the request. */
export const CHECK_TIMEOUT_MS = 20_000;
const timeout = () => ({ abortSignal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });

/** The account of a role ARN. */
export const accountOfArn = (arn: string): string | undefined => arn.split(':')[4];

type Add = (
  check: Omit<StoredConnectionCheck, 'action' | 'awsErrorCode' | 'missingStatement'> &
    Partial<StoredConnectionCheck>,
) => void;

/** Runs the test; never throws for AWS's answers (they become failed checks). */
export async function testConnection(
  resources: Resources,
  input: ConnectionTestInput,
): Promise<StoredConnectionTest> {
  const checks: StoredConnectionCheck[] = [];
  const add: Add = (c) =>
    checks.push({ action: null, awsErrorCode: null, missingStatement: null, ...c });
  const partition = partitionOf(input.auth.kind === 'role' ? input.auth.roleArn : undefined);
  const denied = (action: string, err: unknown, message: string) => {
    const entry = findConnectionEntry(action);
    add({
      name: action,
      outcome: 'fail',
      action,
      awsErrorCode: awsErrorCode(err),
      message: `${message}: ${awsErrorCode(err)}`,
      missingStatement: entry
        ? (connectionStatement(entry, policyTargetOf(input.target), partition) as unknown as Record<
            string,
            unknown
          >)
        : null,
    });
  };

  const creds = await credentialsFor(resources, input, add);
  if (creds !== undefined) {
    const owner =
      input.auth.kind === 'role'
        ? accountOfArn(input.auth.roleArn)
        : await callerAccount(resources, creds, input.target.region);
    if (input.target.type === 's3')
      await s3Checks(resources, input.target, creds, owner, add, denied);
    else await kinesisChecks(resources, input.target, creds, add, denied);
  }
  return {
    ok: checks.length > 0 && checks.every((c) => c.outcome !== 'fail'),
    testedAt: input.now.toISOString(),
    checks,
  };
}

async function credentialsFor(
  resources: Resources,
  input: ConnectionTestInput,
  add: Add,
): Promise<AwsCredentials | undefined> {
  if (input.auth.kind === 'accessKeys') {
    add({
      name: 'Access keys',
      outcome: 'pass',
      message: 'long-term access keys (not recommended: prefer a role with an external ID)',
    });
    return { accessKeyId: input.auth.accessKeyId, secretAccessKey: input.auth.secretAccessKey };
  }
  const { broker } = resources.aws;
  const { roleArn, externalId } = input.auth;
  const base = {
    orgId: input.orgId,
    workspaceId: input.workspaceId,
    roleArn,
    actor: input.actor,
    noCache: true,
  };
  let creds: AwsCredentials;
  try {
    creds = await broker.assume({ ...base, externalId });
    add({
      name: 'AssumeRole with the external ID',
      outcome: 'pass',
      action: 'sts:AssumeRole',
      message: roleArn,
    });
  } catch (err) {
    const code = err instanceof AssumeRoleError ? err.awsCode : awsErrorCode(err);
    add({
      name: 'AssumeRole with the external ID',
      outcome: 'fail',
      action: 'sts:AssumeRole',
      awsErrorCode: code,
      message: `ferry cannot assume ${roleArn} with the connection's external ID (${code}): the role must exist and its trust policy must be the one prepare rendered`,
    });
    return undefined;
  }
  for (const [label, id] of [
    ['without the external ID', null],
    ['with a wrong external ID', `ferry-wrong-${randomBytes(16).toString('base64url')}`],
  ] as const) {
    const name = `AssumeRole ${label} is refused`;
    try {
      await broker.assume({ ...base, externalId: id });
      add({
        name,
        outcome: 'fail',
        action: 'sts:AssumeRole',
        message: `${CONNECTION_CONFUSED_DEPUTY_MESSAGE} (${roleArn} can be assumed ${label})`,
      });
    } catch (err) {
      const code = err instanceof AssumeRoleError ? err.awsCode : awsErrorCode(err);
      add({
        name,
        outcome: code === 'AccessDenied' ? 'pass' : 'fail',
        action: 'sts:AssumeRole',
        awsErrorCode: code,
        message: code === 'AccessDenied' ? 'refused' : `unexpected answer ${code}`,
      });
    }
  }
  return creds;
}

/** The account that owns access keys (GetCallerIdentity needs no permission). */
async function callerAccount(
  resources: Resources,
  creds: AwsCredentials,
  region: string,
): Promise<string | undefined> {
  const sts = resources.aws.clients.sts(creds, region);
  try {
    return (await sts.send(new GetCallerIdentityCommand({}), timeout())).Account;
  } catch {
    return undefined;
  } finally {
    sts.destroy();
  }
}

async function s3Checks(
  resources: Resources,
  target: Extract<StoredConnectionTarget, { type: 's3' }>,
  creds: AwsCredentials,
  owner: string | undefined,
  add: Add,
  denied: (action: string, err: unknown, message: string) => void,
): Promise<void> {
  const s3 = resources.aws.clients.s3(creds, target.region);
  const expected = owner !== undefined ? { ExpectedBucketOwner: owner } : {};
  const where = `s3://${target.bucket}/${target.prefix ?? ''}`;
  try {
    let firstKey: { key: string; size: number } | undefined;
    try {
      const listed = await s3.send(
        new ListObjectsV2Command({
          Bucket: target.bucket,
          ...(target.prefix !== null ? { Prefix: target.prefix } : {}),
          MaxKeys: 1,
          ...expected,
        }),
        timeout(),
      );
      const first = listed.Contents?.[0];
      if (first?.Key !== undefined) firstKey = { key: first.Key, size: first.Size ?? 0 };
      add({
        name: 's3:ListBucket',
        outcome: 'pass',
        action: 's3:ListBucket',
        message: `listed ${where}${owner !== undefined ? ` (bucket owned by ${owner})` : ''}`,
      });
    } catch (err) {
      denied('s3:ListBucket', err, `cannot list ${where}`);
    }
    if (firstKey === undefined) {
      add({
        name: 's3:GetObject',
        outcome: 'skipped',
        action: 's3:GetObject',
        message: `no object under ${where} to read`,
      });
    } else {
      try {
        const got = await s3.send(
          new GetObjectCommand({
            Bucket: target.bucket,
            Key: firstKey.key,
            ...(firstKey.size > 0 ? { Range: 'bytes=0-0' } : {}),
            ...expected,
          }),
          timeout(),
        );
        await got.Body?.transformToByteArray();
        add({
          name: 's3:GetObject',
          outcome: 'pass',
          action: 's3:GetObject',
          message: `read s3://${target.bucket}/${firstKey.key}`,
        });
      } catch (err) {
        denied('s3:GetObject', err, `cannot read s3://${target.bucket}/${firstKey.key}`);
      }
    }
    if (target.writePrefix !== null) {
      const key = `${target.writePrefix}${CONNECTION_PROBE_PREFIX}${randomBytes(8).toString('hex')}`;
      try {
        await s3.send(
          new PutObjectCommand({
            Bucket: target.bucket,
            Key: key,
            Body: 'ferry connection test',
            ...expected,
          }),
          timeout(),
        );
        add({
          name: 's3:PutObject',
          outcome: 'pass',
          action: 's3:PutObject',
          message: `wrote s3://${target.bucket}/${key}`,
        });
      } catch (err) {
        denied(
          's3:PutObject',
          err,
          `cannot write under s3://${target.bucket}/${target.writePrefix}`,
        );
        return;
      }
      try {
        await s3.send(
          new DeleteObjectCommand({ Bucket: target.bucket, Key: key, ...expected }),
          timeout(),
        );
        add({
          name: 's3:DeleteObject',
          outcome: 'pass',
          action: 's3:DeleteObject',
          message: 'removed the probe object',
        });
      } catch (err) {
        denied(
          's3:DeleteObject',
          err,
          `cannot remove the probe object s3://${target.bucket}/${key}`,
        );
      }
    }
  } finally {
    s3.destroy();
  }
}

async function kinesisChecks(
  resources: Resources,
  target: Extract<StoredConnectionTarget, { type: 'kinesis' }>,
  creds: AwsCredentials,
  add: Add,
  denied: (action: string, err: unknown, message: string) => void,
): Promise<void> {
  const kinesis = resources.aws.clients.kinesis(creds, target.region);
  const stream =
    target.streamArn !== null ? { StreamARN: target.streamArn } : { StreamName: target.stream };
  const pass = (action: string, message: string) =>
    add({ name: action, outcome: 'pass', action, message });
  try {
    try {
      const d = await kinesis.send(new DescribeStreamSummaryCommand(stream), timeout());
      pass(
        'kinesis:DescribeStreamSummary',
        `stream ${target.stream} is ${d.StreamDescriptionSummary?.StreamStatus ?? 'unknown'}`,
      );
    } catch (err) {
      denied('kinesis:DescribeStreamSummary', err, `cannot describe ${target.stream}`);
      return;
    }
    let shardId: string | undefined;
    try {
      const shards = await kinesis.send(
        new ListShardsCommand({ ...stream, MaxResults: 1 }),
        timeout(),
      );
      shardId = shards.Shards?.[0]?.ShardId;
      pass('kinesis:ListShards', `first shard ${shardId ?? '(none)'}`);
    } catch (err) {
      denied('kinesis:ListShards', err, `cannot list the shards of ${target.stream}`);
      return;
    }
    if (shardId === undefined) return;
    let iterator: string | undefined;
    try {
      const it = await kinesis.send(
        new GetShardIteratorCommand({
          ...stream,
          ShardId: shardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
        timeout(),
      );
      iterator = it.ShardIterator;
      pass('kinesis:GetShardIterator', `iterator on ${shardId}`);
    } catch (err) {
      denied('kinesis:GetShardIterator', err, `cannot read ${shardId}`);
      return;
    }
    try {
      const records = await kinesis.send(
        new GetRecordsCommand({
          ShardIterator: iterator,
          Limit: 1,
          ...(target.streamArn !== null ? { StreamARN: target.streamArn } : {}),
        }),
        timeout(),
      );
      pass('kinesis:GetRecords', `read ${records.Records?.length ?? 0} record(s) from ${shardId}`);
    } catch (err) {
      denied('kinesis:GetRecords', err, `cannot read records of ${shardId}`);
    }
  } finally {
    kinesis.destroy();
  }
}
