import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ListStackResourcesCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import {
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { GetInstanceProfileCommand, IAMClient } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAwsCli } from '../../testing/run-awscli.ts';
import { startEc2TestCloud } from '../ec2/test-support.ts';
import type { Ec2TestCloud, TestAccount } from '../ec2/test-support.ts';
import { createSnsService } from '../sns/index.ts';
import { createSqsService } from '../sqs/index.ts';
import { createCloudFormationService } from './index.ts';

let lc: Ec2TestCloud;
let account: TestAccount;
let cfn: CloudFormationClient;
let ec2: EC2Client;

beforeAll(async () => {
  lc = await startEc2TestCloud({
    extra: [createSqsService(), createSnsService(), createCloudFormationService()],
  });
  await lc.admin('POST', '/_localcloud/cloudformation/settings', { resourceDelayMs: 10 });
  account = await lc.account('network');
  cfn = new CloudFormationClient(lc.config(account));
  ec2 = new EC2Client(lc.config(account));
});

afterAll(async () => {
  cfn.destroy();
  ec2.destroy();
  await lc.stop();
});

const networkTemplate = `
Parameters:
  Cidr: { Type: String, Default: 10.20.0.0/16 }
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: !Ref Cidr
      EnableDnsHostnames: true
      Tags: [{ Key: Name, Value: !Sub '\${AWS::StackName}-vpc' }]
  Gateway:
    Type: AWS::EC2::InternetGateway
  Attachment:
    Type: AWS::EC2::VPCGatewayAttachment
    Properties: { VpcId: !Ref Vpc, InternetGatewayId: !Ref Gateway }
  Routes:
    Type: AWS::EC2::RouteTable
    Properties: { VpcId: !Ref Vpc }
  DefaultRoute:
    Type: AWS::EC2::Route
    DependsOn: Attachment
    Properties: { RouteTableId: !Ref Routes, DestinationCidrBlock: 0.0.0.0/0, GatewayId: !Ref Gateway }
  SubnetA:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: !Select [0, !Cidr [!GetAtt Vpc.CidrBlock, 2, 8]]
      AvailabilityZone: !Select [0, !GetAZs '']
      MapPublicIpOnLaunch: true
  SubnetARoutes:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: { SubnetId: !Ref SubnetA, RouteTableId: !Ref Routes }
  Workers:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: workers
      VpcId: !Ref Vpc
      SecurityGroupIngress:
        - { IpProtocol: tcp, FromPort: 5051, ToPort: 5051, CidrIp: 203.0.113.0/24 }
      SecurityGroupEgress:
        - { IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0 }
  SelfIngress:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: { GroupId: !Ref Workers, IpProtocol: '-1', SourceSecurityGroupId: !GetAtt Workers.GroupId }
  WorkerRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement: [{ Effect: Allow, Principal: { Service: ec2.amazonaws.com }, Action: sts:AssumeRole }]
      Path: /ferry/
      MaxSessionDuration: 7200
  WorkerPolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Roles: [!Ref WorkerRole]
      PolicyDocument:
        Version: '2012-10-17'
        Statement: [{ Effect: Allow, Action: ec2:DescribeInstances, Resource: '*' }]
  WorkerProfile:
    Type: AWS::IAM::InstanceProfile
    Properties: { Roles: [!Ref WorkerRole] }
Outputs:
  VpcId: { Value: !Ref Vpc }
  SubnetIds: { Value: !Join [',', [!Ref SubnetA]] }
  SecurityGroupId: { Value: !GetAtt Workers.GroupId }
  WorkerProfileArn: { Value: !GetAtt WorkerProfile.Arn }
`;

async function settled(name: string): Promise<Stack> {
  for (let i = 0; i < 400; i++) {
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: name }));
    const stack = Stacks![0]!;
    if (!stack.StackStatus!.endsWith('_IN_PROGRESS')) return stack;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('stack did not settle');
}

describe('a network and IAM stack', () => {
  it('creates VPC, subnet, routes, security groups, role and instance profile, and deletes them cleanly', async () => {
    const { StackId } = await cfn.send(
      new CreateStackCommand({
        StackName: 'net',
        TemplateBody: networkTemplate,
        Capabilities: ['CAPABILITY_IAM'],
      }),
    );
    const stack = await settled('net');
    expect(stack.StackStatus, stack.StackStatusReason).toBe('CREATE_COMPLETE');
    const out = Object.fromEntries(
      (stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']),
    );
    const vpcs = await ec2.send(new DescribeVpcsCommand({ VpcIds: [out.VpcId!] }));
    expect(vpcs.Vpcs?.[0]?.CidrBlock).toBe('10.20.0.0/16');
    expect(vpcs.Vpcs?.[0]?.Tags).toContainEqual({ Key: 'Name', Value: 'net-vpc' });
    const subnets = await ec2.send(
      new DescribeSubnetsCommand({ SubnetIds: out.SubnetIds!.split(',') }),
    );
    expect(subnets.Subnets?.[0]).toMatchObject({
      CidrBlock: '10.20.0.0/24',
      AvailabilityZone: 'us-east-1a',
      MapPublicIpOnLaunch: true,
    });
    const groups = await ec2.send(
      new DescribeSecurityGroupsCommand({ GroupIds: [out.SecurityGroupId!] }),
    );
    const group = groups.SecurityGroups![0]!;
    expect(group.IpPermissions?.some((p) => p.FromPort === 5051)).toBe(true);
    expect(group.IpPermissionsEgress?.map((p) => p.FromPort)).toEqual([443]);
    const iam = new IAMClient(lc.config(account));
    const profile = await iam.send(
      new GetInstanceProfileCommand({
        InstanceProfileName: out.WorkerProfileArn!.split('/').at(-1),
      }),
    );
    expect(profile.InstanceProfile?.Roles?.[0]?.Path).toBe('/ferry/');
    const resources = await cfn.send(new ListStackResourcesCommand({ StackName: 'net' }));
    expect(
      resources.StackResourceSummaries?.every((r) => r.ResourceStatus === 'CREATE_COMPLETE'),
    ).toBe(true);
    expect(resources.StackResourceSummaries).toHaveLength(12);

    // Events: newest first, each resource in progress before complete, dependencies respected.
    const events = (await cfn.send(new DescribeStackEventsCommand({ StackName: 'net' })))
      .StackEvents!.slice()
      .reverse();
    const at = (id: string, status: string) =>
      events.findIndex((e) => e.LogicalResourceId === id && e.ResourceStatus === status);
    expect(at('Vpc', 'CREATE_COMPLETE')).toBeLessThan(at('SubnetA', 'CREATE_IN_PROGRESS'));
    expect(at('Attachment', 'CREATE_COMPLETE')).toBeLessThan(
      at('DefaultRoute', 'CREATE_IN_PROGRESS'),
    );
    expect(at('WorkerRole', 'CREATE_COMPLETE')).toBeLessThan(
      at('WorkerProfile', 'CREATE_IN_PROGRESS'),
    );

    // awscli sees the same stack.
    const cli = await runAwsCli(['cloudformation', 'describe-stacks', '--stack-name', 'net'], {
      endpoint: lc.url,
      credentials: account,
    });
    expect(cli.code, cli.stderr).toBe(0);
    expect((cli.json as { Stacks: { StackStatus: string }[] }).Stacks[0]?.StackStatus).toBe(
      'CREATE_COMPLETE',
    );

    await cfn.send(new DeleteStackCommand({ StackName: 'net' }));
    const deleted = await settled(StackId!);
    expect(deleted.StackStatus, deleted.StackStatusReason).toBe('DELETE_COMPLETE');
    await expect(ec2.send(new DescribeVpcsCommand({ VpcIds: [out.VpcId!] }))).rejects.toMatchObject(
      { name: 'InvalidVpcID.NotFound' },
    );
    const deleteEvents = (await cfn.send(new DescribeStackEventsCommand({ StackName: StackId })))
      .StackEvents!.slice()
      .reverse();
    const del = (id: string) =>
      deleteEvents.findIndex(
        (e) => e.LogicalResourceId === id && e.ResourceStatus === 'DELETE_COMPLETE',
      );
    expect(del('SubnetA')).toBeLessThan(del('Vpc'));
    expect(del('WorkerProfile')).toBeLessThan(del('WorkerRole'));
    iam.destroy();
  }, 120_000);

  it('checks EC2-typed parameters against the account', async () => {
    const template = JSON.stringify({
      Parameters: {
        VpcId: { Type: 'AWS::EC2::VPC::Id' },
        SubnetIds: { Type: 'List<AWS::EC2::Subnet::Id>' },
      },
      Resources: {
        Group: {
          Type: 'AWS::EC2::SecurityGroup',
          Properties: { GroupDescription: 'in existing vpc', VpcId: { Ref: 'VpcId' } },
        },
      },
      Outputs: { Subnets: { Value: { 'Fn::Join': [',', { Ref: 'SubnetIds' }] } } },
    });
    await expect(
      cfn.send(
        new CreateStackCommand({
          StackName: 'byo',
          TemplateBody: template,
          Parameters: [
            { ParameterKey: 'VpcId', ParameterValue: 'vpc-00000000000000000' },
            { ParameterKey: 'SubnetIds', ParameterValue: 'subnet-00000000000000000' },
          ],
        }),
      ),
    ).rejects.toThrow(
      /parameter value vpc-00000000000000000 for parameter name VpcId does not exist/,
    );
    const vpcs = await ec2.send(new DescribeVpcsCommand({}));
    const vpcId = vpcs.Vpcs![0]!.VpcId!;
    const subnets = await ec2.send(
      new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }),
    );
    const ids = subnets.Subnets!.map((s) => s.SubnetId!).slice(0, 2);
    await cfn.send(
      new CreateStackCommand({
        StackName: 'byo',
        TemplateBody: template,
        Parameters: [
          { ParameterKey: 'VpcId', ParameterValue: vpcId },
          { ParameterKey: 'SubnetIds', ParameterValue: ids.join(',') },
        ],
      }),
    );
    const stack = await settled('byo');
    expect(stack.StackStatus).toBe('CREATE_COMPLETE');
    expect(stack.Outputs?.[0]?.OutputValue).toBe(ids.join(','));
  });
});
