import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Each awscli run starts a Python interpreter: seconds apiece on a busy machine.
import { startLocalCloudHarness } from '../../testing/index.ts';
import { runAwsCli } from '../../testing/run-awscli.ts';
import type { LocalCloudHarness, TestAccount } from '../../testing/index.ts';

let cloud: LocalCloudHarness;
let account: TestAccount;

beforeAll(async () => {
  cloud = await startLocalCloudHarness();
  account = await cloud.createAccount('awscli');
});

afterAll(async () => {
  await cloud.stop();
});

const aws = (...args: string[]) => runAwsCli(args, { endpoint: cloud.url, credentials: account });

describe('SQS and SNS through awscli', () => {
  it('creates a queue, sends, receives and deletes a message, and reports a missing queue', async () => {
    const created = await aws(
      'sqs',
      'create-queue',
      '--queue-name',
      'cli-queue',
      '--attributes',
      'VisibilityTimeout=40',
    );
    expect(created.code, created.stderr).toBe(0);
    const url = (created.json as { QueueUrl: string }).QueueUrl;
    expect(url).toBe(`${cloud.url}/${account.accountId}/cli-queue`);
    const attrs = await aws(
      'sqs',
      'get-queue-attributes',
      '--queue-url',
      url,
      '--attribute-names',
      'All',
    );
    expect(
      (attrs.json as { Attributes: Record<string, string> }).Attributes.VisibilityTimeout,
    ).toBe('40');
    const sent = await aws(
      'sqs',
      'send-message',
      '--queue-url',
      url,
      '--message-body',
      'from the cli',
      '--message-attributes',
      'k={DataType=String,StringValue=v}',
    );
    expect(sent.code, sent.stderr).toBe(0);
    const got = await aws(
      'sqs',
      'receive-message',
      '--queue-url',
      url,
      '--wait-time-seconds',
      '1',
      '--message-attribute-names',
      'All',
      '--attribute-names',
      'All',
    );
    expect(got.code, got.stderr).toBe(0);
    const message = (
      got.json as {
        Messages: {
          Body: string;
          ReceiptHandle: string;
          MessageAttributes: Record<string, { StringValue: string }>;
          Attributes: Record<string, string>;
        }[];
      }
    ).Messages[0]!;
    expect(message.Body).toBe('from the cli');
    expect(message.MessageAttributes.k?.StringValue).toBe('v');
    expect(message.Attributes.ApproximateReceiveCount).toBe('1');
    const deleted = await aws(
      'sqs',
      'delete-message',
      '--queue-url',
      url,
      '--receipt-handle',
      message.ReceiptHandle,
    );
    expect(deleted.code, deleted.stderr).toBe(0);
    const missing = await aws('sqs', 'get-queue-url', '--queue-name', 'no-such-queue');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/NonExistentQueue|QueueDoesNotExist/);
  }, 240_000);

  it('creates a topic, delivers to a subscribed queue, and reports a missing topic', async () => {
    const topic = await aws('sns', 'create-topic', '--name', 'cli-topic');
    expect(topic.code, topic.stderr).toBe(0);
    const topicArn = (topic.json as { TopicArn: string }).TopicArn;
    const queueUrl = (
      (await aws('sqs', 'create-queue', '--queue-name', 'cli-sub')).json as { QueueUrl: string }
    ).QueueUrl;
    const queueArn = `arn:aws:sqs:us-east-1:${account.accountId}:cli-sub`;
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'sns.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: queueArn,
          Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
        },
      ],
    });
    const set = await aws(
      'sqs',
      'set-queue-attributes',
      '--queue-url',
      queueUrl,
      '--attributes',
      JSON.stringify({ Policy: policy }),
    );
    expect(set.code, set.stderr).toBe(0);
    const sub = await aws(
      'sns',
      'subscribe',
      '--topic-arn',
      topicArn,
      '--protocol',
      'sqs',
      '--notification-endpoint',
      queueArn,
      '--attributes',
      'RawMessageDelivery=true',
    );
    expect(sub.code, sub.stderr).toBe(0);
    const published = await aws(
      'sns',
      'publish',
      '--topic-arn',
      topicArn,
      '--message',
      'hello queue',
    );
    expect(published.code, published.stderr).toBe(0);
    const got = await aws(
      'sqs',
      'receive-message',
      '--queue-url',
      queueUrl,
      '--wait-time-seconds',
      '2',
    );
    expect((got.json as { Messages: { Body: string }[] }).Messages[0]?.Body).toBe('hello queue');
    const subs = await aws('sns', 'list-subscriptions-by-topic', '--topic-arn', topicArn);
    expect(
      (subs.json as { Subscriptions: { Endpoint: string }[] }).Subscriptions[0]?.Endpoint,
    ).toBe(queueArn);
    const missing = await aws(
      'sns',
      'publish',
      '--topic-arn',
      `${topicArn}-gone`,
      '--message',
      'x',
    );
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/NotFound/);
  }, 240_000);
});
