/**
 * EC2's state for one account and region, kept JSON-serialisable (times are epoch
 * milliseconds) so core can persist it with --state-dir.
 */
import type { Cloud } from '../../core/contract.ts';

export interface VpcRecord {
  vpcId: string;
  cidrBlock: string;
  cidrAssociationId: string;
  isDefault: boolean;
  instanceTenancy: string;
  dhcpOptionsId: string;
  enableDnsSupport: boolean;
  enableDnsHostnames: boolean;
  createdAt: number;
}

export interface SubnetRecord {
  subnetId: string;
  vpcId: string;
  cidrBlock: string;
  availabilityZone: string;
  defaultForAz: boolean;
  mapPublicIpOnLaunch: boolean;
}

export interface InternetGatewayRecord {
  internetGatewayId: string;
  attachedVpcId?: string;
}

export interface RouteRecord {
  destinationCidrBlock: string;
  gatewayId: string;
  origin: 'CreateRouteTable' | 'CreateRoute';
}

export interface RouteTableAssociationRecord {
  associationId: string;
  subnetId?: string;
  main: boolean;
}

export interface RouteTableRecord {
  routeTableId: string;
  vpcId: string;
  routes: RouteRecord[];
  associations: RouteTableAssociationRecord[];
}

export interface SecurityGroupRuleRecord {
  ruleId: string;
  isEgress: boolean;
  ipProtocol: string;
  fromPort?: number;
  toPort?: number;
  cidrIpv4?: string;
  cidrIpv6?: string;
  referencedGroupId?: string;
  description?: string;
}

export interface SecurityGroupRecord {
  groupId: string;
  groupName: string;
  description: string;
  vpcId: string;
  rules: SecurityGroupRuleRecord[];
}

export interface LaunchTemplateVersionRecord {
  versionNumber: number;
  versionDescription?: string;
  createdAt: number;
  createdBy: string;
  /** RequestLaunchTemplateData as given (member names of the model). */
  data: Record<string, unknown>;
}

export interface LaunchTemplateRecord {
  launchTemplateId: string;
  launchTemplateName: string;
  createdAt: number;
  createdBy: string;
  defaultVersion: number;
  latestVersion: number;
  versions: LaunchTemplateVersionRecord[];
}

export type InstanceStateName =
  'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';

export interface InstanceRecord {
  instanceId: string;
  reservationId: string;
  requesterId?: string;
  imageId: string;
  instanceType: string;
  architecture: string;
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  privateIpAddress: string;
  /** The loopback address also reported as public IP while the instance has one. */
  publicIpAddress?: string;
  securityGroups: { groupId: string; groupName: string }[];
  keyName?: string;
  launchTime: number;
  amiLaunchIndex: number;
  state: InstanceStateName;
  /** When the current transitional state (pending, stopping, shutting-down) ends. */
  transitionAt?: number;
  /** When a terminated instance disappears from Describe calls. */
  expiresAt?: number;
  stateTransitionReason: string;
  stateReason?: { code: string; message: string };
  userData?: string;
  shutdownBehavior: 'stop' | 'terminate';
  disableApiTermination: boolean;
  iamInstanceProfile?: { arn: string; id: string; roleArn?: string; roleName?: string };
  metadataOptions: {
    httpTokens: 'optional' | 'required';
    httpEndpoint: 'enabled' | 'disabled';
    httpPutResponseHopLimit: number;
    instanceMetadataTags: 'enabled' | 'disabled';
  };
  clientToken?: string;
  rootVolume: { volumeId: string; deviceName: string; sizeGiB: number; attachTime: number };
  networkInterfaceId: string;
  macAddress: string;
  ebsOptimized: boolean;
  launchTemplate?: { launchTemplateId: string; version: string };
  fleetId?: string;
}

export interface FleetRecord {
  fleetId: string;
  type: string;
  createdAt: number;
  state: 'active' | 'deleted' | 'deleted_running' | 'deleted_terminating';
  clientToken?: string;
  launchTemplateConfigs: unknown[];
  targetCapacity: Record<string, unknown>;
  onDemandOptions?: Record<string, unknown>;
  instances: {
    launchTemplateAndOverrides: Record<string, unknown>;
    instanceIds: string[];
    instanceType: string;
  }[];
  errors: {
    launchTemplateAndOverrides: Record<string, unknown>;
    errorCode: string;
    errorMessage: string;
  }[];
  fulfilled: number;
}

/** A completed call remembered under its ClientToken. */
export interface ClientTokenRecord {
  action: string;
  fingerprint: string;
  output: unknown;
  at: number;
}

export interface Ec2State {
  vpcs: Record<string, VpcRecord>;
  subnets: Record<string, SubnetRecord>;
  internetGateways: Record<string, InternetGatewayRecord>;
  routeTables: Record<string, RouteTableRecord>;
  securityGroups: Record<string, SecurityGroupRecord>;
  launchTemplates: Record<string, LaunchTemplateRecord>;
  instances: Record<string, InstanceRecord>;
  fleets: Record<string, FleetRecord>;
  /** Resource id → tags (every taggable resource, one place for DescribeTags). */
  tags: Record<string, Record<string, string>>;
  clientTokens: Record<string, ClientTokenRecord>;
  /** Set once the default VPC has been created (it may later be deleted). */
  defaultVpcCreated: boolean;
}

/** Process-wide EC2 bookkeeping: which loopback addresses are taken. */
export interface Ec2Registry {
  /** Loopback address → instance id. */
  addresses: Record<string, string>;
  /**
   * Where this cloud's addresses start (a count of usable addresses past 127.0.1.1). Each
   * cloud starts elsewhere, so two localclouds on one host (parallel test files, a demo
   * beside a test run) do not hand out the same address — whose ports, such as a worker's
   * 5051, would then collide.
   */
  base?: number;
}

/** Usable loopback addresses, and how many a cloud's range holds before the next one. */
export const LOOPBACK_ADDRESSES = 254 * 255 * 256 - 254;
const RANGE = 254 * 16;
let cloudsInProcess = 0;

/** A start for a new cloud's range: spread by process and by cloud within the process. */
function rangeBase(): number {
  const ranges = Math.floor(LOOPBACK_ADDRESSES / RANGE);
  return ((process.pid * 7919 + cloudsInProcess++ * 104_729) % ranges) * RANGE;
}

/** The service-wide registry lives under this pseudo account in the "global" region. */
export const REGISTRY_ACCOUNT = '000000000000';

export function emptyState(): Ec2State {
  return {
    vpcs: {},
    subnets: {},
    internetGateways: {},
    routeTables: {},
    securityGroups: {},
    launchTemplates: {},
    instances: {},
    fleets: {},
    tags: {},
    clientTokens: {},
    defaultVpcCreated: false,
  };
}

/** The registry of loopback addresses. */
export function ec2Registry(cloud: Cloud): Ec2Registry {
  const registry = cloud.state<Ec2Registry>('ec2-registry', REGISTRY_ACCOUNT, 'global', () => ({
    addresses: {},
  }));
  registry.base ??= rangeBase();
  return registry;
}

/** Raw state of one scope (without creating the default VPC). */
export function rawEc2State(cloud: Cloud, accountId: string, region: string): Ec2State {
  return cloud.state<Ec2State>('ec2', accountId, region, emptyState);
}
