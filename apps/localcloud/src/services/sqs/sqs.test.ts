import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  TagQueueCommand,
  ListQueueTagsCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloudHarness } from '../../testing/index.ts';
import type { LocalCloudHarness, TestAccount } from '../../testing/index.ts';

let cloud: LocalCloudHarness;
let owner: TestAccount;
let other: TestAccount;
let sqs: SQSClient;
let otherSqs: SQSClient;

beforeAll(async () => {
  cloud = await startLocalCloudHarness();
  owner = await cloud.createAccount('queue-owner');
  other = await cloud.createAccount('other');
  sqs = new SQSClient(cloud.clientConfig(owner));
  otherSqs = new SQSClient(cloud.clientConfig(other));
});

afterAll(async () => {
  sqs.destroy();
  otherSqs.destroy();
  await cloud.stop();
});

describe('SQS through the AWS SDK', () => {
  it('creates queues idempotently with URLs under the endpoint, lists and tags them', async () => {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({
        QueueName: 'jobs',
        Attributes: { VisibilityTimeout: '45' },
        tags: { team: 'data' },
      }),
    );
    expect(QueueUrl).toBe(`${cloud.url}/${owner.accountId}/jobs`);
    const again = await sqs.send(
      new CreateQueueCommand({ QueueName: 'jobs', Attributes: { VisibilityTimeout: '45' } }),
    );
    expect(again.QueueUrl).toBe(QueueUrl);
    await expect(
      sqs.send(
        new CreateQueueCommand({ QueueName: 'jobs', Attributes: { VisibilityTimeout: '10' } }),
      ),
    ).rejects.toMatchObject({ name: 'QueueNameExists' });
    const url = await sqs.send(new GetQueueUrlCommand({ QueueName: 'jobs' }));
    expect(url.QueueUrl).toBe(QueueUrl);
    const list = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'jo' }));
    expect(list.QueueUrls).toEqual([QueueUrl]);
    await sqs.send(new TagQueueCommand({ QueueUrl, Tags: { env: 'test' } }));
    const tags = await sqs.send(new ListQueueTagsCommand({ QueueUrl }));
    expect(tags.Tags).toEqual({ team: 'data', env: 'test' });
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }),
    );
    expect(attrs.Attributes).toMatchObject({
      VisibilityTimeout: '45',
      QueueArn: `arn:aws:sqs:us-east-1:${owner.accountId}:jobs`,
      ApproximateNumberOfMessages: '0',
      MessageRetentionPeriod: '345600',
    });
  });

  it('rejects bad names and attribute values, naming the field', async () => {
    await expect(sqs.send(new CreateQueueCommand({ QueueName: 'bad name!' }))).rejects.toThrow(
      /alphanumeric/,
    );
    await expect(
      sqs.send(
        new CreateQueueCommand({ QueueName: 'q2', Attributes: { VisibilityTimeout: '99999' } }),
      ),
    ).rejects.toThrow(/VisibilityTimeout/);
    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: 'nope' }))).rejects.toMatchObject({
      name: 'QueueDoesNotExist',
    });
  });

  it('sends, receives with attributes and MD5s the SDK verifies, and deletes', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'messages' }));
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: 'hello ✓',
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: 'greeting' },
          n: { DataType: 'Number', StringValue: '42' },
          raw: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) },
        },
      }),
    );
    expect(sent.MessageId).toBeTruthy();
    const got = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    expect(got.Messages).toHaveLength(1);
    const m = got.Messages![0]!;
    expect(m.Body).toBe('hello ✓');
    expect(m.MessageAttributes?.kind?.StringValue).toBe('greeting');
    expect(Buffer.from(m.MessageAttributes!.raw!.BinaryValue!)).toEqual(Buffer.from([1, 2, 3]));
    expect(m.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(m.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    // In flight: not received again.
    const none = await sqs.send(new ReceiveMessageCommand({ QueueUrl }));
    expect(none.Messages ?? []).toHaveLength(0);
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle! }));
    await expect(
      sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: 'garbage' })),
    ).rejects.toMatchObject({ name: 'ReceiptHandleIsInvalid' });
  });

  it('long-polls: a waiting receive returns as soon as a message arrives', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'long-poll' }));
    const started = Date.now();
    const receiving = sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 10 }));
    await new Promise((r) => setTimeout(r, 200));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'wake up' }));
    const got = await receiving;
    expect(got.Messages?.[0]?.Body).toBe('wake up');
    expect(Date.now() - started).toBeLessThan(3000);
    // An empty queue answers after the wait, with no messages.
    const t0 = Date.now();
    const empty = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    expect(empty.Messages ?? []).toHaveLength(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });

  it('makes a message visible again after its visibility timeout, counting receives', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'visibility' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'again' }));
    const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 1 }));
    const handle = first.Messages![0]!.ReceiptHandle!;
    const second = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        WaitTimeSeconds: 3,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    expect(second.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
    // The first handle is stale now: ChangeMessageVisibility refuses it.
    await expect(
      sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl,
          ReceiptHandle: handle,
          VisibilityTimeout: 5,
        }),
      ),
    ).rejects.toMatchObject({ name: 'ReceiptHandleIsInvalid' });
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl,
        ReceiptHandle: second.Messages![0]!.ReceiptHandle!,
        VisibilityTimeout: 0,
      }),
    );
    const third = await sqs.send(new ReceiveMessageCommand({ QueueUrl }));
    expect(third.Messages?.[0]?.Body).toBe('again');
  });

  it('sends and deletes in batches, reporting per-entry failures', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'batch' }));
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: 'a', MessageBody: 'one' },
          { Id: 'b', MessageBody: 'two' },
          { Id: 'c', MessageBody: 'three', DelaySeconds: 5000 },
        ],
      }),
    );
    expect(sent.Successful?.map((s) => s.Id)).toEqual(['a', 'b']);
    expect(sent.Failed?.[0]).toMatchObject({ Id: 'c', SenderFault: true });
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    expect(got.Messages?.map((m) => m.Body).sort()).toEqual(['one', 'two']);
    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: got.Messages!.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
    expect(deleted.Successful).toHaveLength(2);
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'purged' }));
    await sqs.send(new PurgeQueueCommand({ QueueUrl }));
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    expect(attrs.Attributes?.ApproximateNumberOfMessages).toBe('0');
  });

  it('denies another account without a queue policy and allows it with one', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'shared' }));
    await expect(
      otherSqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' })),
    ).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl,
        Attributes: {
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { AWS: `arn:aws:iam::${other.accountId}:root` },
                Action: 'sqs:SendMessage',
                Resource: `arn:aws:sqs:us-east-1:${owner.accountId}:shared`,
              },
            ],
          }),
        },
      }),
    );
    await otherSqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'allowed' }));
    await expect(otherSqs.send(new ReceiveMessageCommand({ QueueUrl }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl }));
    expect(got.Messages?.[0]?.Body).toBe('allowed');
    await sqs.send(new DeleteQueueCommand({ QueueUrl }));
    await expect(sqs.send(new ReceiveMessageCommand({ QueueUrl }))).rejects.toMatchObject({
      name: 'QueueDoesNotExist',
    });
  });
});
