/** EC2 network resources: VPC, subnet, internet gateway, routes, security groups. */
import type { Json } from '../template-parser.ts';
import { bool, list, physicalName, str, tagList } from './resource-provider.ts';
import type { ProvisionContext, ResourceProvider, ResourceState } from './resource-provider.ts';

function tagSpecifications(resourceType: string, tags: Json | undefined): Record<string, unknown> {
  const list = tagList(tags);
  return list.length === 0
    ? {}
    : { TagSpecifications: [{ ResourceType: resourceType, Tags: list }] };
}

/** In-place tag updates for EC2 resources: CreateTags / DeleteTags. */
async function updateTags(
  ctx: ProvisionContext,
  id: string,
  before: Json | undefined,
  after: Json | undefined,
): Promise<void> {
  const old = new Map(tagList(before).map((t) => [t.Key, t.Value]));
  const next = tagList(after);
  const removed = [...old.keys()].filter((k) => !next.some((t) => t.Key === k));
  if (removed.length > 0)
    await ctx.invoke('ec2', 'DeleteTags', {
      Resources: [id],
      Tags: removed.map((Key) => ({ Key })),
    });
  const changed = next.filter((t) => old.get(t.Key) !== t.Value);
  if (changed.length > 0) await ctx.invoke('ec2', 'CreateTags', { Resources: [id], Tags: changed });
}

function onlyTagsChanged(current: ResourceState, properties: Record<string, Json>): boolean {
  const strip = (p: Record<string, Json>) => JSON.stringify({ ...p, Tags: null });
  return strip(current.properties) === strip(properties);
}

/** Updates tags in place, anything else replaces the resource. */
function tagsOnlyUpdate(resourceType: string): ResourceProvider['update'] {
  return async (ctx, current, properties) => {
    if (!onlyTagsChanged(current, properties)) throw new ReplacementRequired();
    await updateTags(ctx, current.physicalId, current.properties.Tags, properties.Tags);
    void resourceType;
    return { physicalId: current.physicalId, attributes: current.attributes };
  };
}

/** Thrown by `update` when the change needs a new resource. */
export class ReplacementRequired extends Error {
  constructor() {
    super('replacement required');
  }
}

const vpc: ResourceProvider = {
  required: [],
  async create(ctx, p) {
    const out = await ctx.invoke<{ Vpc: { VpcId: string; CidrBlock: string } }>(
      'ec2',
      'CreateVpc',
      {
        ...(p.CidrBlock === undefined ? {} : { CidrBlock: str(p.CidrBlock) }),
        ...(p.InstanceTenancy === undefined ? {} : { InstanceTenancy: str(p.InstanceTenancy) }),
        ...tagSpecifications('vpc', p.Tags),
      },
    );
    const id = out.Vpc.VpcId;
    for (const attribute of ['EnableDnsSupport', 'EnableDnsHostnames'] as const) {
      const value = bool(p[attribute]);
      if (value !== undefined)
        await ctx.invoke('ec2', 'ModifyVpcAttribute', { VpcId: id, [attribute]: { Value: value } });
    }
    const groups = await ctx.invoke<{ SecurityGroups?: { GroupId: string }[] }>(
      'ec2',
      'DescribeSecurityGroups',
      {
        Filters: [
          { Name: 'vpc-id', Values: [id] },
          { Name: 'group-name', Values: ['default'] },
        ],
      },
    );
    return {
      physicalId: id,
      attributes: {
        VpcId: id,
        CidrBlock: out.Vpc.CidrBlock,
        ...(groups.SecurityGroups?.[0]
          ? { DefaultSecurityGroup: groups.SecurityGroups[0].GroupId }
          : {}),
      },
    };
  },
  async update(ctx, current, p) {
    const strip = (x: Record<string, Json>) =>
      JSON.stringify({ ...x, Tags: null, EnableDnsSupport: null, EnableDnsHostnames: null });
    if (strip(current.properties) !== strip(p)) throw new ReplacementRequired();
    for (const attribute of ['EnableDnsSupport', 'EnableDnsHostnames'] as const) {
      const value = bool(p[attribute]);
      if (value !== undefined && value !== bool(current.properties[attribute])) {
        await ctx.invoke('ec2', 'ModifyVpcAttribute', {
          VpcId: current.physicalId,
          [attribute]: { Value: value },
        });
      }
    }
    await updateTags(ctx, current.physicalId, current.properties.Tags, p.Tags);
    return { physicalId: current.physicalId, attributes: current.attributes };
  },
  async delete(ctx, current) {
    await ctx.invoke('ec2', 'DeleteVpc', { VpcId: current.physicalId });
  },
};

const subnet: ResourceProvider = {
  required: ['VpcId'],
  async create(ctx, p) {
    const out = await ctx.invoke<{
      Subnet: { SubnetId: string; AvailabilityZone: string; CidrBlock: string; VpcId: string };
    }>('ec2', 'CreateSubnet', {
      VpcId: str(p.VpcId),
      ...(p.CidrBlock === undefined ? {} : { CidrBlock: str(p.CidrBlock) }),
      ...(p.AvailabilityZone === undefined ? {} : { AvailabilityZone: str(p.AvailabilityZone) }),
      ...tagSpecifications('subnet', p.Tags),
    });
    const id = out.Subnet.SubnetId;
    if (bool(p.MapPublicIpOnLaunch) === true) {
      await ctx.invoke('ec2', 'ModifySubnetAttribute', {
        SubnetId: id,
        MapPublicIpOnLaunch: { Value: true },
      });
    }
    return {
      physicalId: id,
      attributes: {
        SubnetId: id,
        AvailabilityZone: out.Subnet.AvailabilityZone,
        CidrBlock: out.Subnet.CidrBlock,
        VpcId: out.Subnet.VpcId,
      },
    };
  },
  async update(ctx, current, p) {
    const strip = (x: Record<string, Json>) =>
      JSON.stringify({ ...x, Tags: null, MapPublicIpOnLaunch: null });
    if (strip(current.properties) !== strip(p)) throw new ReplacementRequired();
    const map = bool(p.MapPublicIpOnLaunch) ?? false;
    if (map !== (bool(current.properties.MapPublicIpOnLaunch) ?? false)) {
      await ctx.invoke('ec2', 'ModifySubnetAttribute', {
        SubnetId: current.physicalId,
        MapPublicIpOnLaunch: { Value: map },
      });
    }
    await updateTags(ctx, current.physicalId, current.properties.Tags, p.Tags);
    return { physicalId: current.physicalId, attributes: current.attributes };
  },
  async delete(ctx, current) {
    await ctx.invoke('ec2', 'DeleteSubnet', { SubnetId: current.physicalId });
  },
};

const internetGateway: ResourceProvider = {
  async create(ctx, p) {
    const out = await ctx.invoke<{ InternetGateway: { InternetGatewayId: string } }>(
      'ec2',
      'CreateInternetGateway',
      tagSpecifications('internet-gateway', p.Tags),
    );
    const id = out.InternetGateway.InternetGatewayId;
    return { physicalId: id, attributes: { InternetGatewayId: id } };
  },
  update: tagsOnlyUpdate('internet-gateway'),
  async delete(ctx, current) {
    await ctx.invoke('ec2', 'DeleteInternetGateway', { InternetGatewayId: current.physicalId });
  },
};

const gatewayAttachment: ResourceProvider = {
  required: ['VpcId'],
  async create(ctx, p) {
    if (p.InternetGatewayId === undefined)
      throw new Error(
        'Property InternetGatewayId is required here (VpnGatewayId is not supported)',
      );
    await ctx.invoke('ec2', 'AttachInternetGateway', {
      InternetGatewayId: str(p.InternetGatewayId),
      VpcId: str(p.VpcId),
    });
    return { physicalId: `IGW|${str(p.VpcId) ?? ''}`, attributes: {} };
  },
  async delete(ctx, current) {
    await ctx.invoke('ec2', 'DetachInternetGateway', {
      InternetGatewayId: str(current.properties.InternetGatewayId),
      VpcId: str(current.properties.VpcId),
    });
  },
};

const routeTable: ResourceProvider = {
  required: ['VpcId'],
  async create(ctx, p) {
    const out = await ctx.invoke<{ RouteTable: { RouteTableId: string } }>(
      'ec2',
      'CreateRouteTable',
      { VpcId: str(p.VpcId), ...tagSpecifications('route-table', p.Tags) },
    );
    const id = out.RouteTable.RouteTableId;
    return { physicalId: id, attributes: { RouteTableId: id } };
  },
  update: tagsOnlyUpdate('route-table'),
  async delete(ctx, current) {
    await ctx.invoke('ec2', 'DeleteRouteTable', { RouteTableId: current.physicalId });
  },
};

const ROUTE_TARGETS = [
  'GatewayId',
  'NatGatewayId',
  'InstanceId',
  'NetworkInterfaceId',
  'VpcPeeringConnectionId',
  'TransitGatewayId',
  'EgressOnlyInternetGatewayId',
  'VpcEndpointId',
  'CarrierGatewayId',
  'LocalGatewayId',
];

const route: ResourceProvider = {
  required: ['RouteTableId'],
  async create(ctx, p) {
    const input: Record<string, unknown> = { RouteTableId: str(p.RouteTableId) };
    for (const key of [
      'DestinationCidrBlock',
      'DestinationIpv6CidrBlock',
      'DestinationPrefixListId',
      ...ROUTE_TARGETS,
    ]) {
      if (p[key] !== undefined) input[key] = str(p[key]);
    }
    await ctx.invoke('ec2', 'CreateRoute', input);
    const destination =
      str(p.DestinationCidrBlock ?? p.DestinationIpv6CidrBlock ?? p.DestinationPrefixListId) ?? '';
    return { physicalId: `${str(p.RouteTableId) ?? ''}|${destination}`, attributes: {} };
  },
  async delete(ctx, current) {
    const p = current.properties;
    await ctx.invoke('ec2', 'DeleteRoute', {
      RouteTableId: str(p.RouteTableId),
      ...(p.DestinationCidrBlock === undefined
        ? {}
        : { DestinationCidrBlock: str(p.DestinationCidrBlock) }),
      ...(p.DestinationIpv6CidrBlock === undefined
        ? {}
        : { DestinationIpv6CidrBlock: str(p.DestinationIpv6CidrBlock) }),
    });
  },
};

const association: ResourceProvider = {
  required: ['SubnetId', 'RouteTableId'],
  async create(ctx, p) {
    const out = await ctx.invoke<{ AssociationId: string }>('ec2', 'AssociateRouteTable', {
      SubnetId: str(p.SubnetId),
      RouteTableId: str(p.RouteTableId),
    });
    return { physicalId: out.AssociationId, attributes: { Id: out.AssociationId } };
  },
  async delete(ctx, current) {
    await ctx.invoke('ec2', 'DisassociateRouteTable', { AssociationId: current.physicalId });
  },
};

/** A CloudFormation security group rule as an EC2 IpPermission. */
function permission(rule: Json, direction: 'ingress' | 'egress'): Record<string, unknown> {
  const r = (rule ?? {}) as Record<string, Json>;
  const protocol = str(r.IpProtocol) ?? '-1';
  const description = str(r.Description);
  const desc = description === undefined ? {} : { Description: description };
  const perm: Record<string, unknown> = { IpProtocol: protocol };
  if (protocol !== '-1' && protocol !== 'all') {
    if (r.FromPort !== undefined) perm.FromPort = Number(r.FromPort);
    if (r.ToPort !== undefined) perm.ToPort = Number(r.ToPort);
  }
  if (r.CidrIp !== undefined) perm.IpRanges = [{ CidrIp: str(r.CidrIp), ...desc }];
  if (r.CidrIpv6 !== undefined) perm.Ipv6Ranges = [{ CidrIpv6: str(r.CidrIpv6), ...desc }];
  const group = direction === 'ingress' ? r.SourceSecurityGroupId : r.DestinationSecurityGroupId;
  if (group !== undefined) perm.UserIdGroupPairs = [{ GroupId: str(group), ...desc }];
  const prefix = direction === 'ingress' ? r.SourcePrefixListId : r.DestinationPrefixListId;
  if (prefix !== undefined) perm.PrefixListIds = [{ PrefixListId: str(prefix), ...desc }];
  return perm;
}

const ALL_EGRESS = { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] };

async function applyRules(
  ctx: ProvisionContext,
  groupId: string,
  p: Record<string, Json>,
  replacingEgress: boolean,
): Promise<void> {
  const ingress = list(p.SecurityGroupIngress).map((r) => permission(r, 'ingress'));
  if (ingress.length > 0)
    await ctx.invoke('ec2', 'AuthorizeSecurityGroupIngress', {
      GroupId: groupId,
      IpPermissions: ingress,
    });
  if (p.SecurityGroupEgress !== undefined) {
    // Explicit egress rules replace the default allow-all rule, as in CloudFormation.
    if (replacingEgress)
      await ctx.invoke('ec2', 'RevokeSecurityGroupEgress', {
        GroupId: groupId,
        IpPermissions: [ALL_EGRESS],
      });
    const egress = list(p.SecurityGroupEgress).map((r) => permission(r, 'egress'));
    if (egress.length > 0)
      await ctx.invoke('ec2', 'AuthorizeSecurityGroupEgress', {
        GroupId: groupId,
        IpPermissions: egress,
      });
  }
}

const securityGroup: ResourceProvider = {
  required: ['GroupDescription'],
  replaceOn: ['GroupName', 'GroupDescription', 'VpcId'],
  async create(ctx, p) {
    const out = await ctx.invoke<{ GroupId: string }>('ec2', 'CreateSecurityGroup', {
      GroupName: str(p.GroupName) ?? physicalName(ctx, 255),
      Description: str(p.GroupDescription),
      ...(p.VpcId === undefined ? {} : { VpcId: str(p.VpcId) }),
      ...tagSpecifications('security-group', p.Tags),
    });
    await applyRules(ctx, out.GroupId, p, true);
    return {
      physicalId: out.GroupId,
      attributes: { GroupId: out.GroupId, ...(p.VpcId === undefined ? {} : { VpcId: p.VpcId }) },
    };
  },
  async update(ctx, current, p) {
    const id = current.physicalId;
    const old = current.properties;
    const oldIngress = list(old.SecurityGroupIngress).map((r) => permission(r, 'ingress'));
    if (oldIngress.length > 0)
      await ctx.invoke('ec2', 'RevokeSecurityGroupIngress', {
        GroupId: id,
        IpPermissions: oldIngress,
      });
    const oldEgress =
      old.SecurityGroupEgress === undefined
        ? [ALL_EGRESS]
        : list(old.SecurityGroupEgress).map((r) => permission(r, 'egress'));
    if (oldEgress.length > 0)
      await ctx.invoke('ec2', 'RevokeSecurityGroupEgress', {
        GroupId: id,
        IpPermissions: oldEgress,
      });
    await applyRules(
      ctx,
      id,
      {
        ...p,
        SecurityGroupEgress: p.SecurityGroupEgress ?? [{ IpProtocol: '-1', CidrIp: '0.0.0.0/0' }],
      },
      false,
    );
    await updateTags(ctx, id, old.Tags, p.Tags);
    return { physicalId: id, attributes: current.attributes };
  },
  async delete(ctx, current) {
    await ctx.invoke('ec2', 'DeleteSecurityGroup', { GroupId: current.physicalId });
  },
};

function standaloneRule(direction: 'ingress' | 'egress'): ResourceProvider {
  const action = direction === 'ingress' ? 'SecurityGroupIngress' : 'SecurityGroupEgress';
  return {
    required: ['GroupId', 'IpProtocol'],
    async create(ctx, p) {
      const out = await ctx.invoke<{ SecurityGroupRules?: { SecurityGroupRuleId: string }[] }>(
        'ec2',
        `Authorize${action}`,
        {
          GroupId: str(p.GroupId),
          IpPermissions: [permission(p, direction)],
        },
      );
      const id =
        out.SecurityGroupRules?.[0]?.SecurityGroupRuleId ?? `${str(p.GroupId) ?? ''}|${direction}`;
      return { physicalId: id, attributes: { Id: id } };
    },
    async delete(ctx, current) {
      await ctx.invoke('ec2', `Revoke${action}`, {
        GroupId: str(current.properties.GroupId),
        IpPermissions: [permission(current.properties, direction)],
      });
    },
  };
}

export const ec2Resources: Record<string, ResourceProvider> = {
  'AWS::EC2::VPC': vpc,
  'AWS::EC2::Subnet': subnet,
  'AWS::EC2::InternetGateway': internetGateway,
  'AWS::EC2::VPCGatewayAttachment': gatewayAttachment,
  'AWS::EC2::RouteTable': routeTable,
  'AWS::EC2::Route': route,
  'AWS::EC2::SubnetRouteTableAssociation': association,
  'AWS::EC2::SecurityGroup': securityGroup,
  'AWS::EC2::SecurityGroupIngress': standaloneRule('ingress'),
  'AWS::EC2::SecurityGroupEgress': standaloneRule('egress'),
};
