/**
 * The platform's own AWS side (`ferry platform init`): its principal, the phone-home SNS
 * topic stacks report to, the SQS queue subscribed to it, and the bucket customer templates
 * are served from. Idempotent: every step finds or creates, then (re)applies its policy.
 */
import { CreateBucketCommand, type BucketLocationConstraint } from '@aws-sdk/client-s3';
import {
  CreateTopicCommand,
  SetTopicAttributesCommand,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { ConflictError } from '@ferry/core';
import type { Resources } from '../resources.ts';
import { awsErrorCode, type AwsClientFactory } from './aws-clients.ts';

/** Names of the platform's resources. */
export const PHONE_HOME_TOPIC_NAME = 'ferry-phone-home';
export const PHONE_HOME_QUEUE_NAME = 'ferry-phone-home';

/** What the platform has in AWS. */
export interface PlatformAws {
  principalArn: string;
  accountId: string;
  region: string;
  topicArn: string;
  queueUrl: string;
  queueArn: string;
  subscriptionArn: string;
  templateBucket: string;
}

/** Raised when the platform has not been initialised yet. */
export class PlatformNotInitializedError extends ConflictError {
  constructor() {
    super(
      'platform_not_initialized',
      'The platform has no phone-home topic yet: run `ferry platform init` first.',
    );
  }
}

/**
 * Topic policy: CloudFormation may publish custom-resource requests from any account (the
 * customers are not known in advance, so `aws:SourceAccount` cannot be pinned); it is
 * limited to requests caused by a CloudFormation stack. Each message is then checked
 * against a workspace's external ID and account before anything is believed.
 */
export function topicPolicy(topicArn: string, accountId: string): string {
  const partition = topicArn.split(':')[1] ?? 'aws';
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'OwnerManages',
        Effect: 'Allow',
        Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
        Action: ['sns:GetTopicAttributes', 'sns:SetTopicAttributes', 'sns:Subscribe'],
        Resource: topicArn,
      },
      {
        Sid: 'CloudFormationStacksPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudformation.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: topicArn,
        Condition: {
          ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudformation:*:*:stack/*` },
        },
      },
    ],
  });
}

/** Queue policy: only the phone-home topic may deliver. */
export function queuePolicy(queueArn: string, topicArn: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'PhoneHomeTopicDelivers',
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
      },
    ],
  });
}

/** The principal's ARN as a trust policy names it (an assumed-role session → its role). */
export function principalForTrust(callerArn: string): string {
  const m = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(callerArn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : callerArn;
}

/** Creates (or finds) every platform resource and records them; returns what exists. */
export async function initPlatform(
  resources: Resources,
  clients: AwsClientFactory = resources.aws.clients,
): Promise<PlatformAws> {
  const region = clients.region;
  const sts = clients.sts();
  const sns = clients.sns();
  const sqs = clients.sqs();
  const s3 = clients.s3();
  try {
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    const accountId = identity.Account ?? '';
    // The principal customers' trust policies name: explicit, else the platform role (its
    // full ARN, path included, which the assumed-role ARN would lose), else the caller.
    const principalArn =
      resources.config.aws.principalArn ??
      resources.config.aws.roleArn ??
      principalForTrust(identity.Arn ?? '');
    const topic = await sns.send(new CreateTopicCommand({ Name: PHONE_HOME_TOPIC_NAME }));
    const topicArn = topic.TopicArn ?? '';
    await sns.send(
      new SetTopicAttributesCommand({
        TopicArn: topicArn,
        AttributeName: 'Policy',
        AttributeValue: topicPolicy(topicArn, accountId),
      }),
    );
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: PHONE_HOME_QUEUE_NAME }));
    const queueUrl = queue.QueueUrl ?? '';
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    const queueArn = attrs.Attributes?.QueueArn ?? '';
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: queueUrl,
        Attributes: { Policy: queuePolicy(queueArn, topicArn) },
      }),
    );
    // Subscribe is idempotent in SNS (same endpoint and attributes → same subscription).
    const sub = await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: queueArn,
        Attributes: { RawMessageDelivery: 'false' },
        ReturnSubscriptionArn: true,
      }),
    );
    const subscriptionArn = sub.SubscriptionArn ?? '';
    const templateBucket = `ferry-templates-${accountId}-${region}`;
    await ensureBucket(s3, templateBucket, region);
    const platform: PlatformAws = {
      principalArn,
      accountId,
      region,
      topicArn,
      queueUrl,
      queueArn,
      subscriptionArn,
      templateBucket,
    };
    await savePlatform(resources, platform);
    return platform;
  } finally {
    sts.destroy();
    sns.destroy();
    sqs.destroy();
    s3.destroy();
  }
}

async function ensureBucket(
  s3: ReturnType<AwsClientFactory['s3']>,
  bucket: string,
  region: string,
): Promise<void> {
  try {
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        ...(region === 'us-east-1'
          ? {}
          : {
              CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint },
            }),
      }),
    );
  } catch (err) {
    if (awsErrorCode(err) !== 'BucketAlreadyOwnedByYou') throw err;
  }
}

/** Records what the platform has (the last step of `initPlatform`). */
export async function savePlatform(
  resources: Pick<Resources, 'db' | 'clock'>,
  p: PlatformAws,
): Promise<void> {
  const row = {
    id: 'default',
    principal_arn: p.principalArn,
    account_id: p.accountId,
    region: p.region,
    topic_arn: p.topicArn,
    queue_url: p.queueUrl,
    queue_arn: p.queueArn,
    subscription_arn: p.subscriptionArn,
    template_bucket: p.templateBucket,
    updated_at: resources.clock.now(),
  };
  await resources.db
    .insertInto('aws_platform')
    .values(row)
    .onConflict((oc) => oc.column('id').doUpdateSet(row))
    .execute();
}

/** What `initPlatform` recorded, or an error telling the operator to run it. */
export async function loadPlatform(resources: Pick<Resources, 'db'>): Promise<PlatformAws> {
  const row = await resources.db
    .selectFrom('aws_platform')
    .selectAll()
    .where('id', '=', 'default')
    .executeTakeFirst();
  if (row === undefined) throw new PlatformNotInitializedError();
  return {
    principalArn: row.principal_arn,
    accountId: row.account_id,
    region: row.region,
    topicArn: row.topic_arn,
    queueUrl: row.queue_url,
    queueArn: row.queue_arn,
    subscriptionArn: row.subscription_arn,
    templateBucket: row.template_bucket,
  };
}

/** Platform actions `initPlatform` calls (registry check). */
export const PLATFORM_INIT_ACTIONS = [
  'sns:CreateTopic',
  'sns:SetTopicAttributes',
  'sns:Subscribe',
  'sqs:CreateQueue',
  'sqs:GetQueueAttributes',
  'sqs:SetQueueAttributes',
  's3:CreateBucket',
] as const;
