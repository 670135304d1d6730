/**
 * Acceptance test of the customer template on localcloud: both network variants deploy
 * through CreateStack as the customer's account, phone home through the platform's SNS
 * topic and SQS queue in another account (this test answers every custom resource, as the
 * control plane will), create the results bucket with its configuration, and delete cleanly,
 * keeping the results bucket.
 */
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateRoleCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  CreateTopicCommand,
  SetTopicAttributesCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketOwnershipControlsCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  buildTemplate,
  PHONE_HOME_STAGES,
  renderTemplate,
  resultsBucketName,
} from '@ferry/aws-template';
import { start, type LocalCloud } from '@ferry/localcloud';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Account {
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
}

interface PhoneHomeRequest {
  RequestType: 'Create' | 'Update' | 'Delete';
  ResponseURL: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  PhysicalResourceId?: string;
  ResourceProperties: Record<string, unknown>;
}

let cloud: LocalCloud;
let platform: Account;
let customer: Account;
let topicArn: string;
let queueUrl: string;
let platformRoleArn: string;

const config = (a: Account) => ({
  endpoint: cloud.url,
  region: 'us-east-1',
  credentials: { accessKeyId: a.accessKeyId, secretAccessKey: a.secretAccessKey },
  maxAttempts: 1,
});

async function account(name: string): Promise<Account> {
  const res = await fetch(`${cloud.url}/_localcloud/accounts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Account;
}

beforeAll(async () => {
  cloud = await start({ port: 0, logLevel: 'silent' });
  await fetch(`${cloud.url}/_localcloud/cloudformation/settings`, {
    method: 'POST',
    body: JSON.stringify({ resourceDelayMs: 10, customResourceTimeoutSeconds: 60 }),
  });
  platform = await account('platform');
  customer = await account('customer');
  const iam = new IAMClient(config(platform));
  platformRoleArn = (
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'ferry-platform',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${platform.accountId}:root` },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      }),
    )
  ).Role!.Arn!;
  iam.destroy();
  const sns = new SNSClient(config(platform));
  const sqs = new SQSClient(config(platform));
  topicArn = (await sns.send(new CreateTopicCommand({ Name: 'ferry-phone-home' }))).TopicArn!;
  await sns.send(
    new SetTopicAttributesCommand({
      TopicArn: topicArn,
      AttributeName: 'Policy',
      AttributeValue: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'cloudformation.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: topicArn,
          },
        ],
      }),
    }),
  );
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'ferry-phone-home' }))).QueueUrl!;
  const queueArn = `arn:aws:sqs:us-east-1:${platform.accountId}:ferry-phone-home`;
  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: queueUrl,
      Attributes: {
        Policy: JSON.stringify({
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
        }),
      },
    }),
  );
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn }));
  sns.destroy();
  sqs.destroy();
});

afterAll(async () => {
  await cloud?.stop();
});

/**
 * Answers phone-home requests from the queue until the stack settles; returns the stages
 * seen (Create/Delete requests in arrival order).
 */
async function answerUntilSettled(
  cfn: CloudFormationClient,
  stackId: string,
): Promise<{ stack: Stack; requests: PhoneHomeRequest[] }> {
  const sqs = new SQSClient(config(platform));
  const requests: PhoneHomeRequest[] = [];
  try {
    for (let i = 0; i < 600; i++) {
      const got = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          WaitTimeSeconds: 1,
          MaxNumberOfMessages: 10,
        }),
      );
      for (const message of got.Messages ?? []) {
        await sqs.send(
          new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }),
        );
        const request = JSON.parse(
          (JSON.parse(message.Body!) as { Message: string }).Message,
        ) as PhoneHomeRequest;
        requests.push(request);
        const props = request.ResourceProperties;
        const res = await fetch(request.ResponseURL, {
          method: 'PUT',
          body: JSON.stringify({
            Status: 'SUCCESS',
            StackId: request.StackId,
            RequestId: request.RequestId,
            LogicalResourceId: request.LogicalResourceId,
            PhysicalResourceId:
              request.PhysicalResourceId ??
              `ferry-${String(props.WorkspaceId)}-${String(props.Stage)}`,
            Data: { Stage: String(props.Stage) },
          }),
        });
        expect(res.status).toBe(200);
      }
      const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stackId }));
      const stack = Stacks![0]!;
      if (!stack.StackStatus!.endsWith('_IN_PROGRESS')) return { stack, requests };
    }
    throw new Error('stack did not settle');
  } finally {
    sqs.destroy();
  }
}

async function deployAndDelete(
  variant: 'new' | 'existing',
  parameters: Record<string, string>,
): Promise<void> {
  const cfn = new CloudFormationClient(config(customer));
  const body = renderTemplate(
    buildTemplate({ network: variant }),
    variant === 'new' ? 'yaml' : 'json',
  );
  const workspaceId = `ws-${variant}`;
  const all: Record<string, string> = {
    WorkspaceId: workspaceId,
    PlatformPrincipalArn: platformRoleArn,
    ExternalId: `ferry-ext-${variant}-3f9c2a7d5e8b4c1a9f6d2e7b8a1c4d5e`,
    PhoneHomeTopicArn: topicArn,
    AllowedClientCidr: '203.0.113.0/24',
    ...parameters,
  };
  const { StackId } = await cfn.send(
    new CreateStackCommand({
      StackName: `ferry-${workspaceId}`,
      TemplateBody: body,
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      Parameters: Object.entries(all).map(([ParameterKey, ParameterValue]) => ({
        ParameterKey,
        ParameterValue,
      })),
    }),
  );
  const created = await answerUntilSettled(cfn, StackId!);
  expect(created.stack.StackStatus, created.stack.StackStatusReason).toBe('CREATE_COMPLETE');
  expect(created.requests.map((r) => r.ResourceProperties.Stage)).toEqual([...PHONE_HOME_STAGES]);
  expect(
    created.requests.every(
      (r) => r.RequestType === 'Create' && r.ResourceProperties.WorkspaceId === workspaceId,
    ),
  ).toBe(true);
  const outputs = Object.fromEntries(
    (created.stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']),
  );
  const iam = new IAMClient(config(customer));
  const worker = await iam.send(
    new GetRoleCommand({ RoleName: outputs.WorkerRoleArn!.split('/').at(-1) }),
  );
  expect(worker.Role?.Arn).toBe(outputs.WorkerRoleArn);
  iam.destroy();

  // The results bucket: named as the control plane computes it, private, expiring results.
  const Bucket = resultsBucketName(customer.accountId, workspaceId);
  const s3 = new S3Client({ ...config(customer), forcePathStyle: true });
  expect(
    (await s3.send(new GetBucketEncryptionCommand({ Bucket }))).ServerSideEncryptionConfiguration
      ?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
  ).toBe('AES256');
  expect(
    (await s3.send(new GetPublicAccessBlockCommand({ Bucket }))).PublicAccessBlockConfiguration,
  ).toEqual({
    BlockPublicAcls: true,
    IgnorePublicAcls: true,
    BlockPublicPolicy: true,
    RestrictPublicBuckets: true,
  });
  expect(
    (await s3.send(new GetBucketOwnershipControlsCommand({ Bucket }))).OwnershipControls?.Rules,
  ).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
  const [rule] =
    (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))).Rules ?? [];
  expect(rule?.Expiration).toEqual({ Days: 7 });
  expect(rule?.Status).toBe('Enabled');
  // A result left behind: deleting the stack must not fail on it.
  await s3.send(new PutObjectCommand({ Bucket, Key: 'results/q/part-0.parquet', Body: 'x' }));

  await cfn.send(new DeleteStackCommand({ StackName: StackId }));
  const deleted = await answerUntilSettled(cfn, StackId!);
  expect(deleted.stack.StackStatus, deleted.stack.StackStatusReason).toBe('DELETE_COMPLETE');
  // Retained with its results (DeletionPolicy: Retain); its lifecycle rule still expires them.
  await s3.send(new HeadBucketCommand({ Bucket }));
  s3.destroy();
  expect(deleted.requests.map((r) => r.RequestType)).toEqual(PHONE_HOME_STAGES.map(() => 'Delete'));
  expect(deleted.requests.map((r) => r.ResourceProperties.Stage)).toEqual(
    [...PHONE_HOME_STAGES].reverse(),
  );
  cfn.destroy();
}

describe('the ferry template on localcloud', { timeout: 240_000 }, () => {
  it('deploys the new-network variant, phones home through SNS → SQS, and deletes cleanly', async () => {
    await deployAndDelete('new', {});
  });

  it('deploys the existing-network variant into a VPC of the customer', async () => {
    const ec2 = new EC2Client(config(customer));
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.90.0.0/16' }))).Vpc!.VpcId!;
    const subnets = await Promise.all(
      ['a', 'b'].map(
        async (zone, i) =>
          (
            await ec2.send(
              new CreateSubnetCommand({
                VpcId: vpc,
                CidrBlock: `10.90.${i}.0/24`,
                AvailabilityZone: `us-east-1${zone}`,
              }),
            )
          ).Subnet!.SubnetId!,
      ),
    );
    ec2.destroy();
    await deployAndDelete('existing', { VpcId: vpc, SubnetIds: subnets.join(',') });
  });
});
