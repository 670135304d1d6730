/** RunInstances, DescribeInstances, Terminate/Stop/StartInstances and instance attributes. */
import { AwsError } from '../../core/contract.ts';
import type { Call, Cloud } from '../../core/contract.ts';
import { checkCapacity } from './capacity.ts';
import {
  authorizeAll,
  authorizeChecks,
  ec2Arn,
  endDryRun,
  resourceTagContext,
  type ResourceCheck,
} from './authorize.ts';
import { ec2Error, invalidValue, missing, optStrings, requireString } from './errors.ts';
import { matchesFilters, readFilters, tagFilterValues } from './filters.ts';
import { newId } from './ids.ts';
import { recall, remember } from './idempotency.ts';
import { instanceTypeInfo } from './instance-types.ts';
import { createInstances, launchChecks, mergeWithTemplate, planLaunch } from './launch.ts';
import { REASONS, beginStart, beginStop, beginTermination, stateShape } from './lifecycle.ts';
import { paginate } from './pagination.ts';
import { bootDelayMs, type Ec2Runtime } from './runtime.ts';
import type { Ec2State, InstanceRecord } from './state.ts';
import { tagList } from './tags.ts';

type Out = Promise<Record<string, unknown>>;

function dnsName(ip: string, region: string): string {
  const host = `ip-${ip.replace(/\./g, '-')}`;
  return region === 'us-east-1' ? `${host}.ec2.internal` : `${host}.${region}.compute.internal`;
}

/** EC2's Instance shape for one record. */
export function instanceShape(
  call: Call,
  state: Ec2State,
  i: InstanceRecord,
): Record<string, unknown> {
  const info = instanceTypeInfo(i.instanceType);
  const live = i.state !== 'terminated';
  const hasPublic = live && i.state !== 'stopped' && i.state !== 'stopping' && i.publicIpAddress;
  const groups = i.securityGroups.map((g) => ({ GroupId: g.groupId, GroupName: g.groupName }));
  return {
    InstanceId: i.instanceId,
    ImageId: i.imageId,
    State: stateShape(i.state),
    PrivateDnsName: live ? dnsName(i.privateIpAddress, call.region) : '',
    PublicDnsName: '',
    StateTransitionReason: i.stateTransitionReason,
    KeyName: i.keyName,
    AmiLaunchIndex: i.amiLaunchIndex,
    ProductCodes: [],
    InstanceType: i.instanceType,
    LaunchTime: new Date(i.launchTime),
    Placement: { AvailabilityZone: i.availabilityZone, GroupName: '', Tenancy: 'default' },
    Monitoring: { State: 'disabled' },
    SubnetId: live ? i.subnetId : undefined,
    VpcId: live ? i.vpcId : undefined,
    PrivateIpAddress: live ? i.privateIpAddress : undefined,
    PublicIpAddress: hasPublic ? i.publicIpAddress : undefined,
    StateReason: i.stateReason
      ? { Code: i.stateReason.code, Message: i.stateReason.message }
      : undefined,
    Architecture: i.architecture,
    RootDeviceType: 'ebs',
    RootDeviceName: i.rootVolume.deviceName,
    BlockDeviceMappings: live
      ? [
          {
            DeviceName: i.rootVolume.deviceName,
            Ebs: {
              AttachTime: new Date(i.rootVolume.attachTime),
              DeleteOnTermination: true,
              Status: 'attached',
              VolumeId: i.rootVolume.volumeId,
            },
          },
        ]
      : [],
    VirtualizationType: 'hvm',
    ClientToken: i.clientToken ?? '',
    Tags: tagList(state.tags[i.instanceId]),
    SecurityGroups: live ? groups : [],
    SourceDestCheck: true,
    Hypervisor: 'xen',
    EbsOptimized: i.ebsOptimized,
    EnaSupport: true,
    IamInstanceProfile: i.iamInstanceProfile
      ? { Arn: i.iamInstanceProfile.arn, Id: i.iamInstanceProfile.id }
      : undefined,
    NetworkInterfaces: live
      ? [
          {
            Attachment: {
              AttachTime: new Date(i.launchTime),
              AttachmentId: `eni-attach-${i.networkInterfaceId.slice(4)}`,
              DeleteOnTermination: true,
              DeviceIndex: 0,
              Status: 'attached',
              NetworkCardIndex: 0,
            },
            Description: '',
            Groups: groups,
            Ipv6Addresses: [],
            MacAddress: i.macAddress,
            NetworkInterfaceId: i.networkInterfaceId,
            OwnerId: call.caller.accountId,
            PrivateDnsName: dnsName(i.privateIpAddress, call.region),
            PrivateIpAddress: i.privateIpAddress,
            PrivateIpAddresses: [
              {
                Primary: true,
                PrivateDnsName: dnsName(i.privateIpAddress, call.region),
                PrivateIpAddress: i.privateIpAddress,
                ...(hasPublic
                  ? {
                      Association: {
                        IpOwnerId: 'amazon',
                        PublicDnsName: '',
                        PublicIp: i.publicIpAddress,
                      },
                    }
                  : {}),
              },
            ],
            ...(hasPublic
              ? {
                  Association: {
                    IpOwnerId: 'amazon',
                    PublicDnsName: '',
                    PublicIp: i.publicIpAddress,
                  },
                }
              : {}),
            SourceDestCheck: true,
            Status: 'in-use',
            SubnetId: i.subnetId,
            VpcId: i.vpcId,
            InterfaceType: 'interface',
          },
        ]
      : [],
    CpuOptions: {
      CoreCount: info?.VCpuInfo.DefaultCores ?? 1,
      ThreadsPerCore: info?.VCpuInfo.DefaultThreadsPerCore ?? 1,
    },
    CapacityReservationSpecification: { CapacityReservationPreference: 'open' },
    HibernationOptions: { Configured: false },
    MetadataOptions: {
      State: 'applied',
      HttpTokens: i.metadataOptions.httpTokens,
      HttpPutResponseHopLimit: i.metadataOptions.httpPutResponseHopLimit,
      HttpEndpoint: i.metadataOptions.httpEndpoint,
      HttpProtocolIpv6: 'disabled',
      InstanceMetadataTags: i.metadataOptions.instanceMetadataTags,
    },
    EnclaveOptions: { Enabled: false },
    PlatformDetails: 'Linux/UNIX',
    UsageOperation: 'RunInstances',
    UsageOperationUpdateTime: new Date(i.launchTime),
    PrivateDnsNameOptions: {
      HostnameType: 'ip-name',
      EnableResourceNameDnsARecord: false,
      EnableResourceNameDnsAAAARecord: false,
    },
    MaintenanceOptions: { AutoRecovery: 'default' },
    CurrentInstanceBootMode: 'legacy-bios',
  };
}

function reservationShape(
  call: Call,
  state: Ec2State,
  instances: InstanceRecord[],
): Record<string, unknown> {
  const first = instances[0];
  return {
    ReservationId: first?.reservationId,
    OwnerId: call.caller.accountId,
    ...(first?.requesterId ? { RequesterId: first.requesterId } : {}),
    Groups: [],
    Instances: instances.map((i) => instanceShape(call, state, i)),
  };
}

export function runInstances(runtime: Ec2Runtime) {
  return (call: Call, cloud: Cloud, state: Ec2State): Out => {
    const min = call.input.MinCount;
    const max = call.input.MaxCount;
    if (min === undefined) throw missing('MinCount');
    if (max === undefined) throw missing('MaxCount');
    const minCount = Number(min);
    const maxCount = Number(max);
    if (!Number.isInteger(minCount) || minCount < 1)
      throw invalidValue('MinCount', min, 'Must be at least 1.');
    if (!Number.isInteger(maxCount) || maxCount < minCount) {
      throw ec2Error(
        'InvalidParameterValue',
        `Value (${JSON.stringify(max)}) for parameter MaxCount is invalid. MaxCount must be at least MinCount.`,
      );
    }
    if (minCount > 100) {
      throw ec2Error(
        'InstanceLimitExceeded',
        `You have requested more instances (${minCount}) than your current instance limit of 100 allows.`,
      );
    }
    const now = cloud.now();
    const previous = recall<{ instanceIds: string[] }>(state, call, now);
    if (previous) {
      const insts = previous.instanceIds
        .map((id) => state.instances[id])
        .filter((x): x is InstanceRecord => !!x);
      if (insts.length > 0) {
        // A replay is still a request of this caller: it must be allowed to make it.
        try {
          const m = mergeWithTemplate(
            state,
            call.input,
            call.input.LaunchTemplate as Record<string, unknown> | undefined,
          );
          const again = planLaunch(call, cloud, state, m.data, m.template, m.fromTemplate);
          authorizeAll(call, cloud, launchChecks(call, state, again, 'RunInstances'));
        } catch (e) {
          if (
            e instanceof AwsError &&
            (e.code === 'UnauthorizedOperation' || e.code === 'DryRunOperation')
          )
            throw e;
        }
        return Promise.resolve(reservationShape(call, state, insts));
      }
    }
    const { data, template, fromTemplate } = mergeWithTemplate(
      state,
      call.input,
      call.input.LaunchTemplate as Record<string, unknown> | undefined,
    );
    const plan = planLaunch(call, cloud, state, data, template, fromTemplate);
    authorizeAll(call, cloud, launchChecks(call, state, plan, 'RunInstances'));
    checkCapacity(call, cloud, plan.instanceType, plan.subnet.availabilityZone);
    const count = Math.min(maxCount, 100);
    const insts = createInstances(call, cloud, runtime, state, plan, count, {
      reservationId: newId('r'),
      clientToken: typeof call.input.ClientToken === 'string' ? call.input.ClientToken : undefined,
    });
    remember(state, call, { instanceIds: insts.map((i) => i.instanceId) }, now);
    return Promise.resolve(reservationShape(call, state, insts));
  };
}

function assertWellFormed(ids: string[]): void {
  for (const id of ids) {
    if (!/^i-[0-9a-f]{8}([0-9a-f]{9})?$/.test(id)) {
      throw ec2Error('InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
    }
  }
}

function assertIds(state: Ec2State, ids: string[]): InstanceRecord[] {
  assertWellFormed(ids);
  const missingIds = ids.filter((id) => !state.instances[id]);
  if (missingIds.length === 1) {
    throw ec2Error(
      'InvalidInstanceID.NotFound',
      `The instance ID '${missingIds[0]}' does not exist`,
    );
  }
  if (missingIds.length > 1) {
    throw ec2Error(
      'InvalidInstanceID.NotFound',
      `The instance IDs '${missingIds.join(', ')}' do not exist`,
    );
  }
  return ids.map((id) => state.instances[id] as InstanceRecord);
}

function instanceFilterValues(
  state: Ec2State,
  i: InstanceRecord,
  name: string,
): string[] | undefined {
  const t = tagFilterValues(name, state.tags[i.instanceId] ?? {});
  if (t) return t;
  switch (name) {
    case 'instance-id':
      return [i.instanceId];
    case 'instance-state-name':
      return [i.state];
    case 'instance-state-code':
      return [String(stateShape(i.state).Code)];
    case 'instance-type':
      return [i.instanceType];
    case 'subnet-id':
    case 'network-interface.subnet-id':
      return [i.subnetId];
    case 'vpc-id':
    case 'network-interface.vpc-id':
      return [i.vpcId];
    case 'availability-zone':
      return [i.availabilityZone];
    case 'image-id':
      return [i.imageId];
    case 'private-ip-address':
      return [i.privateIpAddress];
    case 'ip-address':
      return i.publicIpAddress ? [i.publicIpAddress] : [];
    case 'reservation-id':
      return [i.reservationId];
    case 'client-token':
      return i.clientToken ? [i.clientToken] : [];
    case 'iam-instance-profile.arn':
      return i.iamInstanceProfile ? [i.iamInstanceProfile.arn] : [];
    case 'instance.group-id':
    case 'network-interface.group-id':
      return i.securityGroups.map((g) => g.groupId);
    case 'instance.group-name':
      return i.securityGroups.map((g) => g.groupName);
    case 'key-name':
      return i.keyName ? [i.keyName] : [];
    case 'architecture':
      return [i.architecture];
    case 'launch-time':
      return [new Date(i.launchTime).toISOString()];
    case 'owner-id':
      return [];
    case 'state-reason-code':
      return i.stateReason ? [i.stateReason.code] : [];
    case 'metadata-options.http-tokens':
      return [i.metadataOptions.httpTokens];
    default:
      return undefined;
  }
}

export function describeInstances(call: Call, cloud: Cloud, state: Ec2State): Out {
  authorizeAll(call, cloud, [{ arn: '*' }]);
  const ids = optStrings(call.input, 'InstanceIds');
  if (ids.length > 0 && call.input.MaxResults !== undefined) {
    throw ec2Error(
      'InvalidParameterCombination',
      'The parameter instancesSet cannot be used with the parameter maxResults',
    );
  }
  assertIds(state, ids);
  const filters = readFilters(call.input);
  const owner = call.caller.accountId;
  const matched = Object.values(state.instances)
    .filter((i) => ids.length === 0 || ids.includes(i.instanceId))
    .filter((i) =>
      matchesFilters(filters, (name) =>
        name === 'owner-id' ? [owner] : instanceFilterValues(state, i, name),
      ),
    )
    .sort((a, b) => a.launchTime - b.launchTime || a.instanceId.localeCompare(b.instanceId));
  const { page, nextToken } = paginate(matched, call.input, { min: 5, max: 1000 });
  const byReservation = new Map<string, InstanceRecord[]>();
  for (const i of page)
    byReservation.set(i.reservationId, [...(byReservation.get(i.reservationId) ?? []), i]);
  return Promise.resolve({
    Reservations: [...byReservation.values()].map((insts) => reservationShape(call, state, insts)),
    ...(nextToken ? { NextToken: nextToken } : {}),
  });
}

/** The ec2:<Action> check on an existing instance, with its resource tags and facts. */
export function instanceCheck(
  call: Call,
  state: Ec2State,
  i: InstanceRecord,
  action?: string,
): ResourceCheck {
  return {
    ...(action ? { action } : {}),
    arn: ec2Arn(call, 'instance', i.instanceId),
    context: {
      ...resourceTagContext(state.tags[i.instanceId]),
      'ec2:InstanceID': i.instanceId,
      'ec2:InstanceType': i.instanceType,
      'ec2:AvailabilityZone': i.availabilityZone,
      'ec2:RootDeviceType': 'ebs',
      'ec2:Tenancy': 'default',
      'ec2:MetadataHttpTokens': i.metadataOptions.httpTokens,
      ...(i.iamInstanceProfile ? { 'ec2:InstanceProfile': i.iamInstanceProfile.arn } : {}),
    },
  };
}

/**
 * Authorizes the action on each instance id before looking any up, as EC2 does: a missing or
 * another account's id is checked by its ARN alone (no tags, so tag-scoped policies deny it),
 * and only an authorized caller learns `InvalidInstanceID.NotFound`.
 */
export function authorizedInstances(
  call: Call,
  cloud: Cloud,
  state: Ec2State,
  ids: string[],
): InstanceRecord[] {
  assertWellFormed(ids);
  authorizeChecks(
    call,
    cloud,
    ids.map((id) => {
      const i = state.instances[id];
      return i
        ? instanceCheck(call, state, i)
        : { arn: ec2Arn(call, 'instance', id), context: { 'ec2:InstanceID': id } };
    }),
  );
  return assertIds(state, ids);
}

/** The InstanceIds of a state-change request, authorized and found. */
function requestedInstances(call: Call, cloud: Cloud, state: Ec2State): InstanceRecord[] {
  const ids = optStrings(call.input, 'InstanceIds');
  if (ids.length === 0) throw missing('InstanceId');
  return authorizedInstances(call, cloud, state, ids);
}

function stateChanges(
  call: Call,
  cloud: Cloud,
  runtime: Ec2Runtime,
  insts: InstanceRecord[],
  member: string,
  change: (i: InstanceRecord, now: number) => void,
): Out {
  endDryRun(call);
  const now = cloud.now();
  const rows = insts.map((i) => {
    const previous = stateShape(i.state);
    change(i, now);
    runtime.instanceChanged(call.caller.accountId, call.region, i.instanceId);
    return { InstanceId: i.instanceId, CurrentState: stateShape(i.state), PreviousState: previous };
  });
  return Promise.resolve({ [member]: rows });
}

export function terminateInstances(runtime: Ec2Runtime) {
  return (call: Call, cloud: Cloud, state: Ec2State): Out => {
    const insts = requestedInstances(call, cloud, state);
    for (const i of insts) {
      if (i.disableApiTermination && i.state !== 'terminated') {
        throw ec2Error(
          'OperationNotPermitted',
          `The instance '${i.instanceId}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`,
        );
      }
    }
    return stateChanges(call, cloud, runtime, insts, 'TerminatingInstances', (i, now) => {
      beginTermination(i, now, runtime.timings, REASONS.userShutdown, 'User initiated');
    });
  };
}

export function stopInstances(runtime: Ec2Runtime) {
  return (call: Call, cloud: Cloud, state: Ec2State): Out => {
    const insts = requestedInstances(call, cloud, state);
    for (const i of insts) {
      if (i.state === 'terminated' || i.state === 'shutting-down') {
        throw ec2Error(
          'IncorrectInstanceState',
          `This instance '${i.instanceId}' is not in a state from which it can be stopped.`,
        );
      }
    }
    return stateChanges(call, cloud, runtime, insts, 'StoppingInstances', (i, now) => {
      beginStop(i, now, runtime.timings, REASONS.userShutdown, 'User initiated');
    });
  };
}

export function startInstances(runtime: Ec2Runtime) {
  return (call: Call, cloud: Cloud, state: Ec2State): Out => {
    const insts = requestedInstances(call, cloud, state);
    for (const i of insts) {
      if (i.state === 'terminated' || i.state === 'shutting-down' || i.state === 'stopping') {
        throw ec2Error(
          'IncorrectInstanceState',
          `The instance '${i.instanceId}' is not in a state from which it can be started.`,
        );
      }
    }
    return stateChanges(call, cloud, runtime, insts, 'StartingInstances', (i, now) => {
      beginStart(i, now, runtime.timings, bootDelayMs(cloud));
    });
  };
}

export function describeInstanceStatus(call: Call, cloud: Cloud, state: Ec2State): Out {
  authorizeAll(call, cloud, [{ arn: '*' }]);
  const ids = optStrings(call.input, 'InstanceIds');
  assertIds(state, ids);
  const all = call.input.IncludeAllInstances === true;
  const filters = readFilters(call.input);
  const rows = Object.values(state.instances)
    .filter((i) => ids.length === 0 || ids.includes(i.instanceId))
    .filter((i) => all || i.state === 'running')
    .filter((i) =>
      matchesFilters(filters, (name) => {
        if (name === 'availability-zone') return [i.availabilityZone];
        if (name === 'instance-state-name') return [i.state];
        if (name === 'instance-state-code') return [String(stateShape(i.state).Code)];
        if (name === 'instance-status.status' || name === 'system-status.status') {
          return [i.state === 'running' ? 'ok' : 'not-applicable'];
        }
        return undefined;
      }),
    )
    .map((i) => {
      const status = i.state === 'running' ? 'ok' : 'not-applicable';
      const details = i.state === 'running' ? [{ Name: 'reachability', Status: 'passed' }] : [];
      return {
        InstanceId: i.instanceId,
        AvailabilityZone: i.availabilityZone,
        InstanceState: stateShape(i.state),
        InstanceStatus: { Status: status, Details: details },
        SystemStatus: { Status: status, Details: details },
      };
    });
  const { page, nextToken } = paginate(rows, call.input, { min: 5, max: 1000 });
  return Promise.resolve({
    InstanceStatuses: page,
    ...(nextToken ? { NextToken: nextToken } : {}),
  });
}

export function describeInstanceAttribute(call: Call, cloud: Cloud, state: Ec2State): Out {
  const id = requireString(call.input, 'InstanceId');
  const attribute = requireString(call.input, 'Attribute');
  const [i] = authorizedInstances(call, cloud, state, [id]);
  if (!i) throw missing('InstanceId');
  endDryRun(call);
  const out: Record<string, unknown> = { InstanceId: i.instanceId };
  switch (attribute) {
    case 'instanceType':
      out.InstanceType = { Value: i.instanceType };
      break;
    case 'userData':
      out.UserData = i.userData ? { Value: i.userData } : {};
      break;
    case 'disableApiTermination':
      out.DisableApiTermination = { Value: i.disableApiTermination };
      break;
    case 'instanceInitiatedShutdownBehavior':
      out.InstanceInitiatedShutdownBehavior = { Value: i.shutdownBehavior };
      break;
    case 'groupSet':
      out.Groups = i.securityGroups.map((g) => ({ GroupId: g.groupId, GroupName: g.groupName }));
      break;
    case 'rootDeviceName':
      out.RootDeviceName = { Value: i.rootVolume.deviceName };
      break;
    case 'ebsOptimized':
      out.EbsOptimized = { Value: i.ebsOptimized };
      break;
    default:
      throw invalidValue('Attribute', attribute);
  }
  return Promise.resolve(out);
}

export function modifyInstanceAttribute(call: Call, cloud: Cloud, state: Ec2State): Out {
  const id = requireString(call.input, 'InstanceId');
  const [i] = authorizedInstances(call, cloud, state, [id]);
  if (!i) throw missing('InstanceId');
  endDryRun(call);
  const value = (member: string): unknown =>
    (call.input[member] as { Value?: unknown } | undefined)?.Value;
  const shutdown = value('InstanceInitiatedShutdownBehavior');
  const disable = value('DisableApiTermination');
  const type = value('InstanceType');
  const userData = value('UserData');
  if (shutdown !== undefined) {
    if (shutdown !== 'stop' && shutdown !== 'terminate')
      throw invalidValue('InstanceInitiatedShutdownBehavior', shutdown);
    i.shutdownBehavior = shutdown;
  }
  if (disable !== undefined) i.disableApiTermination = disable === true || disable === 'true';
  if (type !== undefined || userData !== undefined) {
    if (i.state !== 'stopped') {
      throw ec2Error(
        'IncorrectInstanceState',
        `The instance '${i.instanceId}' is not in the 'stopped' state.`,
      );
    }
    if (typeof type === 'string') {
      if (!instanceTypeInfo(type)) throw invalidValue('InstanceType', type);
      i.instanceType = type;
    }
    if (userData !== undefined) {
      i.userData = Buffer.isBuffer(userData)
        ? userData.toString('base64')
        : typeof userData === 'string'
          ? userData
          : '';
    }
  }
  return Promise.resolve({});
}
