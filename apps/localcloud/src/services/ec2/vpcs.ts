/** VPCs and subnets: Create/Describe/Delete, Describe/ModifyVpcAttribute, ModifySubnetAttribute. */
import type { Call, Cloud } from '../../core/contract.ts';
import { authorizeAll, ec2Arn, requestTagContext, resourceTagContext } from './authorize.ts';
import { availableAddresses, cidrContains, cidrOverlaps, parseCidr } from './cidr.ts';
import { addVpc } from './default-vpc.ts';
import {
  ec2Error,
  invalidValue,
  missing,
  notFound,
  optString,
  optStrings,
  requireString,
} from './errors.ts';
import { matchesFilters, readFilters, tagFilterValues } from './filters.ts';
import { newId } from './ids.ts';
import { paginate } from './pagination.ts';
import { assertZoneInRegion, zoneIdOf, zonesOf } from './regions.ts';
import type { Ec2State, SubnetRecord, VpcRecord } from './state.ts';
import { createTagsCheck, readTagSpecifications, tagListOrUndefined } from './tags.ts';

type Out = Promise<Record<string, unknown>>;

/** Looks up a VPC or throws InvalidVpcID.NotFound. */
export function getVpc(state: Ec2State, vpcId: string): VpcRecord {
  const vpc = state.vpcs[vpcId];
  if (!vpc) throw notFound('InvalidVpcID.NotFound', 'vpc ID', vpcId);
  return vpc;
}

/** Looks up a subnet or throws InvalidSubnetID.NotFound. */
export function getSubnet(state: Ec2State, subnetId: string): SubnetRecord {
  const subnet = state.subnets[subnetId];
  if (!subnet) throw notFound('InvalidSubnetID.NotFound', 'subnet ID', subnetId);
  return subnet;
}

function vpcShape(call: Call, state: Ec2State, v: VpcRecord): Record<string, unknown> {
  return {
    VpcId: v.vpcId,
    State: 'available',
    CidrBlock: v.cidrBlock,
    DhcpOptionsId: v.dhcpOptionsId,
    InstanceTenancy: v.instanceTenancy,
    IsDefault: v.isDefault,
    OwnerId: call.caller.accountId,
    CidrBlockAssociationSet: [
      {
        AssociationId: v.cidrAssociationId,
        CidrBlock: v.cidrBlock,
        CidrBlockState: { State: 'associated' },
      },
    ],
    Tags: tagListOrUndefined(state.tags[v.vpcId]),
  };
}

function subnetShape(call: Call, state: Ec2State, s: SubnetRecord): Record<string, unknown> {
  const used = Object.values(state.instances).filter(
    (i) => i.subnetId === s.subnetId && i.state !== 'terminated',
  ).length;
  const cidr = parseCidr(s.cidrBlock);
  return {
    SubnetId: s.subnetId,
    SubnetArn: ec2Arn(call, 'subnet', s.subnetId),
    State: 'available',
    VpcId: s.vpcId,
    CidrBlock: s.cidrBlock,
    AvailableIpAddressCount: (cidr ? availableAddresses(cidr) : 0) - used,
    AvailabilityZone: s.availabilityZone,
    AvailabilityZoneId: zoneIdOf(s.availabilityZone),
    DefaultForAz: s.defaultForAz,
    MapPublicIpOnLaunch: s.mapPublicIpOnLaunch,
    MapCustomerOwnedIpOnLaunch: false,
    AssignIpv6AddressOnCreation: false,
    Ipv6CidrBlockAssociationSet: [],
    OwnerId: call.caller.accountId,
    EnableDns64: false,
    Ipv6Native: false,
    PrivateDnsNameOptionsOnLaunch: {
      HostnameType: 'ip-name',
      EnableResourceNameDnsARecord: false,
      EnableResourceNameDnsAAAARecord: false,
    },
    Tags: tagListOrUndefined(state.tags[s.subnetId]),
  };
}

function checkBlockSize(member: string, text: string): NonNullable<ReturnType<typeof parseCidr>> {
  const cidr = parseCidr(text);
  if (!cidr)
    throw ec2Error(
      'InvalidParameterValue',
      `Value (${text}) for parameter ${member} is invalid. This is not a valid CIDR block.`,
    );
  if (cidr.prefix < 16 || cidr.prefix > 28) {
    throw ec2Error('InvalidVpc.Range', `The CIDR '${text}' is invalid.`);
  }
  return cidr;
}

export function createVpc(call: Call, cloud: Cloud, state: Ec2State): Out {
  const cidrText = requireString(call.input, 'CidrBlock');
  checkBlockSize('cidrBlock', cidrText);
  const tags = readTagSpecifications(call.input, ['vpc']).vpc;
  const tenancy = optString(call.input, 'InstanceTenancy') ?? 'default';
  if (!['default', 'dedicated', 'host'].includes(tenancy))
    throw invalidValue('InstanceTenancy', tenancy);
  const arn = ec2Arn(call, 'vpc', '*');
  authorizeAll(call, cloud, [
    { arn, context: { ...requestTagContext(tags), 'ec2:Tenancy': tenancy } },
    ...createTagsCheck(arn, tags, 'CreateVpc'),
  ]);
  const vpc = addVpc(state, cidrText, {
    isDefault: false,
    instanceTenancy: tenancy,
    now: cloud.now(),
  });
  if (tags) state.tags[vpc.vpcId] = tags;
  return Promise.resolve({ Vpc: { ...vpcShape(call, state, vpc), State: 'pending' } });
}

export function describeVpcs(call: Call, cloud: Cloud, state: Ec2State): Out {
  authorizeAll(call, cloud, [{ arn: '*' }]);
  const ids = optStrings(call.input, 'VpcIds');
  for (const id of ids) getVpc(state, id);
  const filters = readFilters(call.input);
  const vpcs = Object.values(state.vpcs)
    .filter((v) => ids.length === 0 || ids.includes(v.vpcId))
    .filter((v) =>
      matchesFilters(filters, (name) => {
        const t = tagFilterValues(name, state.tags[v.vpcId] ?? {});
        if (t) return t;
        switch (name) {
          case 'vpc-id':
            return [v.vpcId];
          case 'cidr':
          case 'cidr-block-association.cidr-block':
            return [v.cidrBlock];
          case 'is-default':
            return [String(v.isDefault)];
          case 'state':
            return ['available'];
          case 'owner-id':
            return [call.caller.accountId];
          case 'dhcp-options-id':
            return [v.dhcpOptionsId];
          default:
            return undefined;
        }
      }),
    )
    .map((v) => vpcShape(call, state, v));
  const { page, nextToken } = paginate(vpcs, call.input, { min: 5, max: 1000 });
  return Promise.resolve({ Vpcs: page, ...(nextToken ? { NextToken: nextToken } : {}) });
}

export function deleteVpc(call: Call, cloud: Cloud, state: Ec2State): Out {
  const vpcId = requireString(call.input, 'VpcId');
  getVpc(state, vpcId);
  authorizeAll(call, cloud, [
    { arn: ec2Arn(call, 'vpc', vpcId), context: resourceTagContext(state.tags[vpcId]) },
  ]);
  const dependent =
    Object.values(state.subnets).some((s) => s.vpcId === vpcId) ||
    Object.values(state.internetGateways).some((g) => g.attachedVpcId === vpcId) ||
    Object.values(state.securityGroups).some(
      (g) => g.vpcId === vpcId && g.groupName !== 'default',
    ) ||
    Object.values(state.routeTables).some(
      (r) => r.vpcId === vpcId && !r.associations.some((a) => a.main),
    );
  if (dependent) {
    throw ec2Error(
      'DependencyViolation',
      `The vpc '${vpcId}' has dependencies and cannot be deleted.`,
    );
  }
  for (const [id, r] of Object.entries(state.routeTables)) {
    if (r.vpcId === vpcId) {
      delete state.routeTables[id];
      delete state.tags[id];
    }
  }
  for (const [id, g] of Object.entries(state.securityGroups)) {
    if (g.vpcId === vpcId) {
      delete state.securityGroups[id];
      delete state.tags[id];
    }
  }
  delete state.vpcs[vpcId];
  delete state.tags[vpcId];
  return Promise.resolve({});
}

const VPC_ATTRIBUTES = [
  'enableDnsSupport',
  'enableDnsHostnames',
  'enableNetworkAddressUsageMetrics',
];

export function describeVpcAttribute(call: Call, cloud: Cloud, state: Ec2State): Out {
  const vpcId = requireString(call.input, 'VpcId');
  const attribute = requireString(call.input, 'Attribute');
  const vpc = getVpc(state, vpcId);
  if (!VPC_ATTRIBUTES.includes(attribute)) throw invalidValue('Attribute', attribute);
  authorizeAll(call, cloud, [{ arn: '*' }]);
  const value =
    attribute === 'enableDnsSupport'
      ? vpc.enableDnsSupport
      : attribute === 'enableDnsHostnames'
        ? vpc.enableDnsHostnames
        : false;
  const key = attribute[0]?.toUpperCase() + attribute.slice(1);
  return Promise.resolve({ VpcId: vpcId, [key]: { Value: value } });
}

export function modifyVpcAttribute(call: Call, cloud: Cloud, state: Ec2State): Out {
  const vpcId = requireString(call.input, 'VpcId');
  const vpc = getVpc(state, vpcId);
  const support = (call.input.EnableDnsSupport as { Value?: boolean } | undefined)?.Value;
  const hostnames = (call.input.EnableDnsHostnames as { Value?: boolean } | undefined)?.Value;
  const metrics = (call.input.EnableNetworkAddressUsageMetrics as { Value?: boolean } | undefined)
    ?.Value;
  const given = [support, hostnames, metrics].filter((v) => v !== undefined).length;
  if (given === 0)
    throw missing('EnableDnsSupport, EnableDnsHostnames or EnableNetworkAddressUsageMetrics');
  if (given > 1) {
    throw ec2Error('InvalidParameterCombination', 'Only one attribute can be modified at a time.');
  }
  authorizeAll(call, cloud, [
    { arn: ec2Arn(call, 'vpc', vpcId), context: resourceTagContext(state.tags[vpcId]) },
  ]);
  if (hostnames === true && !vpc.enableDnsSupport) {
    throw ec2Error(
      'InvalidParameterValue',
      'enableDnsHostnames cannot be enabled when enableDnsSupport is disabled.',
    );
  }
  if (support !== undefined) vpc.enableDnsSupport = support;
  if (hostnames !== undefined) vpc.enableDnsHostnames = hostnames;
  return Promise.resolve({});
}

export function createSubnet(call: Call, cloud: Cloud, state: Ec2State): Out {
  const vpcId = requireString(call.input, 'VpcId');
  const cidrText = optString(call.input, 'CidrBlock');
  if (!cidrText) throw missing('CidrBlock');
  const vpc = getVpc(state, vpcId);
  const zoneId = optString(call.input, 'AvailabilityZoneId');
  let zone = optString(call.input, 'AvailabilityZone');
  if (zone && zoneId) {
    throw ec2Error(
      'InvalidParameterCombination',
      'Only one of AvailabilityZone or AvailabilityZoneId may be given.',
    );
  }
  if (zoneId) {
    zone = zonesOf(call.region).find((z) => zoneIdOf(z) === zoneId);
    if (!zone) throw invalidValue('AvailabilityZoneId', zoneId);
  }
  if (zone) assertZoneInRegion(zone, call.region, 'AvailabilityZone');
  const cidr = checkBlockSize('cidrBlock', cidrText);
  const vpcCidr = parseCidr(vpc.cidrBlock);
  if (!vpcCidr || !cidrContains(vpcCidr, cidr)) {
    throw ec2Error('InvalidSubnet.Range', `The CIDR '${cidrText}' is invalid.`);
  }
  for (const s of Object.values(state.subnets)) {
    const other = parseCidr(s.cidrBlock);
    if (s.vpcId === vpcId && other && cidrOverlaps(other, cidr)) {
      throw ec2Error(
        'InvalidSubnet.Conflict',
        `The CIDR '${cidrText}' conflicts with another subnet`,
      );
    }
  }
  const tags = readTagSpecifications(call.input, ['subnet']).subnet;
  const arn = ec2Arn(call, 'subnet', '*');
  authorizeAll(call, cloud, [
    { arn, context: { ...requestTagContext(tags) } },
    { arn: ec2Arn(call, 'vpc', vpcId), context: resourceTagContext(state.tags[vpcId]) },
    ...createTagsCheck(arn, tags, 'CreateSubnet'),
  ]);
  // Without a zone AWS picks one; spread subnets over the zones deterministically.
  const chosen =
    zone ??
    zonesOf(call.region)[Object.keys(state.subnets).length % zonesOf(call.region).length] ??
    `${call.region}a`;
  const subnet: SubnetRecord = {
    subnetId: newId('subnet'),
    vpcId,
    cidrBlock: cidrText,
    availabilityZone: chosen,
    defaultForAz: false,
    mapPublicIpOnLaunch: false,
  };
  state.subnets[subnet.subnetId] = subnet;
  if (tags) state.tags[subnet.subnetId] = tags;
  return Promise.resolve({ Subnet: subnetShape(call, state, subnet) });
}

export function describeSubnets(call: Call, cloud: Cloud, state: Ec2State): Out {
  authorizeAll(call, cloud, [{ arn: '*' }]);
  const ids = optStrings(call.input, 'SubnetIds');
  for (const id of ids) getSubnet(state, id);
  const filters = readFilters(call.input);
  const subnets = Object.values(state.subnets)
    .filter((s) => ids.length === 0 || ids.includes(s.subnetId))
    .filter((s) =>
      matchesFilters(filters, (name) => {
        const t = tagFilterValues(name, state.tags[s.subnetId] ?? {});
        if (t) return t;
        switch (name) {
          case 'subnet-id':
            return [s.subnetId];
          case 'vpc-id':
            return [s.vpcId];
          case 'availability-zone':
            return [s.availabilityZone];
          case 'availability-zone-id':
            return [zoneIdOf(s.availabilityZone)];
          case 'cidr-block':
          case 'cidr':
          case 'cidrBlock':
            return [s.cidrBlock];
          case 'default-for-az':
          case 'defaultForAz':
            return [String(s.defaultForAz)];
          case 'map-public-ip-on-launch':
            return [String(s.mapPublicIpOnLaunch)];
          case 'state':
            return ['available'];
          case 'owner-id':
            return [call.caller.accountId];
          case 'subnet-arn':
            return [ec2Arn(call, 'subnet', s.subnetId)];
          default:
            return undefined;
        }
      }),
    )
    .map((s) => subnetShape(call, state, s));
  const { page, nextToken } = paginate(subnets, call.input, { min: 5, max: 1000 });
  return Promise.resolve({ Subnets: page, ...(nextToken ? { NextToken: nextToken } : {}) });
}

export function deleteSubnet(call: Call, cloud: Cloud, state: Ec2State): Out {
  const subnetId = requireString(call.input, 'SubnetId');
  getSubnet(state, subnetId);
  authorizeAll(call, cloud, [
    { arn: ec2Arn(call, 'subnet', subnetId), context: resourceTagContext(state.tags[subnetId]) },
  ]);
  if (
    Object.values(state.instances).some((i) => i.subnetId === subnetId && i.state !== 'terminated')
  ) {
    throw ec2Error(
      'DependencyViolation',
      `The subnet '${subnetId}' has dependencies and cannot be deleted.`,
    );
  }
  for (const r of Object.values(state.routeTables)) {
    r.associations = r.associations.filter((a) => a.subnetId !== subnetId);
  }
  delete state.subnets[subnetId];
  delete state.tags[subnetId];
  return Promise.resolve({});
}

export function modifySubnetAttribute(call: Call, cloud: Cloud, state: Ec2State): Out {
  const subnetId = requireString(call.input, 'SubnetId');
  const subnet = getSubnet(state, subnetId);
  authorizeAll(call, cloud, [
    { arn: ec2Arn(call, 'subnet', subnetId), context: resourceTagContext(state.tags[subnetId]) },
  ]);
  const mapPublic = (call.input.MapPublicIpOnLaunch as { Value?: boolean } | undefined)?.Value;
  if (mapPublic !== undefined) subnet.mapPublicIpOnLaunch = mapPublic;
  return Promise.resolve({});
}
