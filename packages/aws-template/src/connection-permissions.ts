/**
 * The permission registry of data connections: the actions ferry calls with a role (or
 * access keys) that a data owner creates in their own account for one bucket or stream.
 * The policies ferry offers to copy are generated from these entries, so a connection's
 * role grants exactly what ferry's connection test and readers call, nothing more.
 */
import type { ConditionSpec } from './permission-registry.ts';

/** What a connection is used for; each use adds its entries to the policy. */
export type ConnectionUse = 's3-read' | 's3-write' | 'kinesis-read';

/** The registry role of every connection entry (roles are the data owner's, named freely). */
export const CONNECTION_ROLE = 'Connection';

/**
 * One action a connection's role grants. Patterns name the connection's own values:
 * `${Partition}`, `${Bucket}`, `${ReadPrefix}`, `${WritePrefix}`, `${StreamArn}`.
 */
export interface ConnectionPermissionEntry {
  role: typeof CONNECTION_ROLE;
  use: ConnectionUse;
  action: string;
  resources: string[];
  /** Conditions that apply only when the read prefix is set (the whole bucket otherwise). */
  conditionsWithPrefix?: ConditionSpec;
  why: string;
  /** The trial call of the connection test that proves it. */
  check: string;
}

/** Where the write check puts (and deletes) its probe objects, under the write prefix. */
export const CONNECTION_PROBE_PREFIX = '.ferry-probe/';

const object = (prefix: string): string => `arn:\${Partition}:s3:::\${Bucket}/${prefix}*`;

/** Every action of a connection, by use. Order is the order of the generated policies. */
export const CONNECTION_PERMISSIONS: readonly ConnectionPermissionEntry[] = [
  {
    role: CONNECTION_ROLE,
    use: 's3-read',
    action: 's3:ListBucket',
    resources: ['arn:${Partition}:s3:::${Bucket}'],
    conditionsWithPrefix: { StringLike: { 's3:prefix': '${ReadPrefix}*' } },
    why: 'List the objects a query scans — only under the connection’s prefix when it has one.',
    check: 'ListObjectsV2 under the prefix, with ExpectedBucketOwner',
  },
  {
    role: CONNECTION_ROLE,
    use: 's3-read',
    action: 's3:GetObject',
    resources: [object('${ReadPrefix}')],
    why: 'Read the objects a query scans, only under the connection’s prefix.',
    check: 'GetObject of the first byte of one listed object',
  },
  {
    role: CONNECTION_ROLE,
    use: 's3-write',
    action: 's3:PutObject',
    resources: [object('${WritePrefix}')],
    why: 'Write files (results, landed Kinesis records) only under the write prefix.',
    check: 'PutObject of a probe object under the write prefix',
  },
  {
    role: CONNECTION_ROLE,
    use: 's3-write',
    action: 's3:AbortMultipartUpload',
    resources: [object('${WritePrefix}')],
    why: 'Abandon a large upload that failed half way, so no parts are left billed.',
    check: 'none: only a failed multipart upload calls it',
  },
  {
    role: CONNECTION_ROLE,
    use: 's3-write',
    action: 's3:DeleteObject',
    resources: [object(`\${WritePrefix}${CONNECTION_PROBE_PREFIX}`)],
    why: 'Remove the connection test’s probe object; nothing else under the prefix can be deleted.',
    check: 'DeleteObject of the probe object',
  },
  {
    role: CONNECTION_ROLE,
    use: 'kinesis-read',
    action: 'kinesis:DescribeStreamSummary',
    resources: ['${StreamArn}'],
    why: 'Learn the stream’s status and shard count.',
    check: 'DescribeStreamSummary',
  },
  {
    role: CONNECTION_ROLE,
    use: 'kinesis-read',
    action: 'kinesis:ListShards',
    resources: ['${StreamArn}'],
    why: 'List the shards to read, with their parents after a reshard.',
    check: 'ListShards',
  },
  {
    role: CONNECTION_ROLE,
    use: 'kinesis-read',
    action: 'kinesis:GetShardIterator',
    resources: ['${StreamArn}'],
    why: 'Start reading a shard at a position (oldest record, latest, a time or a checkpoint).',
    check: 'GetShardIterator on the first shard',
  },
  {
    role: CONNECTION_ROLE,
    use: 'kinesis-read',
    action: 'kinesis:GetRecords',
    resources: ['${StreamArn}'],
    why: 'Read the records of a shard.',
    check: 'GetRecords with a limit of one record',
  },
];

/** The entries of one use, in registry order. */
export function connectionEntries(use: ConnectionUse): ConnectionPermissionEntry[] {
  return CONNECTION_PERMISSIONS.filter((e) => e.use === use);
}

/** The entry of an action (case-insensitive), or undefined. */
export function findConnectionEntry(action: string): ConnectionPermissionEntry | undefined {
  const wanted = action.toLowerCase();
  return CONNECTION_PERMISSIONS.find((e) => e.action.toLowerCase() === wanted);
}
