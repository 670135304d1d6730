/**
 * Differential test: the CloudFormation, SNS and SQS calls ferry makes, sent through the
 * same SDK clients to localcloud and to moto_server; what the SDK parses from each must have
 * the same shape (keys and types) and the same error codes, except the differences listed
 * (and documented in docs/localcloud.md).
 */
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
  ListStacksCommand,
  ValidateTemplateCommand,
} from '@aws-sdk/client-cloudformation';
import {
  CreateTopicCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  PublishCommand,
  SetTopicAttributesCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloudHarness, SdkCredentials } from '../../testing/index.ts';
import type { MotoServer } from '../../testing/moto-server.ts';
import { startLocalCloudHarness } from '../../testing/index.ts';
import { startMotoServer } from '../../testing/moto-server.ts';
import { compareRuns, type Outcome } from '../../testing/shape-diff.ts';
import { shapeOf } from '../../testing/shape-of.ts';

interface Backend {
  cfn: CloudFormationClient;
  sns: SNSClient;
  sqs: SQSClient;
  accountId: string;
}

interface Step {
  name: string;
  run(b: Backend, memo: Record<string, string>): Promise<unknown>;
}

const template = JSON.stringify({
  AWSTemplateFormatVersion: '2010-09-09',
  Description: 'differential',
  Parameters: { Label: { Type: 'String', Default: 'diff' } },
  Resources: {
    Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: { 'Fn::Sub': '${Label}-topic' } } },
    Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: { 'Fn::Sub': '${Label}-queue' } } },
  },
  Outputs: {
    TopicArn: { Value: { Ref: 'Topic' } },
    QueueArn: { Value: { 'Fn::GetAtt': ['Queue', 'Arn'] } },
  },
});

const namedRole = JSON.stringify({
  Resources: {
    Role: {
      Type: 'AWS::IAM::Role',
      Properties: {
        RoleName: 'diff-role',
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'ec2.amazonaws.com' },
              Action: 'sts:AssumeRole',
            },
          ],
        },
      },
    },
  },
});

async function settled(b: Backend, name: string): Promise<unknown> {
  for (let i = 0; i < 200; i++) {
    const out = await b.cfn.send(new DescribeStacksCommand({ StackName: name }));
    if (!out.Stacks?.[0]?.StackStatus?.endsWith('_IN_PROGRESS')) return out;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('stack did not settle');
}

const steps: Step[] = [
  {
    name: 'CreateQueue',
    run: async (b, memo) => {
      const out = await b.sqs.send(
        new CreateQueueCommand({
          QueueName: 'diff-phone-home',
          Attributes: { VisibilityTimeout: '60' },
        }),
      );
      memo.queueUrl = out.QueueUrl ?? '';
      memo.queueArn = `arn:aws:sqs:us-east-1:${b.accountId}:diff-phone-home`;
      return out;
    },
  },
  {
    name: 'GetQueueUrl',
    run: (b) => b.sqs.send(new GetQueueUrlCommand({ QueueName: 'diff-phone-home' })),
  },
  {
    name: 'GetQueueUrl missing',
    run: (b) => b.sqs.send(new GetQueueUrlCommand({ QueueName: 'diff-missing' })),
  },
  {
    name: 'GetQueueAttributes',
    run: (b, memo) =>
      b.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: memo.queueUrl,
          AttributeNames: ['QueueArn', 'VisibilityTimeout', 'ApproximateNumberOfMessages'],
        }),
      ),
  },
  {
    name: 'CreateTopic',
    run: async (b, memo) => {
      const out = await b.sns.send(new CreateTopicCommand({ Name: 'diff-phone-home' }));
      memo.topicArn = out.TopicArn ?? '';
      return out;
    },
  },
  {
    name: 'SetTopicAttributes',
    run: (b, memo) =>
      b.sns.send(
        new SetTopicAttributesCommand({
          TopicArn: memo.topicArn,
          AttributeName: 'Policy',
          AttributeValue: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: 'cloudformation.amazonaws.com' },
                Action: 'sns:Publish',
                Resource: memo.topicArn,
              },
            ],
          }),
        }),
      ),
  },
  {
    name: 'GetTopicAttributes',
    run: (b, memo) => b.sns.send(new GetTopicAttributesCommand({ TopicArn: memo.topicArn })),
  },
  {
    name: 'SetQueueAttributes',
    run: (b, memo) =>
      b.sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: memo.queueUrl,
          Attributes: {
            Policy: JSON.stringify({
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Principal: { Service: 'sns.amazonaws.com' },
                  Action: 'sqs:SendMessage',
                  Resource: memo.queueArn,
                  Condition: { ArnEquals: { 'aws:SourceArn': memo.topicArn } },
                },
              ],
            }),
          },
        }),
      ),
  },
  {
    name: 'Subscribe',
    run: (b, memo) =>
      b.sns.send(
        new SubscribeCommand({
          TopicArn: memo.topicArn,
          Protocol: 'sqs',
          Endpoint: memo.queueArn,
          Attributes: { RawMessageDelivery: 'true' },
        }),
      ),
  },
  {
    name: 'ListSubscriptionsByTopic',
    run: (b, memo) => b.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: memo.topicArn })),
  },
  {
    name: 'Publish',
    run: (b, memo) =>
      b.sns.send(new PublishCommand({ TopicArn: memo.topicArn, Message: '{"hello":"queue"}' })),
  },
  {
    name: 'Publish missing topic',
    run: (b, memo) =>
      b.sns.send(new PublishCommand({ TopicArn: `${memo.topicArn}-missing`, Message: 'x' })),
  },
  {
    name: 'ReceiveMessage',
    run: async (b, memo) => {
      const out = await b.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: memo.queueUrl,
          WaitTimeSeconds: 2,
          MaxNumberOfMessages: 10,
        }),
      );
      memo.receipt = out.Messages?.[0]?.ReceiptHandle ?? '';
      return out;
    },
  },
  {
    name: 'DeleteMessage',
    run: (b, memo) =>
      b.sqs.send(
        new DeleteMessageCommand({ QueueUrl: memo.queueUrl, ReceiptHandle: memo.receipt }),
      ),
  },
  {
    name: 'SendMessage',
    run: (b, memo) =>
      b.sqs.send(new SendMessageCommand({ QueueUrl: memo.queueUrl, MessageBody: 'direct' })),
  },
  {
    name: 'ValidateTemplate',
    run: (b) => b.cfn.send(new ValidateTemplateCommand({ TemplateBody: template })),
  },
  {
    name: 'CreateStack',
    run: (b) =>
      b.cfn.send(new CreateStackCommand({ StackName: 'diff-stack', TemplateBody: template })),
  },
  { name: 'DescribeStacks', run: (b) => settled(b, 'diff-stack') },
  {
    name: 'DescribeStackResources',
    run: (b) => b.cfn.send(new DescribeStackResourcesCommand({ StackName: 'diff-stack' })),
  },
  {
    name: 'DescribeStackEvents',
    run: async (b) => {
      const out = await b.cfn.send(new DescribeStackEventsCommand({ StackName: 'diff-stack' }));
      return {
        first: out.StackEvents?.[0]?.ResourceStatus,
        last: out.StackEvents?.at(-1)?.ResourceStatus,
        event: out.StackEvents?.[0],
      };
    },
  },
  {
    name: 'GetTemplate',
    run: (b) => b.cfn.send(new GetTemplateCommand({ StackName: 'diff-stack' })),
  },
  { name: 'ListStacks', run: (b) => b.cfn.send(new ListStacksCommand({})) },
  {
    name: 'CreateStack named IAM without capability',
    run: (b) =>
      b.cfn.send(new CreateStackCommand({ StackName: 'diff-role', TemplateBody: namedRole })),
  },
  {
    name: 'DescribeStacks missing',
    run: (b) => b.cfn.send(new DescribeStacksCommand({ StackName: 'diff-missing' })),
  },
  {
    name: 'DeleteStack',
    run: async (b) => {
      const out = await b.cfn.send(new DeleteStackCommand({ StackName: 'diff-stack' }));
      await settled(b, 'diff-stack').catch(() => undefined);
      return out;
    },
  },
];

/**
 * Known differences, each justified in docs/localcloud.md ("Differences from moto").
 * A difference that disappears makes the test fail, so the list stays true.
 */
const MOTO_PART = 'cloudformation';

const knownDifferences: Record<string, string> = {
  // AWS lists DeliveryPolicy only once it is set (EffectiveDeliveryPolicy always); moto sends it empty.
  'GetTopicAttributes $.Attributes.DeliveryPolicy': 'moto returns an empty DeliveryPolicy',
  // AWS's ValidateTemplate answer lists the template's parameters.
  'ValidateTemplate $.Parameters': 'moto returns no Parameters',
  // AWS returns DriftInformation (StackDriftStatus NOT_CHECKED until drift detection runs).
  'DescribeStacks $.Stacks[].DriftInformation': 'moto omits DriftInformation',
  'DescribeStackResources $.StackResources[].DriftInformation': 'moto omits DriftInformation',
  'ListStacks $.StackSummaries[].DriftInformation': 'moto omits DriftInformation',
  // AWS's GetTemplate answer has StagesAvailable (Original, Processed).
  'GetTemplate $.StagesAvailable': 'moto omits StagesAvailable',
  // AWS refuses named IAM resources without CAPABILITY_NAMED_IAM; moto creates the stack.
  'CreateStack named IAM without capability $': 'moto does not check capabilities',
};
async function runAll(b: Backend): Promise<Record<string, Outcome>> {
  const memo: Record<string, string> = {};
  const out: Record<string, Outcome> = {};
  for (const step of steps) {
    try {
      out[step.name] = { ok: shapeOf(await step.run(b, memo)) };
    } catch (err) {
      out[step.name] = { error: (err as { name: string }).name };
    }
  }
  return out;
}

describe('CloudFormation, SNS and SQS against moto_server', { timeout: 180_000 }, () => {
  let lc: LocalCloudHarness;
  let moto: MotoServer;

  beforeAll(async () => {
    // moto_server (Python) can take long to start on a busy machine.
    [lc, moto] = await Promise.all([startLocalCloudHarness(), startMotoServer(90_000)]);
    await lc.admin('POST', '/_localcloud/cloudformation/settings', { resourceDelayMs: 0 });
  }, 120_000);
  afterAll(async () => {
    await Promise.all([lc?.stop(), moto?.stop()]);
  });

  it('parses to the same shapes and error codes', async () => {
    const acct = await lc.createAccount();
    const local: Backend = {
      cfn: new CloudFormationClient(lc.clientConfig(acct)),
      sns: new SNSClient(lc.clientConfig(acct)),
      sqs: new SQSClient(lc.clientConfig(acct)),
      accountId: acct.accountId,
    };
    const motoCreds: SdkCredentials = {
      accessKeyId: 'AKIAMOTOMOTOMOTO0000',
      secretAccessKey: 'moto',
    };
    const motoConfig = {
      endpoint: moto.url,
      region: 'us-east-1',
      credentials: motoCreds,
      maxAttempts: 1,
    };
    const remote: Backend = {
      cfn: new CloudFormationClient(motoConfig),
      sns: new SNSClient(motoConfig),
      sqs: new SQSClient(motoConfig),
      accountId: '123456789012',
    };
    const [ours, theirs] = [await runAll(local), await runAll(remote)];
    const { differences, report } = compareRuns(ours, theirs, knownDifferences);
    console.log(`moto differential (${MOTO_PART}): ${report.join('\n')}`);
    // Exactly the allowed (step, path) differences: a new one, or one that went away, fails.
    expect(Object.keys(differences).sort(), JSON.stringify(differences, null, 1)).toEqual(
      Object.keys(knownDifferences).sort(),
    );
    for (const name of ['CreateStack', 'DescribeStacks', 'Publish', 'ReceiveMessage'])
      expect(ours[name]).toHaveProperty('ok');
    expect(ours['CreateStack named IAM without capability']).toEqual({
      error: 'InsufficientCapabilitiesException',
    });
    for (const c of [local, remote]) {
      c.cfn.destroy();
      c.sns.destroy();
      c.sqs.destroy();
    }
  });
});
