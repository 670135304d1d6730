/**
 * Resolves an awsJson 1.1 Kinesis call (`X-Amz-Target: Kinesis_20131202.Op`) to the IAM
 * action `kinesis:Op`, the stream it acts on (by StreamName in the caller's account and
 * region, by StreamARN, or through a wrapped shard iterator) and its condition keys.
 */
import { unwrapShardIterator } from './shard-iterator.ts';
import { MAX_STREAM_NAME, parseStreamArn } from './stream-namespace.ts';
import type { StreamScope } from './stream-namespace.ts';

export const TARGET_PREFIX = 'Kinesis_20131202';

/** Operations kinesalite implements; `stream` ones act on one stream, the rest on `*`. */
export const KINESIS_OPERATIONS: Record<string, 'stream' | 'account'> = {
  AddTagsToStream: 'stream',
  CreateStream: 'stream',
  DecreaseStreamRetentionPeriod: 'stream',
  DeleteStream: 'stream',
  DescribeStream: 'stream',
  DescribeStreamSummary: 'stream',
  GetRecords: 'stream',
  GetShardIterator: 'stream',
  IncreaseStreamRetentionPeriod: 'stream',
  ListShards: 'stream',
  ListStreams: 'account',
  ListTagsForStream: 'stream',
  MergeShards: 'stream',
  PutRecord: 'stream',
  PutRecords: 'stream',
  RemoveTagsFromStream: 'stream',
  SplitShard: 'stream',
};

/** A Kinesis error as the SDK parses it: JSON `__type` and `message`, HTTP 400. */
export class KinesisError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status = 400) {
    super(message);
    this.name = 'KinesisError';
    this.code = code;
    this.status = status;
  }
}

export interface KinesisOperation {
  name: string;
  action: string;
  /** Stream ARN, or `*`. */
  resource: string;
  /** The stream's account and region (the caller's for `*`). */
  scope: StreamScope;
  /** The caller-facing stream name, when the operation names one. */
  streamName?: string;
  /** kinesalite's iterator, for GetRecords. */
  innerIterator?: string;
  context: Record<string, string | string[]>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `Kinesis_20131202.PutRecord` → `PutRecord`; throws UnknownOperationException. */
export function operationFromTarget(target: string | undefined): string {
  const [prefix, name] = (target ?? '').split('.');
  if (prefix !== TARGET_PREFIX || !name) {
    throw new KinesisError('UnknownOperationException', `Unknown operation ${target ?? ''}`);
  }
  if (!(name in KINESIS_OPERATIONS)) {
    throw new KinesisError(
      'UnknownOperationException',
      `Operation ${name} is not supported by localcloud's Kinesis`,
    );
  }
  return name;
}

function tagContext(tags: unknown): Record<string, string | string[]> {
  if (!isRecord(tags)) return {};
  const context: Record<string, string | string[]> = { 'aws:TagKeys': Object.keys(tags) };
  for (const [key, value] of Object.entries(tags)) {
    if (typeof value === 'string') context[`aws:RequestTag/${key}`] = value;
  }
  return context;
}

function checkName(name: string): void {
  if (name.length > MAX_STREAM_NAME) {
    throw new KinesisError(
      'ValidationException',
      `1 validation error detected: Value '${name}' at 'streamName' failed to satisfy constraint: Member must have length less than or equal to ${MAX_STREAM_NAME} in localcloud`,
    );
  }
}

export function resolveKinesisOperation(
  name: string,
  input: Record<string, unknown>,
  caller: StreamScope,
): KinesisOperation {
  const action = `kinesis:${name}`;
  const context =
    name === 'CreateStream' || name === 'AddTagsToStream' ? tagContext(input['Tags']) : {};
  if (KINESIS_OPERATIONS[name] === 'account') {
    return { name, action, resource: '*', scope: caller, context };
  }

  if (name === 'GetRecords') {
    const iterator = input['ShardIterator'];
    const target = typeof iterator === 'string' ? unwrapShardIterator(iterator) : undefined;
    if (!target) throw new KinesisError('InvalidArgumentException', 'Invalid ShardIterator.');
    const scope = { accountId: target.accountId, region: target.region };
    return {
      name,
      action,
      resource: `arn:aws:kinesis:${scope.region}:${scope.accountId}:stream/${target.name}`,
      scope,
      streamName: target.name,
      innerIterator: target.inner,
      context,
    };
  }

  const arnValue = input['StreamARN'];
  if (typeof arnValue === 'string') {
    const parsed = parseStreamArn(arnValue);
    if (!parsed) {
      throw new KinesisError(
        'ValidationException',
        `1 validation error detected: Value '${arnValue}' at 'streamARN' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+`,
      );
    }
    const streamName = input['StreamName'];
    if (typeof streamName === 'string' && streamName !== parsed.name) {
      throw new KinesisError(
        'InvalidArgumentException',
        'StreamName and StreamARN name different streams.',
      );
    }
    checkName(parsed.name);
    const scope = { accountId: parsed.accountId, region: parsed.region };
    return { name, action, resource: arnValue, scope, streamName: parsed.name, context };
  }
  const streamName = input['StreamName'];
  if (typeof streamName !== 'string' || streamName === '') {
    throw new KinesisError(
      name === 'ListShards' ? 'InvalidArgumentException' : 'ValidationException',
      name === 'ListShards'
        ? 'Either StreamName or StreamARN should be provided.'
        : "1 validation error detected: Value null at 'streamName' failed to satisfy constraint: Member must not be null",
    );
  }
  checkName(streamName);
  return {
    name,
    action,
    resource: `arn:aws:kinesis:${caller.region}:${caller.accountId}:stream/${streamName}`,
    scope: caller,
    streamName,
    context,
  };
}
