/** SNS state: topics and their subscriptions, per account and region, as plain JSON. */
import { AwsError } from '../../core/contract.ts';
import type { Cloud } from '../../core/contract.ts';

export interface Subscription {
  arn: string;
  topicArn: string;
  protocol: string;
  endpoint: string;
  /** The account that subscribed. */
  owner: string;
  attributes: Record<string, string>;
  /** Set while the subscription waits for ConfirmSubscription. */
  pendingToken?: string;
}

export interface Topic {
  name: string;
  arn: string;
  accountId: string;
  region: string;
  createdAt: number;
  attributes: Record<string, string>;
  tags: Record<string, string>;
  subscriptions: Record<string, Subscription>;
  subscriptionsDeleted: number;
  sequence: number;
}

export interface SnsState {
  topics: Record<string, Topic>;
}

export function snsState(cloud: Cloud, accountId: string, region: string): SnsState {
  return cloud.state<SnsState>('sns', accountId, region, () => ({ topics: {} }));
}

export function invalidParameter(what: string): AwsError {
  return new AwsError('InvalidParameter', `Invalid parameter: ${what}`, 400);
}

export function topicNotFound(): AwsError {
  return new AwsError('NotFound', 'Topic does not exist', 404);
}

/** Region, account and name of a topic ARN; `InvalidParameter` when it is not one. */
export function parseTopicArn(
  arn: unknown,
  field = 'TopicArn',
): { region: string; accountId: string; name: string } {
  const parts = typeof arn === 'string' ? arn.split(':') : [];
  const [prefix, partition, service, region, accountId, name] = parts;
  if (
    parts.length !== 6 ||
    prefix !== 'arn' ||
    partition === undefined ||
    !partition.startsWith('aws') ||
    service !== 'sns' ||
    region === undefined ||
    region === '' ||
    accountId === undefined ||
    !/^\d{12}$/.test(accountId) ||
    name === undefined ||
    name === ''
  ) {
    throw invalidParameter(field);
  }
  return { region, accountId, name };
}

/** The topic an ARN names; `NotFound` when it does not exist. */
export function findTopic(cloud: Cloud, arn: unknown, field = 'TopicArn'): Topic {
  const { region, accountId, name } = parseTopicArn(arn, field);
  const topic = snsState(cloud, accountId, region).topics[name];
  if (topic === undefined) throw topicNotFound();
  return topic;
}

/** The subscription an ARN names (`TOPIC_ARN:ID`); `NotFound` when it does not exist. */
export function findSubscription(
  cloud: Cloud,
  arn: unknown,
): { topic: Topic; subscription: Subscription } {
  const text = typeof arn === 'string' ? arn : '';
  const cut = text.lastIndexOf(':');
  if (cut < 0) throw invalidParameter('SubscriptionArn');
  const topicArn = text.slice(0, cut);
  const { region, accountId, name } = parseTopicArn(topicArn, 'SubscriptionArn');
  const topic = snsState(cloud, accountId, region).topics[name];
  const subscription = topic?.subscriptions[text];
  if (topic === undefined || subscription === undefined) {
    throw new AwsError('NotFound', 'Subscription does not exist', 404);
  }
  return { topic, subscription };
}

/** The policy SNS attaches to a new topic: the owner account may do everything. */
export function defaultTopicPolicy(arn: string, accountId: string): string {
  return JSON.stringify({
    Version: '2008-10-17',
    Id: '__default_policy_ID',
    Statement: [
      {
        Sid: '__default_statement_ID',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: [
          'SNS:GetTopicAttributes',
          'SNS:SetTopicAttributes',
          'SNS:AddPermission',
          'SNS:RemovePermission',
          'SNS:DeleteTopic',
          'SNS:Subscribe',
          'SNS:ListSubscriptionsByTopic',
          'SNS:Publish',
        ],
        Resource: arn,
        Condition: { StringEquals: { 'AWS:SourceOwner': accountId } },
      },
    ],
  });
}

/** Topic names: 1–256 alphanumerics, `-` and `_`; FIFO topics end with `.fifo`. */
export function validateTopicName(name: unknown): string {
  if (
    typeof name !== 'string' ||
    !/^[A-Za-z0-9_-]{1,256}$/.test(name.replace(/\.fifo$/, '')) ||
    name.length > 256
  ) {
    throw invalidParameter('Topic Name');
  }
  return name;
}
