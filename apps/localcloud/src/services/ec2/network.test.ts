import {
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateInternetGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteInternetGatewayCommand,
  DeleteRouteTableCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeAccountAttributesCommand,
  DescribeAvailabilityZonesCommand,
  DescribeRegionsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  DetachInternetGatewayCommand,
  EC2Client,
  ModifySubnetAttributeCommand,
  ModifyVpcAttributeCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAwsCli } from '../../testing/run-awscli.ts';
import { errorOf, startEc2TestCloud, type Ec2TestCloud, type TestAccount } from './test-support.ts';

describe('EC2 networks through the AWS SDK v3 and awscli', () => {
  let lc: Ec2TestCloud;
  let acct: TestAccount;
  let ec2: EC2Client;

  beforeAll(async () => {
    lc = await startEc2TestCloud();
    acct = await lc.account('net');
    ec2 = new EC2Client(lc.config(acct));
  });
  afterAll(async () => {
    await lc.stop();
  });

  it('gives every account a default VPC with a default subnet per zone', async () => {
    const vpcs = await ec2.send(
      new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }),
    );
    expect(vpcs.Vpcs).toHaveLength(1);
    const vpc = vpcs.Vpcs?.[0];
    expect(vpc?.CidrBlock).toBe('172.31.0.0/16');
    expect(vpc?.VpcId).toMatch(/^vpc-[0-9a-f]{17}$/);
    const subnets = await ec2.send(
      new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc?.VpcId ?? ''] }] }),
    );
    expect(subnets.Subnets?.map((s) => s.AvailabilityZone).sort()).toEqual([
      'us-east-1a',
      'us-east-1b',
      'us-east-1c',
    ]);
    expect(subnets.Subnets?.every((s) => s.DefaultForAz && s.MapPublicIpOnLaunch)).toBe(true);
    const attrs = await ec2.send(
      new DescribeAccountAttributesCommand({ AttributeNames: ['default-vpc'] }),
    );
    expect(attrs.AccountAttributes?.[0]?.AttributeValues?.[0]?.AttributeValue).toBe(vpc?.VpcId);
    const zones = await ec2.send(new DescribeAvailabilityZonesCommand({}));
    expect(zones.AvailabilityZones?.map((z) => `${z.ZoneName}/${z.ZoneId}`)).toEqual([
      'us-east-1a/use1-az1',
      'us-east-1b/use1-az2',
      'us-east-1c/use1-az3',
    ]);
    const regions = await ec2.send(new DescribeRegionsCommand({ RegionNames: ['eu-west-1'] }));
    expect(regions.Regions?.[0]?.Endpoint).toBe('ec2.eu-west-1.amazonaws.com');
  });

  it('creates, wires and deletes a VPC with subnets, gateway, routes and security groups', async () => {
    const { Vpc } = await ec2.send(
      new CreateVpcCommand({
        CidrBlock: '10.0.0.0/16',
        TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'ferry' }] }],
      }),
    );
    const vpcId = Vpc?.VpcId ?? '';
    expect(Vpc?.Tags).toEqual([{ Key: 'Name', Value: 'ferry' }]);
    await ec2.send(
      new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }),
    );
    const attr = await ec2.send(
      new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: 'enableDnsHostnames' }),
    );
    expect(attr.EnableDnsHostnames?.Value).toBe(true);

    const a = await ec2.send(
      new CreateSubnetCommand({
        VpcId: vpcId,
        CidrBlock: '10.0.0.0/24',
        AvailabilityZone: 'us-east-1a',
      }),
    );
    expect(a.Subnet?.AvailableIpAddressCount).toBe(251);
    expect(a.Subnet?.SubnetArn).toBe(
      `arn:aws:ec2:us-east-1:${acct.accountId}:subnet/${a.Subnet?.SubnetId}`,
    );
    await ec2.send(
      new ModifySubnetAttributeCommand({
        SubnetId: a.Subnet?.SubnetId,
        MapPublicIpOnLaunch: { Value: true },
      }),
    );
    expect(
      (
        await errorOf(
          ec2.send(
            new CreateSubnetCommand({
              VpcId: vpcId,
              CidrBlock: '10.0.0.128/25',
              AvailabilityZone: 'us-east-1b',
            }),
          ),
        )
      ).name,
    ).toBe('InvalidSubnet.Conflict');
    expect(
      (await errorOf(ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.1.0.0/24' }))))
        .name,
    ).toBe('InvalidSubnet.Range');
    const badZone = await errorOf(
      ec2.send(
        new CreateSubnetCommand({
          VpcId: vpcId,
          CidrBlock: '10.0.9.0/24',
          AvailabilityZone: 'eu-west-1a',
        }),
      ),
    );
    expect(badZone.name).toBe('InvalidParameterValue');
    expect(badZone.message).toContain('eu-west-1a');

    const { InternetGateway } = await ec2.send(new CreateInternetGatewayCommand({}));
    const igw = InternetGateway?.InternetGatewayId ?? '';
    expect(igw).toMatch(/^igw-[0-9a-f]{17}$/);
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
    const { RouteTable } = await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }));
    const rtb = RouteTable?.RouteTableId ?? '';
    await ec2.send(
      new CreateRouteCommand({
        RouteTableId: rtb,
        DestinationCidrBlock: '0.0.0.0/0',
        GatewayId: igw,
      }),
    );
    const assoc = await ec2.send(
      new AssociateRouteTableCommand({ RouteTableId: rtb, SubnetId: a.Subnet?.SubnetId }),
    );
    expect(assoc.AssociationId).toMatch(/^rtbassoc-/);
    const tables = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rtb] }));
    expect(
      tables.RouteTables?.[0]?.Routes?.map((r) => [r.DestinationCidrBlock, r.GatewayId, r.State]),
    ).toEqual([
      ['10.0.0.0/16', 'local', 'active'],
      ['0.0.0.0/0', igw, 'active'],
    ]);

    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: 'workers',
        Description: 'ferry workers',
        VpcId: vpcId,
      }),
    );
    const perm = {
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      IpRanges: [{ CidrIp: '10.0.0.0/16' }],
    };
    const added = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: [perm] }),
    );
    expect(added.SecurityGroupRules?.[0]?.SecurityGroupRuleId).toMatch(/^sgr-/);
    expect(
      (
        await errorOf(
          ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: [perm] })),
        )
      ).name,
    ).toBe('InvalidPermission.Duplicate');
    const groups = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [GroupId ?? ''] }));
    expect(groups.SecurityGroups?.[0]?.IpPermissions?.[0]).toMatchObject({
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
    });
    expect(groups.SecurityGroups?.[0]?.IpPermissionsEgress?.[0]?.IpProtocol).toBe('-1');
    const rules = await ec2.send(
      new DescribeSecurityGroupRulesCommand({
        Filters: [{ Name: 'group-id', Values: [GroupId ?? ''] }],
      }),
    );
    expect(rules.SecurityGroupRules?.map((r) => r.IsEgress).sort()).toEqual([false, true]);
    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId, IpPermissions: [perm] }));
    expect(
      (
        await errorOf(
          ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId, IpPermissions: [perm] })),
        )
      ).name,
    ).toBe('InvalidPermission.NotFound');

    // Dependencies block deletion exactly as EC2 reports it.
    expect((await errorOf(ec2.send(new DeleteVpcCommand({ VpcId: vpcId })))).name).toBe(
      'DependencyViolation',
    );
    expect(
      (await errorOf(ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: igw })))).name,
    ).toBe('DependencyViolation');
    await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
    await ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: igw }));
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId }));
    await ec2.send(new DeleteSubnetCommand({ SubnetId: a.Subnet?.SubnetId }));
    const { RouteTables } = await ec2.send(
      new DescribeRouteTablesCommand({ RouteTableIds: [rtb] }),
    );
    expect(RouteTables?.[0]?.Associations).toEqual([]);
    expect((await errorOf(ec2.send(new DeleteVpcCommand({ VpcId: vpcId })))).name).toBe(
      'DependencyViolation',
    );
    await ec2.send(new DeleteRouteTableCommand({ RouteTableId: rtb }));
    await ec2.send(new DeleteVpcCommand({ VpcId: vpcId }));
    expect((await errorOf(ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] })))).name).toBe(
      'InvalidVpcID.NotFound',
    );
  });

  it('answers awscli, an independent client, with the same resources and errors', async () => {
    const creds = { accessKeyId: acct.accessKeyId, secretAccessKey: acct.secretAccessKey };
    const created = await runAwsCli(['ec2', 'create-vpc', '--cidr-block', '10.9.0.0/16'], {
      endpoint: lc.url,
      credentials: creds,
    });
    expect(created.code).toBe(0);
    expect((created.json as { Vpc: { VpcId: string } }).Vpc.VpcId).toMatch(/^vpc-/);
    expect((created.json as { Vpc: { CidrBlock: string } }).Vpc.CidrBlock).toBe('10.9.0.0/16');
    const missing = await runAwsCli(
      ['ec2', 'describe-subnets', '--subnet-ids', 'subnet-0123456789abcdef0'],
      {
        endpoint: lc.url,
        credentials: creds,
      },
    );
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('InvalidSubnetID.NotFound');
  }, 120_000);
});
