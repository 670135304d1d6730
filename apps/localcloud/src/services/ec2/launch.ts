/**
 * Resolving a launch (RunInstances parameters, a launch template and overrides) into a
 * validated plan, the authorization checks EC2 makes for it, and creating the instances.
 */
import type { Call, Cloud } from '../../core/contract.ts';
import { findInstanceProfile, roleOfInstanceProfile } from '../iam/iam-lookups.ts';
import {
  authorizeChecks,
  ec2Arn,
  imageArn,
  requestTagContext,
  resourceTagContext,
  type ResourceCheck,
} from './authorize.ts';
import { ec2Error, invalidValue, missing } from './errors.ts';
import { newId } from './ids.ts';
import { instanceTypeInfo, isOffered, offeredZones } from './instance-types.ts';
import { findLaunchTemplate, findVersion } from './launch-templates.ts';
import { bootDelayMs, allocateAddress, type Ec2Runtime } from './runtime.ts';
import { getGroup, groupByName } from './security-groups.ts';
import type {
  Ec2State,
  InstanceRecord,
  LaunchTemplateRecord,
  SecurityGroupRecord,
  SubnetRecord,
} from './state.ts';
import { createTagsCheck, readTagSpecifications, type Tags } from './tags.ts';
import { assertZoneInRegion } from './regions.ts';
import { getSubnet } from './vpcs.ts';

export const LAUNCH_TAG_TYPES = ['instance', 'volume', 'network-interface'];

export interface InstanceProfileRef {
  arn: string;
  id: string;
  name: string;
  roleArn?: string;
  roleName?: string;
}

export interface LaunchPlan {
  imageId: string;
  instanceType: string;
  architecture: string;
  subnet: SubnetRecord;
  groups: SecurityGroupRecord[];
  keyName?: string;
  userData?: string;
  shutdownBehavior: 'stop' | 'terminate';
  disableApiTermination: boolean;
  ebsOptimized: boolean;
  profile?: InstanceProfileRef;
  metadata: InstanceRecord['metadataOptions'];
  rootVolumeSize: number;
  tags: Record<string, Tags>;
  launchTemplate?: { record: LaunchTemplateRecord; version: number };
  /** Members whose value came from the launch template (for ec2:IsLaunchTemplateResource). */
  fromTemplate: Set<string>;
}

type Data = Record<string, unknown>;

/** Merges a launch template's data under the request's own members (request wins; tags merge by key). */
export function mergeWithTemplate(
  state: Ec2State,
  input: Data,
  ref: Data | undefined,
): {
  data: Data;
  template?: { record: LaunchTemplateRecord; version: number };
  fromTemplate: Set<string>;
} {
  if (!ref) return { data: input, fromTemplate: new Set() };
  const record = findLaunchTemplate(state, ref);
  const version = findVersion(record, typeof ref.Version === 'string' ? ref.Version : undefined);
  const base = version.data;
  const data: Data = { ...base };
  const fromTemplate = new Set(Object.keys(base));
  for (const [k, v] of Object.entries(input)) {
    if (v === undefined || k === 'LaunchTemplate') continue;
    if (k === 'TagSpecifications') continue;
    data[k] = v;
    fromTemplate.delete(k);
  }
  const specs = new Map<string, Tags>();
  for (const source of [base.TagSpecifications, input.TagSpecifications]) {
    if (!Array.isArray(source)) continue;
    for (const s of source as {
      ResourceType?: string;
      Tags?: { Key?: string; Value?: string }[];
    }[]) {
      if (!s.ResourceType) continue;
      const merged = { ...specs.get(s.ResourceType) };
      for (const t of s.Tags ?? []) if (t.Key) merged[t.Key] = t.Value ?? '';
      specs.set(s.ResourceType, merged);
    }
  }
  if (specs.size > 0) {
    data.TagSpecifications = [...specs.entries()].map(([ResourceType, tags]) => ({
      ResourceType,
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }));
  }
  return { data, template: { record, version: version.versionNumber }, fromTemplate };
}

function resolveProfile(call: Call, cloud: Cloud, spec: Data): InstanceProfileRef {
  const arn = typeof spec.Arn === 'string' ? spec.Arn : undefined;
  const name = typeof spec.Name === 'string' ? spec.Name : undefined;
  if (!arn && !name) throw missing('IamInstanceProfile.Arn or IamInstanceProfile.Name');
  const invalid = () =>
    ec2Error(
      'InvalidParameterValue',
      arn
        ? `Value (${arn}) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN`
        : `Value (${String(name)}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name`,
    );
  // An instance profile of another account cannot be used (IAM roles are not shared that way).
  if (arn && arn.split(':')[4] !== call.caller.accountId) throw invalid();
  const profile = findInstanceProfile(cloud, call.caller.accountId, arn ?? (name as string));
  if (!profile) throw invalid();
  const role = roleOfInstanceProfile(cloud, profile);
  return {
    arn: profile.arn,
    id: profile.id,
    name: profile.name,
    roleArn: role?.arn,
    roleName: role?.roleName,
  };
}

function str(data: Data, key: string): string | undefined {
  const v = data[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Validates a launch and resolves every referenced resource (subnet, groups, profile). */
export function planLaunch(
  call: Call,
  cloud: Cloud,
  state: Ec2State,
  data: Data,
  template: { record: LaunchTemplateRecord; version: number } | undefined,
  fromTemplate: Set<string>,
): LaunchPlan {
  const imageId = str(data, 'ImageId');
  if (!imageId) throw missing('ImageId');
  if (!/^ami-[0-9a-f]{8}([0-9a-f]{9})?$/.test(imageId)) {
    throw ec2Error('InvalidAMIID.Malformed', `Invalid id: "${imageId}" (expecting "ami-...")`);
  }
  const instanceType = str(data, 'InstanceType') ?? 'm1.small';
  const info = instanceTypeInfo(instanceType);
  if (!info)
    throw ec2Error('InvalidParameterValue', `Invalid value '${instanceType}' for InstanceType.`);

  const nics = Array.isArray(data.NetworkInterfaces) ? (data.NetworkInterfaces as Data[]) : [];
  const nic = nics.find((n) => n.DeviceIndex === undefined || Number(n.DeviceIndex) === 0);
  const placement = (data.Placement ?? {}) as Data;
  const subnetId = str(data, 'SubnetId') ?? (nic ? str(nic, 'SubnetId') : undefined);
  let subnet: SubnetRecord;
  if (subnetId) {
    if (!state.subnets[subnetId]) {
      // EC2 authorizes the subnet (by its id's ARN) before it reports it missing.
      authorizeChecks(call, cloud, [
        { arn: ec2Arn(call, 'subnet', subnetId), context: { 'ec2:SubnetID': subnetId } },
      ]);
    }
    subnet = getSubnet(state, subnetId);
    const zone = str(placement, 'AvailabilityZone');
    if (zone && zone !== subnet.availabilityZone) {
      throw ec2Error(
        'InvalidParameterValue',
        `Value (${zone}) for parameter availabilityZone is invalid. Subnet ${subnetId} is in ${subnet.availabilityZone}.`,
      );
    }
  } else {
    const zone = str(placement, 'AvailabilityZone');
    if (zone) assertZoneInRegion(zone, call.region, 'Placement.AvailabilityZone');
    const defaults = Object.values(state.subnets).filter((s) => s.defaultForAz);
    if (defaults.length === 0) throw ec2Error('VPCIdNotSpecified', 'No default VPC for this user');
    const candidates = zone
      ? defaults.filter((s) => s.availabilityZone === zone)
      : defaults.filter((s) =>
          offeredZones(instanceType, call.region).includes(s.availabilityZone),
        );
    const first = candidates.sort((a, b) =>
      a.availabilityZone.localeCompare(b.availabilityZone),
    )[0];
    if (!first) throw ec2Error('MissingInput', 'No subnets found for the default VPC');
    subnet = first;
  }
  if (!isOffered(instanceType, subnet.availabilityZone)) {
    throw ec2Error(
      'Unsupported',
      `Your requested instance type (${instanceType}) is not supported in your requested Availability Zone (${subnet.availabilityZone}). Please retry your request by not specifying an Availability Zone or choosing ${offeredZones(instanceType, call.region).join(', ')}.`,
    );
  }

  const groupIds = [
    ...(Array.isArray(data.SecurityGroupIds) ? (data.SecurityGroupIds as string[]) : []),
    ...(nic && Array.isArray(nic.Groups) ? (nic.Groups as string[]) : []),
  ];
  const groupNames = Array.isArray(data.SecurityGroups) ? (data.SecurityGroups as string[]) : [];
  const groups: SecurityGroupRecord[] = [];
  for (const id of groupIds) groups.push(getGroup(state, id));
  for (const n of groupNames) groups.push(groupByName(state, n, subnet.vpcId));
  for (const g of groups) {
    if (g.vpcId !== subnet.vpcId) {
      throw ec2Error(
        'InvalidParameter',
        `Security group ${g.groupId} and subnet ${subnet.subnetId} belong to different networks.`,
      );
    }
  }
  if (groups.length === 0) {
    const dflt = Object.values(state.securityGroups).find(
      (g) => g.vpcId === subnet.vpcId && g.groupName === 'default',
    );
    if (dflt) groups.push(dflt);
  }

  const shutdown = str(data, 'InstanceInitiatedShutdownBehavior') ?? 'stop';
  if (shutdown !== 'stop' && shutdown !== 'terminate') {
    throw invalidValue(
      'InstanceInitiatedShutdownBehavior',
      shutdown,
      "Valid values are 'stop' and 'terminate'.",
    );
  }
  const userData = str(data, 'UserData');
  if (userData !== undefined) {
    if (!/^[A-Za-z0-9+/=\s]*$/.test(userData))
      throw ec2Error('InvalidUserData.Malformed', 'User data must be base64 encoded.');
    if (Buffer.from(userData, 'base64').length > 16384) {
      throw ec2Error('InvalidUserData.Malformed', 'User data is limited to 16384 bytes.');
    }
  }

  const md = (data.MetadataOptions ?? {}) as Data;
  const httpTokens = str(md, 'HttpTokens') ?? 'optional';
  if (httpTokens !== 'optional' && httpTokens !== 'required')
    throw invalidValue('MetadataOptions.HttpTokens', httpTokens);
  const httpEndpoint = str(md, 'HttpEndpoint') ?? 'enabled';
  if (httpEndpoint !== 'enabled' && httpEndpoint !== 'disabled')
    throw invalidValue('MetadataOptions.HttpEndpoint', httpEndpoint);
  const tagsOpt = str(md, 'InstanceMetadataTags') ?? 'disabled';
  if (tagsOpt !== 'enabled' && tagsOpt !== 'disabled')
    throw invalidValue('MetadataOptions.InstanceMetadataTags', tagsOpt);
  const hop = md.HttpPutResponseHopLimit === undefined ? 1 : Number(md.HttpPutResponseHopLimit);
  if (!Number.isInteger(hop) || hop < 1 || hop > 64)
    throw invalidValue('MetadataOptions.HttpPutResponseHopLimit', hop);

  let rootVolumeSize = 8;
  const bdms = Array.isArray(data.BlockDeviceMappings) ? (data.BlockDeviceMappings as Data[]) : [];
  for (const b of bdms) {
    const ebs = (b.Ebs ?? {}) as Data;
    if (ebs.VolumeSize !== undefined) {
      const size = Number(ebs.VolumeSize);
      if (!Number.isInteger(size) || size < 1 || size > 16384)
        throw invalidValue('BlockDeviceMapping.Ebs.VolumeSize', ebs.VolumeSize);
      if (b.DeviceName === '/dev/xvda' || b.DeviceName === '/dev/sda1' || bdms.length === 1)
        rootVolumeSize = size;
    }
  }

  const profileSpec = data.IamInstanceProfile as Data | undefined;
  const profile =
    profileSpec && (profileSpec.Arn || profileSpec.Name)
      ? resolveProfile(call, cloud, profileSpec)
      : undefined;

  const tags = readTagSpecifications(data, LAUNCH_TAG_TYPES);
  return {
    imageId,
    instanceType,
    architecture: info.ProcessorInfo.SupportedArchitectures[0] ?? 'x86_64',
    subnet,
    groups,
    keyName: str(data, 'KeyName'),
    userData,
    shutdownBehavior: shutdown,
    disableApiTermination: data.DisableApiTermination === true,
    ebsOptimized: data.EbsOptimized === true || info.EbsInfo?.EbsOptimizedSupport === 'default',
    profile,
    metadata: {
      httpTokens,
      httpEndpoint,
      httpPutResponseHopLimit: hop,
      instanceMetadataTags: tagsOpt,
    },
    rootVolumeSize,
    tags,
    launchTemplate: template,
    fromTemplate,
  };
}

/**
 * The checks EC2 makes for ec2:RunInstances (per the service authorization reference: the
 * instance, subnet, security groups, network interface, volume, image, launch template and
 * key pair), the implicit ec2:CreateTags for tags applied at launch, and iam:PassRole.
 */
export function launchChecks(
  call: Call,
  state: Ec2State,
  plan: LaunchPlan,
  createAction: string,
): ResourceCheck[] {
  const vpcArn = ec2Arn(call, 'vpc', plan.subnet.vpcId);
  const subnetArn = ec2Arn(call, 'subnet', plan.subnet.subnetId);
  const zone = plan.subnet.availabilityZone;
  const lt = plan.launchTemplate
    ? {
        'ec2:LaunchTemplate': ec2Arn(
          call,
          'launch-template',
          plan.launchTemplate.record.launchTemplateId,
        ),
      }
    : {};
  const fromLt = (member: string) =>
    plan.launchTemplate
      ? { 'ec2:IsLaunchTemplateResource': String(plan.fromTemplate.has(member)) }
      : {};
  const action = 'ec2:RunInstances';
  const instanceArn = ec2Arn(call, 'instance', '*');
  const volumeArn = ec2Arn(call, 'volume', '*');
  const eniArn = ec2Arn(call, 'network-interface', '*');
  const checks: ResourceCheck[] = [
    {
      action,
      arn: instanceArn,
      context: {
        ...requestTagContext(plan.tags.instance),
        'ec2:InstanceType': plan.instanceType,
        'ec2:AvailabilityZone': zone,
        'ec2:MetadataHttpTokens': plan.metadata.httpTokens,
        'ec2:MetadataHttpEndpoint': plan.metadata.httpEndpoint,
        'ec2:MetadataHttpPutResponseHopLimit': String(plan.metadata.httpPutResponseHopLimit),
        'ec2:InstanceMetadataTags': plan.metadata.instanceMetadataTags,
        'ec2:RootDeviceType': 'ebs',
        'ec2:Tenancy': 'default',
        'ec2:EbsOptimized': String(plan.ebsOptimized),
        'ec2:InstanceMarketType': 'on-demand',
        ...(plan.profile ? { 'ec2:InstanceProfile': plan.profile.arn } : {}),
        ...lt,
        ...fromLt('InstanceType'),
      },
    },
    {
      action,
      arn: subnetArn,
      context: {
        ...resourceTagContext(state.tags[plan.subnet.subnetId]),
        'ec2:SubnetID': plan.subnet.subnetId,
        'ec2:Vpc': vpcArn,
        'ec2:AvailabilityZone': zone,
        ...lt,
        ...fromLt(plan.fromTemplate.has('NetworkInterfaces') ? 'NetworkInterfaces' : 'SubnetId'),
      },
    },
    ...plan.groups.map((g) => ({
      action,
      arn: ec2Arn(call, 'security-group', g.groupId),
      context: {
        ...resourceTagContext(state.tags[g.groupId]),
        'ec2:SecurityGroupID': g.groupId,
        'ec2:Vpc': vpcArn,
        ...lt,
        ...fromLt('SecurityGroupIds'),
      },
    })),
    {
      action,
      arn: eniArn,
      context: {
        ...requestTagContext(plan.tags['network-interface']),
        'ec2:Subnet': subnetArn,
        'ec2:Vpc': vpcArn,
        'ec2:AvailabilityZone': zone,
        ...lt,
      },
    },
    {
      action,
      arn: volumeArn,
      context: {
        ...requestTagContext(plan.tags.volume),
        'ec2:AvailabilityZone': zone,
        'ec2:VolumeSize': String(plan.rootVolumeSize),
        'ec2:VolumeType': 'gp3',
        'ec2:Encrypted': 'false',
        ...lt,
      },
    },
    {
      action,
      arn: imageArn(call, plan.imageId),
      context: {
        'ec2:ImageID': plan.imageId,
        'ec2:RootDeviceType': 'ebs',
        'ec2:Public': 'true',
        ...lt,
        ...fromLt('ImageId'),
      },
    },
  ];
  if (plan.launchTemplate) {
    const id = plan.launchTemplate.record.launchTemplateId;
    checks.push({
      action,
      arn: ec2Arn(call, 'launch-template', id),
      context: { ...resourceTagContext(state.tags[id]), ...lt },
    });
  }
  if (plan.keyName) {
    checks.push({
      action,
      arn: ec2Arn(call, 'key-pair', plan.keyName),
      context: { 'ec2:KeyPairName': plan.keyName, ...lt },
    });
  }
  checks.push(
    ...createTagsCheck(instanceArn, plan.tags.instance, createAction),
    ...createTagsCheck(volumeArn, plan.tags.volume, createAction),
    ...createTagsCheck(eniArn, plan.tags['network-interface'], createAction),
  );
  if (plan.profile?.roleArn) {
    checks.push({
      action: 'iam:PassRole',
      arn: plan.profile.roleArn,
      context: { 'iam:PassedToService': 'ec2.amazonaws.com' },
    });
  }
  return checks;
}

const FLEET_RESOURCE_TYPES = ['instance', 'subnet', 'image', 'volume', 'launch-template'];

/**
 * The ec2:CreateFleet checks for one pool: the RunInstances checks on the resource types
 * CreateFleet covers (instance, subnet, image, volume, launch template), same condition keys.
 */
export function createFleetChecks(call: Call, state: Ec2State, plan: LaunchPlan): ResourceCheck[] {
  return launchChecks(call, state, plan, 'CreateFleet')
    .filter((c) => c.action === 'ec2:RunInstances')
    .filter((c) => FLEET_RESOURCE_TYPES.includes(c.arn.split(':')[5]?.split('/')[0] ?? ''))
    .map((c) => ({ ...c, action: 'ec2:CreateFleet' }));
}

/** Creates `count` instances of a plan (all in pending) and returns them. */
export function createInstances(
  call: Call,
  cloud: Cloud,
  runtime: Ec2Runtime,
  state: Ec2State,
  plan: LaunchPlan,
  count: number,
  meta: { reservationId: string; clientToken?: string; fleetId?: string },
): InstanceRecord[] {
  const now = cloud.now();
  const extraBoot = bootDelayMs(cloud);
  const out: InstanceRecord[] = [];
  for (let i = 0; i < count; i++) {
    const instanceId = newId('i');
    const ip = allocateAddress(cloud, instanceId);
    const mac = `02:${Array.from({ length: 5 }, () =>
      Math.floor(Math.random() * 256)
        .toString(16)
        .padStart(2, '0'),
    ).join(':')}`;
    const inst: InstanceRecord = {
      instanceId,
      reservationId: meta.reservationId,
      imageId: plan.imageId,
      instanceType: plan.instanceType,
      architecture: plan.architecture,
      subnetId: plan.subnet.subnetId,
      vpcId: plan.subnet.vpcId,
      availabilityZone: plan.subnet.availabilityZone,
      privateIpAddress: ip,
      publicIpAddress: ip,
      securityGroups: plan.groups.map((g) => ({ groupId: g.groupId, groupName: g.groupName })),
      keyName: plan.keyName,
      launchTime: now,
      amiLaunchIndex: i,
      state: 'pending',
      transitionAt: now + runtime.timings.pendingMs + extraBoot,
      stateTransitionReason: '',
      userData: plan.userData,
      shutdownBehavior: plan.shutdownBehavior,
      disableApiTermination: plan.disableApiTermination,
      iamInstanceProfile: plan.profile
        ? {
            arn: plan.profile.arn,
            id: plan.profile.id,
            roleArn: plan.profile.roleArn,
            roleName: plan.profile.roleName,
          }
        : undefined,
      metadataOptions: { ...plan.metadata },
      clientToken: meta.clientToken,
      rootVolume: {
        volumeId: newId('vol'),
        deviceName: '/dev/xvda',
        sizeGiB: plan.rootVolumeSize,
        attachTime: now,
      },
      networkInterfaceId: newId('eni'),
      macAddress: mac,
      ebsOptimized: plan.ebsOptimized,
      launchTemplate: plan.launchTemplate
        ? {
            launchTemplateId: plan.launchTemplate.record.launchTemplateId,
            version: String(plan.launchTemplate.version),
          }
        : undefined,
      fleetId: meta.fleetId,
    };
    state.instances[instanceId] = inst;
    const instanceTags = { ...plan.tags.instance };
    if (plan.launchTemplate) {
      // EC2 tags instances launched from a template with the template's id and version.
      instanceTags['aws:ec2launchtemplate:id'] = plan.launchTemplate.record.launchTemplateId;
      instanceTags['aws:ec2launchtemplate:version'] = String(plan.launchTemplate.version);
    }
    if (meta.fleetId) instanceTags['aws:ec2:fleet-id'] = meta.fleetId;
    if (Object.keys(instanceTags).length > 0) state.tags[instanceId] = instanceTags;
    if (plan.tags.volume) state.tags[inst.rootVolume.volumeId] = { ...plan.tags.volume };
    if (plan.tags['network-interface'])
      state.tags[inst.networkInterfaceId] = { ...plan.tags['network-interface'] };
    out.push(inst);
  }
  for (const inst of out)
    runtime.instanceChanged(call.caller.accountId, call.region, inst.instanceId);
  return out;
}
