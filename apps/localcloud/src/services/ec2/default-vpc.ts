/** VPC creation with its implicit parts (main route table, default security group) and the default VPC. */
import { newId } from './ids.ts';
import { zonesOf } from './regions.ts';
import type { Ec2State, SecurityGroupRecord, VpcRecord } from './state.ts';

/** Creates a VPC with its main route table (local route) and its `default` security group. */
export function addVpc(
  state: Ec2State,
  cidrBlock: string,
  options: { isDefault: boolean; instanceTenancy?: string; now: number },
): VpcRecord {
  const vpc: VpcRecord = {
    vpcId: newId('vpc'),
    cidrBlock,
    cidrAssociationId: newId('vpc-cidr-assoc'),
    isDefault: options.isDefault,
    instanceTenancy: options.instanceTenancy ?? 'default',
    dhcpOptionsId: newId('dopt'),
    enableDnsSupport: true,
    enableDnsHostnames: options.isDefault,
    createdAt: options.now,
  };
  state.vpcs[vpc.vpcId] = vpc;
  const rtb = newId('rtb');
  state.routeTables[rtb] = {
    routeTableId: rtb,
    vpcId: vpc.vpcId,
    routes: [{ destinationCidrBlock: cidrBlock, gatewayId: 'local', origin: 'CreateRouteTable' }],
    associations: [{ associationId: newId('rtbassoc'), main: true }],
  };
  const sg: SecurityGroupRecord = {
    groupId: newId('sg'),
    groupName: 'default',
    description: 'default VPC security group',
    vpcId: vpc.vpcId,
    rules: [],
  };
  sg.rules.push(
    { ruleId: newId('sgr'), isEgress: false, ipProtocol: '-1', referencedGroupId: sg.groupId },
    { ruleId: newId('sgr'), isEgress: true, ipProtocol: '-1', cidrIpv4: '0.0.0.0/0' },
  );
  state.securityGroups[sg.groupId] = sg;
  return vpc;
}

/**
 * The default VPC AWS gives every account in every region: 172.31.0.0/16, one default
 * subnet (/20) per zone with public IPs on launch, an attached internet gateway and a
 * 0.0.0.0/0 route to it in the main route table.
 */
export function ensureDefaultVpc(state: Ec2State, region: string, now: number): void {
  if (state.defaultVpcCreated) return;
  state.defaultVpcCreated = true;
  const vpc = addVpc(state, '172.31.0.0/16', { isDefault: true, now });
  zonesOf(region).forEach((zone, i) => {
    const subnetId = newId('subnet');
    state.subnets[subnetId] = {
      subnetId,
      vpcId: vpc.vpcId,
      cidrBlock: `172.31.${i * 16}.0/20`,
      availabilityZone: zone,
      defaultForAz: true,
      mapPublicIpOnLaunch: true,
    };
  });
  const igw = newId('igw');
  state.internetGateways[igw] = { internetGatewayId: igw, attachedVpcId: vpc.vpcId };
  const main = Object.values(state.routeTables).find(
    (r) => r.vpcId === vpc.vpcId && r.associations.some((a) => a.main),
  );
  main?.routes.push({ destinationCidrBlock: '0.0.0.0/0', gatewayId: igw, origin: 'CreateRoute' });
}
