import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListSubscriptionsCommand,
  ListTagsForResourceCommand,
  ListTopicsCommand,
  PublishCommand,
  SetSubscriptionAttributesCommand,
  SetTopicAttributesCommand,
  SNSClient,
  SubscribeCommand,
  TagResourceCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  DeleteMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { createVerify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloudHarness } from '../../testing/index.ts';
import type { LocalCloudHarness, TestAccount } from '../../testing/index.ts';

let cloud: LocalCloudHarness;
let owner: TestAccount;
let other: TestAccount;
let sns: SNSClient;
let otherSns: SNSClient;
let sqs: SQSClient;

beforeAll(async () => {
  cloud = await startLocalCloudHarness();
  owner = await cloud.createAccount('topic-owner');
  other = await cloud.createAccount('publisher');
  sns = new SNSClient(cloud.clientConfig(owner));
  otherSns = new SNSClient(cloud.clientConfig(other));
  sqs = new SQSClient(cloud.clientConfig(owner));
});

afterAll(async () => {
  sns.destroy();
  otherSns.destroy();
  sqs.destroy();
  await cloud.stop();
});

function queuePolicyForTopic(queueArn: string, topicArn: string): string {
  return JSON.stringify({
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
}

async function queue(name: string): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  return { url: QueueUrl!, arn: `arn:aws:sqs:us-east-1:${owner.accountId}:${name}` };
}

describe('SNS through the AWS SDK', () => {
  it('creates topics with the default policy, lists, tags and deletes them', async () => {
    const { TopicArn } = await sns.send(
      new CreateTopicCommand({ Name: 'events', Tags: [{ Key: 'a', Value: '1' }] }),
    );
    expect(TopicArn).toBe(`arn:aws:sns:us-east-1:${owner.accountId}:events`);
    const again = await sns.send(new CreateTopicCommand({ Name: 'events' }));
    expect(again.TopicArn).toBe(TopicArn);
    const attrs = await sns.send(new GetTopicAttributesCommand({ TopicArn }));
    expect(attrs.Attributes?.Owner).toBe(owner.accountId);
    const policy = JSON.parse(attrs.Attributes!.Policy!) as { Statement: { Condition: unknown }[] };
    expect(policy.Statement[0]?.Condition).toEqual({
      StringEquals: { 'AWS:SourceOwner': owner.accountId },
    });
    await sns.send(
      new TagResourceCommand({ ResourceArn: TopicArn, Tags: [{ Key: 'b', Value: '2' }] }),
    );
    const tags = await sns.send(new ListTagsForResourceCommand({ ResourceArn: TopicArn }));
    expect(tags.Tags).toEqual([
      { Key: 'a', Value: '1' },
      { Key: 'b', Value: '2' },
    ]);
    const list = await sns.send(new ListTopicsCommand({}));
    expect(list.Topics?.map((t) => t.TopicArn)).toContain(TopicArn);
    await sns.send(new DeleteTopicCommand({ TopicArn }));
    await expect(sns.send(new GetTopicAttributesCommand({ TopicArn }))).rejects.toMatchObject({
      name: 'NotFoundException',
    });
    await expect(sns.send(new CreateTopicCommand({ Name: 'bad name' }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
  });

  it('delivers to a subscribed queue whose policy allows the topic, in the SNS envelope or raw', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'deliveries' }));
    const q = await queue('deliveries-queue');
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: q.url,
        Attributes: { Policy: queuePolicyForTopic(q.arn, TopicArn!) },
      }),
    );
    const { SubscriptionArn } = await sns.send(
      new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: q.arn }),
    );
    expect(SubscriptionArn).toMatch(new RegExp(`^${TopicArn}:`));
    const subs = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
    expect(subs.Subscriptions).toEqual([
      { SubscriptionArn, Owner: owner.accountId, Protocol: 'sqs', Endpoint: q.arn, TopicArn },
    ]);
    const mine = await sns.send(new ListSubscriptionsCommand({}));
    expect(mine.Subscriptions?.map((s) => s.SubscriptionArn)).toContain(SubscriptionArn);

    const published = await sns.send(
      new PublishCommand({
        TopicArn,
        Message: 'payload',
        Subject: 'hello',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'test' } },
      }),
    );
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: q.url, WaitTimeSeconds: 2 }));
    const envelope = JSON.parse(got.Messages![0]!.Body!) as Record<string, unknown>;
    expect(envelope).toMatchObject({
      Type: 'Notification',
      MessageId: published.MessageId,
      TopicArn,
      Subject: 'hello',
      Message: 'payload',
      SignatureVersion: '1',
      MessageAttributes: { kind: { Type: 'String', Value: 'test' } },
    });
    // The signature verifies with the key served at SigningCertURL.
    const pem = await (await fetch(String(envelope.SigningCertURL))).text();
    const canonical = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      .map((k) => `${k}\n${String(envelope[k])}\n`)
      .join('');
    expect(
      createVerify('RSA-SHA1').update(canonical).verify(pem, String(envelope.Signature), 'base64'),
    ).toBe(true);
    await sqs.send(
      new DeleteMessageCommand({
        QueueUrl: q.url,
        ReceiptHandle: got.Messages![0]!.ReceiptHandle!,
      }),
    );

    await sns.send(
      new SetSubscriptionAttributesCommand({
        SubscriptionArn,
        AttributeName: 'RawMessageDelivery',
        AttributeValue: 'true',
      }),
    );
    await sns.send(
      new PublishCommand({
        TopicArn,
        Message: 'raw body',
        MessageAttributes: { n: { DataType: 'Number', StringValue: '7' } },
      }),
    );
    const raw = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: q.url,
        WaitTimeSeconds: 2,
        MessageAttributeNames: ['All'],
      }),
    );
    expect(raw.Messages?.[0]?.Body).toBe('raw body');
    expect(raw.Messages?.[0]?.MessageAttributes?.n).toMatchObject({
      DataType: 'Number',
      StringValue: '7',
    });
    await sns.send(new UnsubscribeCommand({ SubscriptionArn }));
    const after = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
    expect(after.Subscriptions ?? []).toHaveLength(0);
  });

  it('does not deliver to a queue whose policy does not allow SNS', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'no-policy' }));
    const q = await queue('no-policy-queue');
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: q.arn }));
    await sns.send(new PublishCommand({ TopicArn, Message: 'lost' }));
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: q.url, WaitTimeSeconds: 1 }));
    expect(got.Messages ?? []).toHaveLength(0);
    // A policy for another topic does not allow it either.
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: q.url,
        Attributes: {
          Policy: queuePolicyForTopic(q.arn, `arn:aws:sns:us-east-1:${owner.accountId}:other`),
        },
      }),
    );
    await sns.send(new PublishCommand({ TopicArn, Message: 'still lost' }));
    const still = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: q.url, WaitTimeSeconds: 1 }),
    );
    expect(still.Messages ?? []).toHaveLength(0);
  });

  it('asks a queue of another account to confirm a subscription, then delivers', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'cross-sub' }));
    const otherSqs = new SQSClient(cloud.clientConfig(other));
    const { QueueUrl } = await otherSqs.send(new CreateQueueCommand({ QueueName: 'foreign' }));
    const queueArn = `arn:aws:sqs:us-east-1:${other.accountId}:foreign`;
    await otherSqs.send(
      new SetQueueAttributesCommand({
        QueueUrl,
        Attributes: { Policy: queuePolicyForTopic(queueArn, TopicArn!) },
      }),
    );
    const sub = await sns.send(
      new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: queueArn }),
    );
    expect(sub.SubscriptionArn).toBe('pending confirmation');
    const got = await otherSqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 2 }));
    const confirmation = JSON.parse(got.Messages![0]!.Body!) as {
      Type: string;
      SubscribeURL: string;
    };
    expect(confirmation.Type).toBe('SubscriptionConfirmation');
    await sns.send(new PublishCommand({ TopicArn, Message: 'before confirmation' }));
    expect(await (await fetch(confirmation.SubscribeURL)).text()).toContain('<SubscriptionArn>');
    await sns.send(new PublishCommand({ TopicArn, Message: 'after confirmation' }));
    const delivered = await otherSqs.send(
      new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 2 }),
    );
    expect((JSON.parse(delivered.Messages![0]!.Body!) as { Message: string }).Message).toBe(
      'after confirmation',
    );
    otherSqs.destroy();
  });

  it('allows a cross-account publish only when the topic policy grants it', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'phone-home' }));
    await expect(
      otherSns.send(new PublishCommand({ TopicArn, Message: 'denied' })),
    ).rejects.toMatchObject({
      name: 'AuthorizationErrorException',
      $metadata: { httpStatusCode: 403 },
    });
    await sns.send(
      new SetTopicAttributesCommand({
        TopicArn,
        AttributeName: 'Policy',
        AttributeValue: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: other.accountId },
              Action: 'sns:Publish',
              Resource: TopicArn,
            },
          ],
        }),
      }),
    );
    const ok = await otherSns.send(new PublishCommand({ TopicArn, Message: 'allowed' }));
    expect(ok.MessageId).toBeTruthy();
    await expect(
      sns.send(
        new SetTopicAttributesCommand({
          TopicArn,
          AttributeName: 'Policy',
          AttributeValue: '{not json',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(
      sns.send(new PublishCommand({ TopicArn: `${TopicArn}-missing`, Message: 'x' })),
    ).rejects.toMatchObject({
      name: 'NotFoundException',
    });
  });
});
