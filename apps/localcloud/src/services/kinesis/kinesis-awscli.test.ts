import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsCli } from '../s3/aws-cli.ts';
import type { AwsCli } from '../s3/aws-cli.ts';
import { startTestCloud } from '../s3/test-support.ts';
import type { TestAccount, TestCloud } from '../s3/test-support.ts';

let cloud: TestCloud;
let aliceAccount: TestAccount;
let alice: AwsCli;
let bob: AwsCli;
/** Each awscli run costs seconds of Python start-up on a busy machine. */
const CLI_TIMEOUT = 150_000;

beforeAll(async () => {
  cloud = await startTestCloud();
  aliceAccount = await cloud.account('alice');
  alice = await createAwsCli({ endpoint: cloud.url, ...aliceAccount });
  bob = await createAwsCli({ endpoint: cloud.url, ...(await cloud.account('bob')) });
});

afterAll(async () => {
  await alice?.dispose();
  await bob?.dispose();
  await cloud?.stop();
});

describe('Kinesis through localcloud with awscli', () => {
  it(
    'creates a stream, puts a record, reads it back; another account is denied',
    async () => {
      await alice.json([
        'kinesis',
        'create-stream',
        '--stream-name',
        'cli-stream',
        '--shard-count',
        '1',
      ]);
      const put = await alice.json<{ ShardId: string; SequenceNumber: string }>([
        'kinesis',
        'put-record',
        '--stream-name',
        'cli-stream',
        '--partition-key',
        'k',
        '--data',
        Buffer.from('hello from the cli').toString('base64'),
      ]);
      expect(put.ShardId).toBe('shardId-000000000000');
      const iterator = await alice.json<{ ShardIterator: string }>([
        'kinesis',
        'get-shard-iterator',
        '--stream-name',
        'cli-stream',
        '--shard-id',
        put.ShardId,
        '--shard-iterator-type',
        'TRIM_HORIZON',
      ]);
      const records = await alice.json<{ Records: { Data: string }[] }>([
        'kinesis',
        'get-records',
        '--shard-iterator',
        iterator.ShardIterator,
      ]);
      expect(records.Records.map((r) => Buffer.from(r.Data, 'base64').toString())).toEqual([
        'hello from the cli',
      ]);

      const arn = `arn:aws:kinesis:us-east-1:${aliceAccount.accountId}:stream/cli-stream`;
      const summary = await alice.json<{ StreamDescriptionSummary: { StreamARN: string } }>([
        'kinesis',
        'describe-stream-summary',
        '--stream-name',
        'cli-stream',
      ]);
      expect(summary.StreamDescriptionSummary.StreamARN).toBe(arn);
      const denied = await bob.run(['kinesis', 'describe-stream-summary', '--stream-arn', arn]);
      expect(denied.code).not.toBe(0);
      expect(denied.stderr).toContain('AccessDeniedException');
    },
    CLI_TIMEOUT,
  );
});
