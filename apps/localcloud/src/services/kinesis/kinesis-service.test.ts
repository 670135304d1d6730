import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  KinesisServiceException,
  ListShardsCommand,
  ListStreamsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  waitUntilStreamExists,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf } from '../../testing/index.ts';
import { startTwoAccountCloud } from '../s3/test-support.ts';
import type { TestAccount, TestCloud } from '../s3/test-support.ts';

let cloud: TestCloud;
let alice: TestAccount;
let bob: TestAccount;

function kinesis(account: TestAccount, region = 'us-east-1'): KinesisClient {
  return new KinesisClient({
    endpoint: cloud.url,
    region,
    credentials: { accessKeyId: account.accessKeyId, secretAccessKey: account.secretAccessKey },
    // kinesalite-style endpoints speak HTTP/1.1 only.
    requestHandler: new NodeHttpHandler(),
  });
}

async function createActive(client: KinesisClient, name: string, shards = 1): Promise<void> {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  await waitUntilStreamExists(
    { client, maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.1 },
    { StreamName: name },
  );
}

beforeAll(async () => {
  ({ cloud, alice, bob } = await startTwoAccountCloud());
});

afterAll(async () => {
  await cloud?.stop();
});

describe('Kinesis through localcloud', () => {
  it('creates a stream, puts records and reads them back, with the caller’s own ARNs', async () => {
    const a = kinesis(alice);
    await createActive(a, 'events', 2);
    const summary = await a.send(new DescribeStreamSummaryCommand({ StreamName: 'events' }));
    expect(summary.StreamDescriptionSummary?.StreamName).toBe('events');
    expect(summary.StreamDescriptionSummary?.StreamARN).toBe(
      `arn:aws:kinesis:us-east-1:${alice.accountId}:stream/events`,
    );
    expect(summary.StreamDescriptionSummary?.OpenShardCount).toBe(2);

    const put = await a.send(
      new PutRecordCommand({ StreamName: 'events', PartitionKey: 'p1', Data: Buffer.from('one') }),
    );
    await a.send(
      new PutRecordsCommand({
        StreamARN: `arn:aws:kinesis:us-east-1:${alice.accountId}:stream/events`,
        Records: [
          { PartitionKey: 'p1', Data: Buffer.from('two') },
          { PartitionKey: 'p1', Data: Buffer.from('three') },
        ],
      }),
    );
    const { ShardIterator } = await a.send(
      new GetShardIteratorCommand({
        StreamName: 'events',
        ShardId: put.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const records = await a.send(new GetRecordsCommand({ ShardIterator }));
    expect(records.Records?.map((r) => Buffer.from(r.Data ?? []).toString())).toEqual([
      'one',
      'two',
      'three',
    ]);
    expect(records.NextShardIterator).toBeDefined();
    const next = await a.send(new GetRecordsCommand({ ShardIterator: records.NextShardIterator }));
    expect(next.Records).toEqual([]);

    const shards = await a.send(new ListShardsCommand({ StreamName: 'events' }));
    expect(shards.Shards).toHaveLength(2);
  });

  it('keeps streams per account and region', async () => {
    const a = kinesis(alice);
    const b = kinesis(bob);
    await createActive(a, 'shared-name');
    await createActive(b, 'shared-name');
    await createActive(kinesis(alice, 'eu-west-1'), 'shared-name');

    const aliceStreams = (await a.send(new ListStreamsCommand({}))).StreamNames ?? [];
    expect(aliceStreams).toContain('shared-name');
    expect(aliceStreams).toContain('events');
    const bobStreams = (await b.send(new ListStreamsCommand({}))).StreamNames ?? [];
    expect(bobStreams).toEqual(['shared-name']);

    const paged = await a.send(new ListStreamsCommand({ Limit: 1 }));
    expect(paged.StreamNames).toEqual(['events']);
    expect(paged.HasMoreStreams).toBe(true);
    const rest = await a.send(new ListStreamsCommand({ ExclusiveStartStreamName: 'events' }));
    expect(rest.StreamNames).toEqual(['shared-name']);
    expect(rest.HasMoreStreams).toBe(false);

    const missing = await errorOf(
      b.send(new DescribeStreamSummaryCommand({ StreamName: 'events' })),
      KinesisServiceException,
    );
    expect(missing.name).toBe('ResourceNotFoundException');
    expect(missing.message).toContain(bob.accountId);
    expect(missing.message).toContain('events');

    await b.send(new DeleteStreamCommand({ StreamName: 'shared-name' }));
    const stillThere = await a.send(
      new DescribeStreamSummaryCommand({ StreamName: 'shared-name' }),
    );
    expect(stillThere.StreamDescriptionSummary?.StreamStatus).toBe('ACTIVE');
  });

  it('denies another account’s stream, by ARN and through a shard iterator', async () => {
    const a = kinesis(alice);
    const b = kinesis(bob);
    const arn = `arn:aws:kinesis:us-east-1:${alice.accountId}:stream/events`;
    const put = await errorOf(
      b.send(new PutRecordCommand({ StreamARN: arn, PartitionKey: 'x', Data: Buffer.from('x') })),
      KinesisServiceException,
    );
    expect(put.name).toBe('AccessDeniedException');
    expect(put.$metadata.httpStatusCode).toBe(400);
    expect(put.message).toContain('kinesis:PutRecord');

    const shards = await a.send(new ListShardsCommand({ StreamName: 'events' }));
    const { ShardIterator } = await a.send(
      new GetShardIteratorCommand({
        StreamName: 'events',
        ShardId: shards.Shards?.[0]?.ShardId,
        ShardIteratorType: 'LATEST',
      }),
    );
    const read = await errorOf(
      b.send(new GetRecordsCommand({ ShardIterator })),
      KinesisServiceException,
    );
    expect(read.name).toBe('AccessDeniedException');

    const bogus = await errorOf(
      b.send(new GetRecordsCommand({ ShardIterator: 'AAAA' })),
      KinesisServiceException,
    );
    expect(bogus.name).toBe('InvalidArgumentException');
  });

  it('answers AT_TIMESTAMP at every position: before, between and after the records', async () => {
    const a = kinesis(alice);
    // A short socket timeout: a call left unanswered fails the test instead of hanging.
    const stream = 'timestamps';
    await createActive(a, stream);
    const shardId = (await a.send(new ListShardsCommand({ StreamName: stream }))).Shards![0]!
      .ShardId!;
    const read = async (at: Date): Promise<string[]> => {
      const { ShardIterator } = await a.send(
        new GetShardIteratorCommand({
          StreamName: stream,
          ShardId: shardId,
          ShardIteratorType: 'AT_TIMESTAMP',
          Timestamp: at,
        }),
        { abortSignal: AbortSignal.timeout(5000) },
      );
      const got = await a.send(new GetRecordsCommand({ ShardIterator }), {
        abortSignal: AbortSignal.timeout(5000),
      });
      return (got.Records ?? []).map((r) => Buffer.from(r.Data ?? []).toString());
    };
    const putOne = (data: string) =>
      a.send(
        new PutRecordCommand({ StreamName: stream, PartitionKey: 'k', Data: Buffer.from(data) }),
      );
    const gap = () => new Promise((r) => setTimeout(r, 1100));

    // An empty shard: nothing yet, and what arrives later is read from that iterator.
    const emptyAt = new Date(Date.now() - 1000);
    const { ShardIterator: early } = await a.send(
      new GetShardIteratorCommand({
        StreamName: stream,
        ShardId: shardId,
        ShardIteratorType: 'AT_TIMESTAMP',
        Timestamp: emptyAt,
      }),
      { abortSignal: AbortSignal.timeout(5000) },
    );
    expect(await read(emptyAt)).toEqual([]);
    await gap();
    await putOne('first');
    await gap();
    const between = new Date();
    await gap();
    await putOne('second');
    await gap();
    const after = new Date();

    const fromEarly = await a.send(new GetRecordsCommand({ ShardIterator: early }));
    expect(fromEarly.Records?.map((r) => Buffer.from(r.Data ?? []).toString())).toEqual([
      'first',
      'second',
    ]);
    expect(await read(emptyAt)).toEqual(['first', 'second']);
    expect(await read(between)).toEqual(['second']);
    // After the last record: nothing now, and the next record is the first read.
    const { ShardIterator: tip } = await a.send(
      new GetShardIteratorCommand({
        StreamName: stream,
        ShardId: shardId,
        ShardIteratorType: 'AT_TIMESTAMP',
        Timestamp: after,
      }),
      { abortSignal: AbortSignal.timeout(5000) },
    );
    expect(await read(after)).toEqual([]);
    await putOne('third');
    const fromTip = await a.send(new GetRecordsCommand({ ShardIterator: tip }));
    expect(fromTip.Records?.map((r) => Buffer.from(r.Data ?? []).toString())).toEqual(['third']);
  });

  it('rejects a bad signature', async () => {
    const wrong = kinesis({ ...alice, secretAccessKey: 'wrong' });
    expect(
      (await errorOf(wrong.send(new ListStreamsCommand({})), KinesisServiceException)).name,
    ).toBe('InvalidSignatureException');
  });
});
