/**
 * localcloud's EC2: networks, the instance-type catalog, launch templates, instances that
 * run as local processes with their own metadata service, and instant fleets.
 */
import type { Call, Cloud, Handler, RawResponse, ServiceDefinition } from '../../core/contract.ts';
import { endDryRun } from './authorize.ts';
import { requireString } from './errors.ts';
import { createFleet, deleteFleets, describeFleets } from './fleets.ts';
import { describeImages } from './images.ts';
import { describeInstanceTypeOfferings, describeInstanceTypes } from './instance-types.ts';
import {
  describeInstanceAttribute,
  describeInstanceStatus,
  authorizedInstances,
  describeInstances,
  modifyInstanceAttribute,
  runInstances,
  startInstances,
  stopInstances,
  terminateInstances,
} from './instances.ts';
import {
  createLaunchTemplate,
  createLaunchTemplateVersion,
  deleteLaunchTemplate,
  deleteLaunchTemplateVersions,
  describeLaunchTemplateVersions,
  describeLaunchTemplates,
  modifyLaunchTemplate,
} from './launch-templates.ts';
import {
  describeAccountAttributes,
  describeAvailabilityZones,
  describeRegions,
} from './regions.ts';
import {
  associateRouteTable,
  attachInternetGateway,
  createInternetGateway,
  createRoute,
  createRouteTable,
  deleteInternetGateway,
  deleteRoute,
  deleteRouteTable,
  describeInternetGateways,
  describeRouteTables,
  detachInternetGateway,
  disassociateRouteTable,
} from './route-tables.ts';
import { ec2State } from './scope.ts';
import {
  authorizeSecurityGroupEgress,
  authorizeSecurityGroupIngress,
  createSecurityGroup,
  defaultVpcId,
  deleteSecurityGroup,
  describeSecurityGroupRules,
  describeSecurityGroups,
  revokeSecurityGroupEgress,
  revokeSecurityGroupIngress,
} from './security-groups.ts';
import type { Ec2State } from './state.ts';
import { createSupervisor, type Supervisor, type SupervisorOptions } from './supervisor.ts';
import { createTags, deleteTags, describeTags } from './tags.ts';
import {
  createSubnet,
  createVpc,
  deleteSubnet,
  deleteVpc,
  describeSubnets,
  describeVpcAttribute,
  describeVpcs,
  modifySubnetAttribute,
  modifyVpcAttribute,
} from './vpcs.ts';

export type Ec2ServiceOptions = SupervisorOptions;

type ScopedHandler = (
  call: Call,
  cloud: Cloud,
  state: Ec2State,
) => Promise<Record<string, unknown>>;

const scoped =
  (fn: ScopedHandler): Handler =>
  (call, cloud) =>
    fn(call, cloud, ec2State(call, cloud));

function getConsoleOutput(supervisor: Supervisor): ScopedHandler {
  return (call, cloud, state) => {
    const id = requireString(call.input, 'InstanceId');
    authorizedInstances(call, cloud, state, [id]);
    endDryRun(call);
    const text = supervisor.consoleOutput(id) ?? '';
    return Promise.resolve({
      InstanceId: id,
      Timestamp: new Date(cloud.now()),
      Output: Buffer.from(text).toString('base64'),
    });
  };
}

/** Creates the EC2 service; timings are configurable so tests run fast. */
export function createEc2Service(
  options: Ec2ServiceOptions = {},
): ServiceDefinition & { supervisor: Supervisor } {
  const supervisor = createSupervisor(options);
  const handlers: Record<string, Handler> = {
    // network
    CreateVpc: scoped(createVpc),
    DescribeVpcs: scoped(describeVpcs),
    DeleteVpc: scoped(deleteVpc),
    DescribeVpcAttribute: scoped(describeVpcAttribute),
    ModifyVpcAttribute: scoped(modifyVpcAttribute),
    CreateSubnet: scoped(createSubnet),
    DescribeSubnets: scoped(describeSubnets),
    DeleteSubnet: scoped(deleteSubnet),
    ModifySubnetAttribute: scoped(modifySubnetAttribute),
    CreateInternetGateway: scoped(createInternetGateway),
    DescribeInternetGateways: scoped(describeInternetGateways),
    DeleteInternetGateway: scoped(deleteInternetGateway),
    AttachInternetGateway: scoped(attachInternetGateway),
    DetachInternetGateway: scoped(detachInternetGateway),
    CreateRouteTable: scoped(createRouteTable),
    DescribeRouteTables: scoped(describeRouteTables),
    DeleteRouteTable: scoped(deleteRouteTable),
    CreateRoute: scoped(createRoute),
    DeleteRoute: scoped(deleteRoute),
    AssociateRouteTable: scoped(associateRouteTable),
    DisassociateRouteTable: scoped(disassociateRouteTable),
    CreateSecurityGroup: scoped(createSecurityGroup),
    DescribeSecurityGroups: scoped(describeSecurityGroups),
    DeleteSecurityGroup: scoped(deleteSecurityGroup),
    AuthorizeSecurityGroupIngress: scoped(authorizeSecurityGroupIngress),
    AuthorizeSecurityGroupEgress: scoped(authorizeSecurityGroupEgress),
    RevokeSecurityGroupIngress: scoped(revokeSecurityGroupIngress),
    RevokeSecurityGroupEgress: scoped(revokeSecurityGroupEgress),
    DescribeSecurityGroupRules: scoped(describeSecurityGroupRules),
    // regions and account
    DescribeRegions: (call, cloud) => describeRegions(call, cloud),
    DescribeAvailabilityZones: (call, cloud) => describeAvailabilityZones(call, cloud),
    DescribeAccountAttributes: scoped((call, cloud, state) =>
      describeAccountAttributes(call, cloud, defaultVpcId(state)),
    ),
    // catalog
    DescribeInstanceTypes: (call, cloud) => describeInstanceTypes(call, cloud),
    DescribeInstanceTypeOfferings: (call, cloud) => describeInstanceTypeOfferings(call, cloud),
    DescribeImages: (call, cloud) => describeImages(call, cloud),
    // tags
    CreateTags: scoped(createTags),
    DeleteTags: scoped(deleteTags),
    DescribeTags: scoped(describeTags),
    // launch templates
    CreateLaunchTemplate: scoped(createLaunchTemplate),
    CreateLaunchTemplateVersion: scoped(createLaunchTemplateVersion),
    DescribeLaunchTemplates: scoped(describeLaunchTemplates),
    DescribeLaunchTemplateVersions: scoped(describeLaunchTemplateVersions),
    ModifyLaunchTemplate: scoped(modifyLaunchTemplate),
    DeleteLaunchTemplate: scoped(deleteLaunchTemplate),
    DeleteLaunchTemplateVersions: scoped(deleteLaunchTemplateVersions),
    // instances
    RunInstances: scoped(runInstances(supervisor)),
    DescribeInstances: scoped(describeInstances),
    DescribeInstanceStatus: scoped(describeInstanceStatus),
    TerminateInstances: scoped(terminateInstances(supervisor)),
    StopInstances: scoped(stopInstances(supervisor)),
    StartInstances: scoped(startInstances(supervisor)),
    DescribeInstanceAttribute: scoped(describeInstanceAttribute),
    ModifyInstanceAttribute: scoped(modifyInstanceAttribute),
    GetConsoleOutput: scoped(getConsoleOutput(supervisor)),
    // fleets
    CreateFleet: scoped(createFleet(supervisor)),
    DescribeFleets: scoped(describeFleets),
    DeleteFleets: scoped(deleteFleets(supervisor)),
  };
  const listRoute = {
    method: 'GET' as const,
    pathPrefix: '/_localcloud/instances',
    handle(): Promise<RawResponse> {
      return Promise.resolve({
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ instances: supervisor.list() }),
      });
    },
  };
  return {
    name: 'ec2',
    handlers,
    routes: [listRoute],
    start: (cloud) => supervisor.start(cloud),
    stop: () => supervisor.stop(),
    supervisor,
  };
}
