import { describe, expect, it } from 'vitest';
import { operationFromTarget, resolveKinesisOperation } from './kinesis-operation.ts';
import { unwrapShardIterator, wrapShardIterator } from './shard-iterator.ts';
import { parseStreamArn, streamNamespace } from './stream-namespace.ts';

const caller = { accountId: '111111111111', region: 'us-east-1' };

describe('resolveKinesisOperation', () => {
  it('maps StreamName to the caller’s own stream ARN', () => {
    const op = resolveKinesisOperation('PutRecord', { StreamName: 's1' }, caller);
    expect(op.action).toBe('kinesis:PutRecord');
    expect(op.resource).toBe('arn:aws:kinesis:us-east-1:111111111111:stream/s1');
    expect(op.scope).toEqual(caller);
  });

  it('takes account and region from a StreamARN', () => {
    const arn = 'arn:aws:kinesis:eu-west-1:222222222222:stream/s2';
    const op = resolveKinesisOperation('DescribeStream', { StreamARN: arn }, caller);
    expect(op.resource).toBe(arn);
    expect(op.scope).toEqual({ accountId: '222222222222', region: 'eu-west-1' });
    expect(() =>
      resolveKinesisOperation('DescribeStream', { StreamARN: arn, StreamName: 'other' }, caller),
    ).toThrow(/different streams/);
    expect(() => resolveKinesisOperation('DescribeStream', { StreamARN: 'nope' }, caller)).toThrow(
      /streamARN/,
    );
  });

  it('authorizes GetRecords on the stream inside the iterator', () => {
    const iterator = wrapShardIterator({
      accountId: '333333333333',
      region: 'us-west-2',
      name: 's3',
      inner: 'AAAAAAAAAAE=',
    });
    const op = resolveKinesisOperation('GetRecords', { ShardIterator: iterator }, caller);
    expect(op.resource).toBe('arn:aws:kinesis:us-west-2:333333333333:stream/s3');
    expect(op.innerIterator).toBe('AAAAAAAAAAE=');
    expect(unwrapShardIterator('AAAA')).toBeUndefined();
  });

  it('puts request tags in the context and ListStreams on *', () => {
    const op = resolveKinesisOperation(
      'CreateStream',
      { StreamName: 's', Tags: { team: 'x' } },
      caller,
    );
    expect(op.context).toEqual({ 'aws:TagKeys': ['team'], 'aws:RequestTag/team': 'x' });
    expect(resolveKinesisOperation('ListStreams', {}, caller).resource).toBe('*');
  });

  it('rejects unknown targets and over-long names', () => {
    expect(operationFromTarget('Kinesis_20131202.PutRecord')).toBe('PutRecord');
    expect(() => operationFromTarget('Kinesis_20131202.SubscribeToShard')).toThrow(/not supported/);
    expect(() => operationFromTarget('DynamoDB_20120810.GetItem')).toThrow(/Unknown operation/);
    expect(() =>
      resolveKinesisOperation('CreateStream', { StreamName: 'x'.repeat(120) }, caller),
    ).toThrow(/length/);
  });
});

describe('streamNamespace', () => {
  it('separates accounts and regions and rewrites kinesalite’s text', () => {
    const ns = streamNamespace(caller);
    const other = streamNamespace({ ...caller, region: 'eu-west-1' });
    expect(ns.prefix).not.toBe(other.prefix);
    expect(ns.toExternal(ns.toInternal('s1'))).toBe('s1');
    expect(ns.toExternal(other.toInternal('s1'))).toBeUndefined();
    expect(
      ns.rewriteText(
        `Stream ${ns.toInternal('s1')} under account 000000000000 not found. arn:aws:kinesis:us-east-1:000000000000:stream/${ns.toInternal('s1')}`,
      ),
    ).toBe(
      'Stream s1 under account 111111111111 not found. arn:aws:kinesis:us-east-1:111111111111:stream/s1',
    );
    expect(parseStreamArn('arn:aws:kinesis:us-east-1:111111111111:stream/a.b-c_d')).toEqual({
      ...caller,
      name: 'a.b-c_d',
    });
  });
});
