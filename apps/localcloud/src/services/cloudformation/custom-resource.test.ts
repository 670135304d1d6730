import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  UpdateStackCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloudHarness } from '../../testing/index.ts';
import type { LocalCloudHarness, TestAccount } from '../../testing/index.ts';

let cloud: LocalCloudHarness;
let platform: TestAccount;
let customer: TestAccount;
let cfn: CloudFormationClient;
let sqs: SQSClient;
let queueUrl: string;
let topicArn: string;

interface CustomRequest {
  RequestType: 'Create' | 'Update' | 'Delete';
  ResponseURL: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  ResourceType: string;
  PhysicalResourceId?: string;
  ResourceProperties: Record<string, unknown>;
  OldResourceProperties?: Record<string, unknown>;
}

beforeAll(async () => {
  cloud = await startLocalCloudHarness();
  await cloud.admin('POST', '/_localcloud/cloudformation/settings', { resourceDelayMs: 10 });
  platform = await cloud.createAccount('platform');
  customer = await cloud.createAccount('customer');
  const sns = new SNSClient(cloud.clientConfig(platform));
  sqs = new SQSClient(cloud.clientConfig(platform));
  cfn = new CloudFormationClient(cloud.clientConfig(customer));
  // The platform's phone-home: a topic CloudFormation in any account may publish to, a queue it feeds.
  topicArn = (await sns.send(new CreateTopicCommand({ Name: 'phone-home' }))).TopicArn!;
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
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'phone-home' }))).QueueUrl!;
  const queueArn = `arn:aws:sqs:us-east-1:${platform.accountId}:phone-home`;
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
});

afterAll(async () => {
  cfn.destroy();
  sqs.destroy();
  await cloud.stop();
});

async function nextRequest(): Promise<CustomRequest> {
  for (let i = 0; i < 10; i++) {
    const got = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 2 }),
    );
    const message = got.Messages?.[0];
    if (message === undefined) continue;
    await sqs.send(
      new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }),
    );
    const envelope = JSON.parse(message.Body!) as { Message: string; Subject: string };
    expect(envelope.Subject).toBe('AWS CloudFormation custom resource request');
    return JSON.parse(envelope.Message) as CustomRequest;
  }
  throw new Error('no custom resource request arrived');
}

async function respond(request: CustomRequest, body: Record<string, unknown>): Promise<number> {
  const res = await fetch(request.ResponseURL, {
    method: 'PUT',
    body: JSON.stringify({
      StackId: request.StackId,
      RequestId: request.RequestId,
      LogicalResourceId: request.LogicalResourceId,
      ...body,
    }),
  });
  return res.status;
}

async function settled(name: string): Promise<Stack> {
  for (let i = 0; i < 400; i++) {
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: name }));
    const stack = Stacks![0]!;
    if (!stack.StackStatus!.endsWith('_IN_PROGRESS')) return stack;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('stack did not settle');
}

function template(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    Parameters: { Stage: { Type: 'String', Default: 'one' } },
    Resources: {
      PhoneHome: {
        Type: 'Custom::PhoneHome',
        Properties: {
          ServiceToken: topicArn,
          Stage: { Ref: 'Stage' },
          Count: 3,
          Enabled: true,
          ...extra,
        },
      },
    },
    Outputs: { Greeting: { Value: { 'Fn::GetAtt': ['PhoneHome', 'Greeting'] } } },
  });
}

describe('custom resources backed by SNS in another account', () => {
  it('sends Create, Update and Delete requests through SNS → SQS and waits for the answers', async () => {
    const { StackId } = await cfn.send(
      new CreateStackCommand({ StackName: 'connected', TemplateBody: template() }),
    );
    const create = await nextRequest();
    expect(create).toMatchObject({
      RequestType: 'Create',
      StackId,
      LogicalResourceId: 'PhoneHome',
      ResourceType: 'Custom::PhoneHome',
      ResourceProperties: { ServiceToken: topicArn, Stage: 'one', Count: '3', Enabled: 'true' },
    });
    expect(create.ResponseURL).toMatch(
      new RegExp(`^${cloud.url}/_localcloud/cfn-response/.*X-Amz-Signature=`),
    );
    // A tampered signature is refused; the stack keeps waiting.
    const tampered = await fetch(
      create.ResponseURL.replace(/X-Amz-Signature=[0-9a-f]/, 'X-Amz-Signature=z'),
      {
        method: 'PUT',
        body: '{}',
      },
    );
    expect(tampered.status).toBe(403);
    expect(
      (await cfn.send(new DescribeStacksCommand({ StackName: 'connected' }))).Stacks![0]!
        .StackStatus,
    ).toBe('CREATE_IN_PROGRESS');
    expect(
      await respond(create, {
        Status: 'SUCCESS',
        PhysicalResourceId: 'phone-home-1',
        Data: { Greeting: 'hello' },
      }),
    ).toBe(200);
    const created = await settled('connected');
    expect(created.StackStatus).toBe('CREATE_COMPLETE');
    expect(created.Outputs).toEqual([{ OutputKey: 'Greeting', OutputValue: 'hello' }]);

    await cfn.send(
      new UpdateStackCommand({
        StackName: 'connected',
        UsePreviousTemplate: true,
        Parameters: [{ ParameterKey: 'Stage', ParameterValue: 'two' }],
      }),
    );
    const update = await nextRequest();
    expect(update).toMatchObject({
      RequestType: 'Update',
      PhysicalResourceId: 'phone-home-1',
      ResourceProperties: { Stage: 'two' },
      OldResourceProperties: { Stage: 'one' },
    });
    await respond(update, {
      Status: 'SUCCESS',
      PhysicalResourceId: 'phone-home-1',
      Data: { Greeting: 'hello again' },
    });
    const updated = await settled('connected');
    expect(updated.StackStatus).toBe('UPDATE_COMPLETE');
    expect(updated.Outputs?.[0]?.OutputValue).toBe('hello again');

    await cfn.send(new DeleteStackCommand({ StackName: 'connected' }));
    const del = await nextRequest();
    expect(del).toMatchObject({ RequestType: 'Delete', PhysicalResourceId: 'phone-home-1' });
    await respond(del, { Status: 'SUCCESS', PhysicalResourceId: 'phone-home-1' });
    expect((await settled(StackId!)).StackStatus).toBe('DELETE_COMPLETE');
  });

  it('rolls back with the reason of a FAILED answer, and fails a deletion answered FAILED', async () => {
    await cfn.send(new CreateStackCommand({ StackName: 'refused', TemplateBody: template() }));
    const create = await nextRequest();
    await respond(create, {
      Status: 'FAILED',
      Reason: 'external ID mismatch',
      PhysicalResourceId: 'x',
    });
    const stack = await settled('refused');
    expect(stack.StackStatus).toBe('ROLLBACK_COMPLETE');
    const events = await cfn.send(new DescribeStackEventsCommand({ StackName: 'refused' }));
    const failed = events.StackEvents!.find((e) => e.ResourceStatus === 'CREATE_FAILED')!;
    expect(failed.ResourceStatusReason).toContain('Message returned: external ID mismatch');

    await cfn.send(new CreateStackCommand({ StackName: 'sticky', TemplateBody: template() }));
    await respond(await nextRequest(), {
      Status: 'SUCCESS',
      PhysicalResourceId: 'sticky-1',
      Data: { Greeting: 'x' },
    });
    await settled('sticky');
    await cfn.send(new DeleteStackCommand({ StackName: 'sticky' }));
    await respond(await nextRequest(), { Status: 'FAILED', Reason: 'still in use' });
    const sticky = await settled('sticky');
    expect(sticky.StackStatus).toBe('DELETE_FAILED');
    expect(sticky.StackStatusReason).toContain('[PhoneHome]');
  });

  it('fails at once when the topic policy does not let CloudFormation publish, and times out unanswered requests', async () => {
    const own = new SNSClient(cloud.clientConfig(customer));
    const closed = (await own.send(new CreateTopicCommand({ Name: 'closed' }))).TopicArn!;
    own.destroy();
    const other = new SNSClient(cloud.clientConfig(platform));
    const foreign = (await other.send(new CreateTopicCommand({ Name: 'no-cfn' }))).TopicArn!;
    other.destroy();
    await cfn.send(
      new CreateStackCommand({
        StackName: 'denied',
        TemplateBody: JSON.stringify({
          Resources: {
            R: {
              Type: 'AWS::CloudFormation::CustomResource',
              Properties: { ServiceToken: foreign },
            },
          },
        }),
      }),
    );
    const denied = await settled('denied');
    expect(denied.StackStatus).toBe('ROLLBACK_COMPLETE');
    const events = await cfn.send(new DescribeStackEventsCommand({ StackName: 'denied' }));
    expect(
      events.StackEvents!.find((e) => e.ResourceStatus === 'CREATE_FAILED')!.ResourceStatusReason,
    ).toMatch(/cloudformation.amazonaws.com is not authorized to publish/);

    await cloud.admin('POST', '/_localcloud/cloudformation/settings', {
      customResourceTimeoutSeconds: 1,
    });
    try {
      // The default topic policy lets CloudFormation in the owner's account publish; nobody answers.
      await cfn.send(
        new CreateStackCommand({
          StackName: 'silent',
          TemplateBody: JSON.stringify({
            Resources: { R: { Type: 'Custom::Silent', Properties: { ServiceToken: closed } } },
          }),
        }),
      );
      const silent = await settled('silent');
      expect(silent.StackStatus).toBe('ROLLBACK_COMPLETE');
      const silentEvents = await cfn.send(new DescribeStackEventsCommand({ StackName: 'silent' }));
      expect(
        silentEvents.StackEvents!.find((e) => e.ResourceStatus === 'CREATE_FAILED')!
          .ResourceStatusReason,
      ).toMatch(/did not receive a response from your Custom Resource/);
    } finally {
      await cloud.admin('POST', '/_localcloud/cloudformation/settings', {
        customResourceTimeoutSeconds: 3600,
      });
    }
  });
});
