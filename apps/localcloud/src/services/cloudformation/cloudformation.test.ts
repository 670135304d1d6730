import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
  UpdateStackCommand,
  ValidateTemplateCommand,
  waitUntilStackCreateComplete,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import {
  GetRoleCommand,
  IAMClient,
  CreateUserCommand,
  CreateAccessKeyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloudHarness } from '../../testing/index.ts';
import { runAwsCli } from '../../testing/run-awscli.ts';
import type { LocalCloudHarness, TestAccount } from '../../testing/index.ts';

let cloud: LocalCloudHarness;
let account: TestAccount;
let cfn: CloudFormationClient;
let iam: IAMClient;

beforeAll(async () => {
  cloud = await startLocalCloudHarness();
  await cloud.admin('POST', '/_localcloud/cloudformation/settings', { resourceDelayMs: 20 });
  account = await cloud.createAccount('stacks');
  cfn = new CloudFormationClient(cloud.clientConfig(account));
  iam = new IAMClient(cloud.clientConfig(account));
});

afterAll(async () => {
  cfn.destroy();
  iam.destroy();
  await cloud.stop();
});

/** Polls DescribeStacks until the stack leaves *_IN_PROGRESS. */
export async function settled(
  client: CloudFormationClient,
  stackName: string,
  timeoutMs = 20_000,
): Promise<Stack> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = Stacks?.[0];
    if (stack && !stack.StackStatus?.endsWith('_IN_PROGRESS')) return stack;
    if (Date.now() > deadline) throw new Error(`stack ${stackName} still ${stack?.StackStatus}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const roleTemplate = `
AWSTemplateFormatVersion: '2010-09-09'
Description: a role and a queue
Parameters:
  Env:
    Type: String
    AllowedValues: [dev, prod]
    Default: dev
  Secret:
    Type: String
    NoEcho: true
    MinLength: 3
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: !If [IsProd, 60, 30]
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub '\${AWS::StackName}-role'
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: { Service: ec2.amazonaws.com }
            Action: sts:AssumeRole
      Policies:
        - PolicyName: read-queue
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
              - Effect: Allow
                Action: sqs:ReceiveMessage
                Resource: !GetAtt Queue.Arn
Outputs:
  QueueUrl:
    Value: !Ref Queue
  RoleArn:
    Value: !GetAtt Role.Arn
  Joined:
    Value: !Join ['/', [!Ref Env, !Select [1, !Split [',', 'a,b,c']], !Select [0, !GetAZs '']]]
`;

describe('CloudFormation through the AWS SDK', () => {
  it('validates templates and refuses named IAM without CAPABILITY_NAMED_IAM', async () => {
    const v = await cfn.send(new ValidateTemplateCommand({ TemplateBody: roleTemplate }));
    expect(v.Capabilities).toEqual(['CAPABILITY_NAMED_IAM']);
    expect(v.Parameters?.map((p) => p.ParameterKey)).toEqual(['Env', 'Secret']);
    await expect(
      cfn.send(
        new CreateStackCommand({
          StackName: 'no-caps',
          TemplateBody: roleTemplate,
          Parameters: [{ ParameterKey: 'Secret', ParameterValue: 'hush' }],
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InsufficientCapabilitiesException',
      message: 'Requires capabilities : [CAPABILITY_NAMED_IAM]',
    });
    await expect(
      cfn.send(
        new CreateStackCommand({
          StackName: 'bad-param',
          TemplateBody: roleTemplate,
          Capabilities: ['CAPABILITY_NAMED_IAM'],
          Parameters: [
            { ParameterKey: 'Env', ParameterValue: 'qa' },
            { ParameterKey: 'Secret', ParameterValue: 'hush' },
          ],
        }),
      ),
    ).rejects.toThrow(/Env/);
    await expect(
      cfn.send(
        new CreateStackCommand({
          StackName: 'missing',
          TemplateBody: roleTemplate,
          Capabilities: ['CAPABILITY_NAMED_IAM'],
        }),
      ),
    ).rejects.toThrow(/Parameters: \[Secret\] must have values/);
    await expect(
      cfn.send(
        new CreateStackCommand({
          StackName: 'getatt',
          TemplateBody: JSON.stringify({
            Resources: { Q: { Type: 'AWS::SQS::Queue' } },
            Outputs: { X: { Value: { 'Fn::GetAtt': ['Nope', 'Arn'] } } },
          }),
        }),
      ),
    ).rejects.toThrow(/Fn::GetAtt references undefined resource Nope/);
  });

  it('answers awscli: validate-template, and create-stack refused without the named-IAM capability', async () => {
    const cli = (...args: string[]) =>
      runAwsCli(args, { endpoint: cloud.url, credentials: account });
    const valid = await cli('cloudformation', 'validate-template', '--template-body', roleTemplate);
    expect(valid.code, valid.stderr).toBe(0);
    expect((valid.json as { Capabilities: string[] }).Capabilities).toEqual([
      'CAPABILITY_NAMED_IAM',
    ]);
    const refused = await cli(
      'cloudformation',
      'create-stack',
      '--stack-name',
      'cli-no-caps',
      '--template-body',
      roleTemplate,
      '--parameters',
      'ParameterKey=Secret,ParameterValue=hush',
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('InsufficientCapabilitiesException');
    expect(refused.stderr).toContain('Requires capabilities : [CAPABILITY_NAMED_IAM]');
    const missing = await cli('cloudformation', 'describe-stacks', '--stack-name', 'cli-missing');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('ValidationError');
  }, 180_000);

  it('creates a stack with conditions, intrinsics and outputs, updates it and deletes it', async () => {
    const { StackId } = await cfn.send(
      new CreateStackCommand({
        StackName: 'app',
        TemplateBody: roleTemplate,
        Capabilities: ['CAPABILITY_NAMED_IAM'],
        Parameters: [{ ParameterKey: 'Secret', ParameterValue: 'hush' }],
      }),
    );
    const stack = await settled(cfn, 'app');
    expect(stack.StackStatus).toBe('CREATE_COMPLETE');
    expect(stack.StackId).toBe(StackId);
    expect(stack.Parameters).toContainEqual({ ParameterKey: 'Secret', ParameterValue: '****' });
    const outputs: Record<string, string> = Object.fromEntries(
      (stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']),
    );
    expect(outputs.RoleArn).toBe(`arn:aws:iam::${account.accountId}:role/app-role`);
    expect(outputs.Joined).toBe('dev/b/us-east-1a');
    const role = await iam.send(new GetRoleCommand({ RoleName: 'app-role' }));
    expect(role.Role?.Arn).toBe(outputs.RoleArn);
    const sqs = new SQSClient(cloud.clientConfig(account));
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: outputs.QueueUrl,
        AttributeNames: ['VisibilityTimeout'],
      }),
    );
    expect(attrs.Attributes?.VisibilityTimeout).toBe('30');

    const events = await cfn.send(new DescribeStackEventsCommand({ StackName: 'app' }));
    const statuses = (events.StackEvents ?? []).map(
      (e) => `${e.LogicalResourceId}:${e.ResourceStatus}`,
    );
    expect(statuses[0]).toBe('app:CREATE_COMPLETE');
    expect(statuses.at(-1)).toBe('app:CREATE_IN_PROGRESS');
    // The role waits for the queue it references.
    expect(statuses.indexOf('Role:CREATE_IN_PROGRESS')).toBeLessThan(
      statuses.indexOf('Queue:CREATE_COMPLETE'),
    );
    const resources = await cfn.send(new DescribeStackResourcesCommand({ StackName: 'app' }));
    expect(resources.StackResources?.map((r) => r.LogicalResourceId).sort()).toEqual([
      'Queue',
      'Role',
    ]);
    const template = await cfn.send(new GetTemplateCommand({ StackName: 'app' }));
    expect(template.TemplateBody).toBe(roleTemplate);

    await expect(
      cfn.send(
        new UpdateStackCommand({
          StackName: 'app',
          UsePreviousTemplate: true,
          Capabilities: ['CAPABILITY_NAMED_IAM'],
          Parameters: [
            { ParameterKey: 'Secret', UsePreviousValue: true },
            { ParameterKey: 'Env', UsePreviousValue: true },
          ],
        }),
      ),
    ).rejects.toThrow('No updates are to be performed.');
    await cfn.send(
      new UpdateStackCommand({
        StackName: 'app',
        UsePreviousTemplate: true,
        Capabilities: ['CAPABILITY_NAMED_IAM'],
        Parameters: [
          { ParameterKey: 'Secret', UsePreviousValue: true },
          { ParameterKey: 'Env', ParameterValue: 'prod' },
        ],
      }),
    );
    const updated = await settled(cfn, 'app');
    expect(updated.StackStatus).toBe('UPDATE_COMPLETE');
    const after = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: outputs.QueueUrl,
        AttributeNames: ['VisibilityTimeout'],
      }),
    );
    expect(after.Attributes?.VisibilityTimeout).toBe('60');

    await cfn.send(new DeleteStackCommand({ StackName: 'app' }));
    const deleted = await settled(cfn, StackId!);
    expect(deleted.StackStatus).toBe('DELETE_COMPLETE');
    await expect(iam.send(new GetRoleCommand({ RoleName: 'app-role' }))).rejects.toMatchObject({
      name: 'NoSuchEntityException',
    });
    await expect(
      sqs.send(new GetQueueUrlCommand({ QueueName: outputs.QueueUrl!.split('/').at(-1)! })),
    ).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
    await expect(cfn.send(new DescribeStacksCommand({ StackName: 'app' }))).rejects.toThrow(
      /does not exist/,
    );
    sqs.destroy();
  });

  it('rolls back with the reason when the caller may not create a resource', async () => {
    const admin = iam;
    await admin.send(new CreateUserCommand({ UserName: 'deployer' }));
    await admin.send(
      new PutUserPolicyCommand({
        UserName: 'deployer',
        PolicyName: 'cfn-and-sqs-only',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: ['cloudformation:*', 'sqs:*'], Resource: '*' }],
        }),
      }),
    );
    const key = await admin.send(new CreateAccessKeyCommand({ UserName: 'deployer' }));
    const deployer = new CloudFormationClient(
      cloud.clientConfig({
        accessKeyId: key.AccessKey!.AccessKeyId!,
        secretAccessKey: key.AccessKey!.SecretAccessKey!,
      }),
    );
    await deployer.send(
      new CreateStackCommand({
        StackName: 'denied',
        TemplateBody: roleTemplate,
        Capabilities: ['CAPABILITY_NAMED_IAM'],
        Parameters: [{ ParameterKey: 'Secret', ParameterValue: 'hush' }],
      }),
    );
    const stack = await settled(deployer, 'denied');
    expect(stack.StackStatus).toBe('ROLLBACK_COMPLETE');
    expect(stack.StackStatusReason).toBe(
      'The following resource(s) failed to create: [Role]. Rollback requested by user.',
    );
    const events = await deployer.send(new DescribeStackEventsCommand({ StackName: 'denied' }));
    const failed = events.StackEvents?.find((e) => e.ResourceStatus === 'CREATE_FAILED');
    expect(failed?.LogicalResourceId).toBe('Role');
    expect(failed?.ResourceStatusReason).toMatch(/iam:CreateRole.*HandlerErrorCode: AccessDenied/s);
    // The queue created before the failure was deleted by the rollback.
    expect(
      events.StackEvents?.find(
        (e) => e.LogicalResourceId === 'Queue' && e.ResourceStatus === 'DELETE_COMPLETE',
      ),
    ).toBeDefined();
    deployer.destroy();
    void waitUntilStackCreateComplete;
  });
});
