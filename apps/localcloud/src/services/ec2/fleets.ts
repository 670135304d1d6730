/** EC2 Fleet (type instant): CreateFleet with overrides and per-pool errors, DescribeFleets, DeleteFleets. */
import { randomUUID } from 'node:crypto';
import { checkCapacity } from './capacity.ts';
import { AwsError } from '../../core/contract.ts';
import type { Call, Cloud } from '../../core/contract.ts';
import {
  authorizeAll,
  ec2Arn,
  isDryRun,
  requestTagContext,
  resourceTagContext,
  type ResourceCheck,
} from './authorize.ts';
import { ec2Error, missing, optStrings } from './errors.ts';
import { matchesFilters, readFilters, tagFilterValues } from './filters.ts';
import { newId } from './ids.ts';
import { recall, remember } from './idempotency.ts';
import {
  createFleetChecks,
  createInstances,
  launchChecks,
  mergeWithTemplate,
  planLaunch,
  type LaunchPlan,
} from './launch.ts';
import { findLaunchTemplate } from './launch-templates.ts';
import { REASONS, beginTermination } from './lifecycle.ts';
import { paginate } from './pagination.ts';
import { estimatedPrice } from './prices.ts';
import type { Ec2Runtime } from './runtime.ts';
import type { Ec2State, FleetRecord } from './state.ts';
import { createTagsCheck, readTagSpecifications, tagListOrUndefined } from './tags.ts';

type Out = Promise<Record<string, unknown>>;
type Data = Record<string, unknown>;

interface Pool {
  order: number;
  spec: { LaunchTemplateId: string; LaunchTemplateName: string; Version: string };
  overrides: Data;
  priority: number;
  weight: number;
  template: ReturnType<typeof mergeWithTemplate>;
}

const OVERRIDE_MEMBERS = ['InstanceType', 'SubnetId', 'ImageId'];

function overridden(
  state: Ec2State,
  input: Data,
  spec: Data,
  o: Data,
): ReturnType<typeof mergeWithTemplate> {
  const merged = mergeWithTemplate(state, {}, spec);
  const data = { ...merged.data };
  for (const k of OVERRIDE_MEMBERS) {
    if (typeof o[k] === 'string') {
      data[k] = o[k];
      merged.fromTemplate.delete(k);
    }
  }
  const zone =
    typeof o.AvailabilityZone === 'string'
      ? o.AvailabilityZone
      : (o.Placement as Data | undefined)?.AvailabilityZone;
  if (typeof zone === 'string') {
    data.Placement = { ...(data.Placement as Data | undefined), AvailabilityZone: zone };
  }
  if (typeof o.SubnetId === 'string' && Array.isArray(data.NetworkInterfaces)) {
    data.NetworkInterfaces = (data.NetworkInterfaces as Data[]).map((n) =>
      n.DeviceIndex === undefined || Number(n.DeviceIndex) === 0
        ? { ...n, SubnetId: o.SubnetId }
        : n,
    );
  }
  if (Array.isArray(o.BlockDeviceMappings)) data.BlockDeviceMappings = o.BlockDeviceMappings;
  // CreateFleet's own instance/volume tags (instant fleets only) add to the template's.
  const fleetTags = readTagSpecifications(input, [
    'fleet',
    'instance',
    'volume',
    'network-interface',
  ]);
  const specs = new Map<string, Record<string, string>>();
  for (const s of (data.TagSpecifications as
    { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] }[] | undefined) ?? []) {
    if (!s.ResourceType) continue;
    const m: Record<string, string> = {};
    for (const t of s.Tags ?? []) if (t.Key) m[t.Key] = t.Value ?? '';
    specs.set(s.ResourceType, m);
  }
  for (const type of ['instance', 'volume', 'network-interface']) {
    const extra = fleetTags[type];
    if (extra) specs.set(type, { ...specs.get(type), ...extra });
  }
  data.TagSpecifications = [...specs.entries()].map(([ResourceType, tags]) => ({
    ResourceType,
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  }));
  return { ...merged, data };
}

function pools(state: Ec2State, input: Data): Pool[] {
  const configs = input.LaunchTemplateConfigs;
  if (!Array.isArray(configs) || configs.length === 0) throw missing('LaunchTemplateConfigs');
  if (configs.length > 50)
    throw ec2Error(
      'InvalidParameterValue',
      'At most 50 launch template configurations are allowed.',
    );
  const out: Pool[] = [];
  for (const c of configs as Data[]) {
    const spec = (c.LaunchTemplateSpecification ?? {}) as Data;
    if (typeof spec.Version !== 'string' || spec.Version === '') {
      throw missing('LaunchTemplateConfigs.LaunchTemplateSpecification.Version');
    }
    const t = findLaunchTemplate(state, spec);
    const overrides =
      Array.isArray(c.Overrides) && c.Overrides.length > 0 ? (c.Overrides as Data[]) : [{}];
    for (const o of overrides) {
      out.push({
        order: out.length,
        spec: {
          LaunchTemplateId: t.launchTemplateId,
          LaunchTemplateName: t.launchTemplateName,
          Version: spec.Version,
        },
        overrides: o,
        priority: o.Priority === undefined ? Number.POSITIVE_INFINITY : Number(o.Priority),
        weight: o.WeightedCapacity === undefined ? 1 : Number(o.WeightedCapacity),
        template: overridden(state, input, spec, o),
      });
    }
  }
  return out;
}

function overridesShape(o: Data, plan?: LaunchPlan): Data {
  const out: Data = {};
  for (const k of [
    'InstanceType',
    'SubnetId',
    'AvailabilityZone',
    'ImageId',
    'MaxPrice',
    'WeightedCapacity',
    'Priority',
  ]) {
    if (o[k] !== undefined) out[k] = o[k];
  }
  if (plan && out.InstanceType === undefined) out.InstanceType = plan.instanceType;
  return out;
}

function fleetShape(state: Ec2State, f: FleetRecord): Data {
  let fleetState: string = f.state;
  if (f.state === 'deleted_terminating') {
    const alive = f.instances
      .flatMap((x) => x.instanceIds)
      .some((id) => {
        const i = state.instances[id];
        return i && i.state !== 'terminated';
      });
    if (!alive) fleetState = 'deleted';
  }
  return {
    FleetId: f.fleetId,
    FleetState: fleetState,
    Type: f.type,
    CreateTime: new Date(f.createdAt),
    ClientToken: f.clientToken,
    ActivityStatus:
      f.fulfilled >= Number(f.targetCapacity.TotalTargetCapacity ?? 0) ? 'fulfilled' : 'error',
    FulfilledCapacity: f.fulfilled,
    FulfilledOnDemandCapacity: f.fulfilled,
    ExcessCapacityTerminationPolicy: 'termination',
    TerminateInstancesWithExpiration: false,
    ReplaceUnhealthyInstances: false,
    TargetCapacitySpecification: f.targetCapacity,
    OnDemandOptions: f.onDemandOptions ?? { AllocationStrategy: 'lowestPrice' },
    LaunchTemplateConfigs: f.launchTemplateConfigs,
    Tags: tagListOrUndefined(state.tags[f.fleetId]),
    Errors: f.errors.map((e) => ({
      LaunchTemplateAndOverrides: e.launchTemplateAndOverrides,
      Lifecycle: 'on-demand',
      ErrorCode: e.errorCode,
      ErrorMessage: e.errorMessage,
    })),
    Instances: f.instances.map((x) => ({
      LaunchTemplateAndOverrides: x.launchTemplateAndOverrides,
      Lifecycle: 'on-demand',
      InstanceIds: x.instanceIds,
      InstanceType: x.instanceType,
    })),
  };
}

function createResult(f: FleetRecord): Data {
  return {
    FleetId: f.fleetId,
    Errors: f.errors.map((e) => ({
      LaunchTemplateAndOverrides: e.launchTemplateAndOverrides,
      Lifecycle: 'on-demand',
      ErrorCode: e.errorCode,
      ErrorMessage: e.errorMessage,
    })),
    Instances: f.instances.map((x) => ({
      LaunchTemplateAndOverrides: x.launchTemplateAndOverrides,
      Lifecycle: 'on-demand',
      InstanceIds: x.instanceIds,
      InstanceType: x.instanceType,
    })),
  };
}

/** Errors that end the whole call rather than one pool (throttling, service faults). */
const CALL_FATAL = new Set([
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'Unavailable',
  'InternalError',
  'InternalFailure',
  'ServiceFailure',
]);

function isCallFatal(e: AwsError): boolean {
  return CALL_FATAL.has(e.code);
}

export function createFleet(runtime: Ec2Runtime) {
  return (call: Call, cloud: Cloud, state: Ec2State): Out => {
    const input = call.input;
    const type = typeof input.Type === 'string' ? input.Type : 'maintain';
    if (type !== 'instant') {
      throw ec2Error(
        'InvalidParameterValue',
        `Value (${type}) for parameter Type is invalid. localcloud supports instant fleets only.`,
      );
    }
    const target = input.TargetCapacitySpecification as Data | undefined;
    if (!target || target.TotalTargetCapacity === undefined)
      throw missing('TargetCapacitySpecification.TotalTargetCapacity');
    const total = Number(target.TotalTargetCapacity);
    if (!Number.isInteger(total) || total < 1 || total > 1000) {
      throw ec2Error(
        'InvalidParameterValue',
        `Value (${JSON.stringify(target.TotalTargetCapacity)}) for parameter TotalTargetCapacity is invalid.`,
      );
    }
    const now = cloud.now();
    const previous = recall<{ fleetId: string }>(state, call, now);
    const prior = previous && state.fleets[previous.fleetId];
    if (prior) {
      // A replay is still a request of this caller: it must be allowed to create the fleet.
      const tags = readTagSpecifications(input, [
        'fleet',
        'instance',
        'volume',
        'network-interface',
      ]).fleet;
      authorizeAll(call, cloud, [
        { arn: ec2Arn(call, 'fleet', '*'), context: requestTagContext(tags) },
      ]);
      return Promise.resolve(createResult(prior));
    }

    const fleetTags = readTagSpecifications(input, [
      'fleet',
      'instance',
      'volume',
      'network-interface',
    ]).fleet;
    const candidates = pools(state, input);
    const fleetArn = ec2Arn(call, 'fleet', '*');
    const fleetChecks: ResourceCheck[] = [
      { arn: fleetArn, context: requestTagContext(fleetTags) },
      ...[...new Set(candidates.map((p) => p.spec.LaunchTemplateId))].map((id) => ({
        arn: ec2Arn(call, 'launch-template', id),
        context: resourceTagContext(state.tags[id]),
      })),
      ...createTagsCheck(fleetArn, fleetTags, 'CreateFleet'),
    ];

    // Plan every pool; a pool whose plan fails becomes an Errors entry, as EC2 reports it.
    const planned: { pool: Pool; plan?: LaunchPlan; error?: AwsError }[] = [];
    for (const pool of candidates) {
      try {
        const plan = planLaunch(
          call,
          cloud,
          state,
          pool.template.data,
          pool.template.template,
          pool.template.fromTemplate,
        );
        planned.push({ pool, plan });
      } catch (e) {
        if (!(e instanceof AwsError) || isCallFatal(e)) throw e;
        planned.push({ pool, error: e });
      }
    }

    // ec2:CreateFleet itself is authorized on the instance, subnet, image, volume and launch
    // template of every pool (the resource types the authorization reference lists for it).
    for (const p of planned)
      if (p.plan) fleetChecks.push(...createFleetChecks(call, state, p.plan));

    if (isDryRun(call)) {
      const checks = [...fleetChecks];
      for (const p of planned)
        if (p.plan) checks.push(...launchChecks(call, state, p.plan, 'RunInstances'));
      authorizeAll(call, cloud, checks);
    }
    authorizeAll(call, cloud, fleetChecks);

    const od = (input.OnDemandOptions ?? {}) as Data;
    const strategy =
      typeof od.AllocationStrategy === 'string' ? od.AllocationStrategy : 'lowest-price';
    const ordered = [...planned].sort((a, b) => {
      if (strategy === 'prioritized')
        return a.pool.priority - b.pool.priority || a.pool.order - b.pool.order;
      const pa = a.plan ? estimatedPrice(a.plan.instanceType) : Number.POSITIVE_INFINITY;
      const pb = b.plan ? estimatedPrice(b.plan.instanceType) : Number.POSITIVE_INFINITY;
      return pa - pb || a.pool.order - b.pool.order;
    });

    const fleet: FleetRecord = {
      fleetId: `fleet-${randomUUID()}`,
      type,
      createdAt: now,
      state: 'active',
      clientToken: typeof input.ClientToken === 'string' ? input.ClientToken : undefined,
      launchTemplateConfigs: (input.LaunchTemplateConfigs as unknown[]) ?? [],
      targetCapacity: {
        ...target,
        DefaultTargetCapacityType: target.DefaultTargetCapacityType ?? 'on-demand',
      },
      onDemandOptions: Object.keys(od).length > 0 ? od : undefined,
      instances: [],
      errors: [],
      fulfilled: 0,
    };
    const reservationId = newId('r');
    for (const { pool, plan, error } of ordered) {
      const lto = {
        LaunchTemplateSpecification: pool.spec,
        Overrides: overridesShape(pool.overrides, plan),
      };
      if (error || !plan) {
        const e = error ?? ec2Error('InvalidParameterValue', 'Invalid launch specification');
        fleet.errors.push({
          launchTemplateAndOverrides: lto,
          errorCode: e.code,
          errorMessage: e.message,
        });
        continue;
      }
      if (fleet.fulfilled >= total) continue;
      try {
        authorizeAll(call, cloud, launchChecks(call, state, plan, 'RunInstances'));
        checkCapacity(call, cloud, plan.instanceType, plan.subnet.availabilityZone);
      } catch (e) {
        if (!(e instanceof AwsError) || isCallFatal(e)) throw e;
        fleet.errors.push({
          launchTemplateAndOverrides: lto,
          errorCode: e.code,
          errorMessage: e.message,
        });
        continue;
      }
      const count = Math.ceil((total - fleet.fulfilled) / Math.max(pool.weight, 1e-9));
      const insts = createInstances(call, cloud, runtime, state, plan, count, {
        reservationId,
        fleetId: fleet.fleetId,
      });
      fleet.fulfilled += count * pool.weight;
      fleet.instances.push({
        launchTemplateAndOverrides: lto,
        instanceIds: insts.map((i) => i.instanceId),
        instanceType: plan.instanceType,
      });
    }
    state.fleets[fleet.fleetId] = fleet;
    if (fleetTags) state.tags[fleet.fleetId] = fleetTags;
    remember(state, call, { fleetId: fleet.fleetId }, now);
    return Promise.resolve(createResult(fleet));
  };
}

export function describeFleets(call: Call, cloud: Cloud, state: Ec2State): Out {
  authorizeAll(call, cloud, [{ arn: '*' }]);
  const ids = optStrings(call.input, 'FleetIds');
  for (const id of ids) {
    if (!state.fleets[id])
      throw ec2Error('InvalidFleetId.NotFound', `The fleet ID '${id}' does not exist`);
  }
  const filters = readFilters(call.input);
  const rows = Object.values(state.fleets)
    .filter((f) => ids.length === 0 || ids.includes(f.fleetId))
    .map((f) => fleetShape(state, f))
    .filter((f) =>
      matchesFilters(filters, (name) => {
        const t = tagFilterValues(name, state.tags[f.FleetId as string] ?? {});
        if (t) return t;
        if (name === 'fleet-state') return [f.FleetState as string];
        if (name === 'type') return [f.Type as string];
        if (name === 'activity-status') return [f.ActivityStatus as string];
        if (name === 'excess-capacity-termination-policy') return ['termination'];
        if (name === 'replace-unhealthy-instances') return ['false'];
        return undefined;
      }),
    );
  const { page, nextToken } = paginate(rows, call.input, { min: 1, max: 1000 });
  return Promise.resolve({ Fleets: page, ...(nextToken ? { NextToken: nextToken } : {}) });
}

export function deleteFleets(runtime: Ec2Runtime) {
  return (call: Call, cloud: Cloud, state: Ec2State): Out => {
    const ids = optStrings(call.input, 'FleetIds');
    if (ids.length === 0) throw missing('FleetId');
    if (call.input.TerminateInstances === undefined) throw missing('TerminateInstances');
    const terminate = call.input.TerminateInstances === true;
    // Every id is authorized, found or not (a missing fleet has no tags to match), so a
    // caller without permission gets UnauthorizedOperation rather than per-fleet errors.
    authorizeAll(
      call,
      cloud,
      ids.map((id) => ({
        arn: ec2Arn(call, 'fleet', id),
        context: resourceTagContext(state.tags[id]),
      })),
    );
    const ok: Data[] = [];
    const failed: Data[] = [];
    const now = cloud.now();
    for (const id of ids) {
      const f = state.fleets[id];
      if (!f) {
        const malformed = !/^fleet-[0-9a-f-]{36}$/.test(id);
        failed.push({
          FleetId: id,
          Error: malformed
            ? { Code: 'fleetIdMalformed', Message: `The fleet ID '${id}' is malformed.` }
            : { Code: 'fleetIdDoesNotExist', Message: `The fleet ID '${id}' does not exist.` },
        });
        continue;
      }
      if (f.state !== 'active') {
        failed.push({
          FleetId: id,
          Error: {
            Code: 'fleetNotInDeletableState',
            Message: `The fleet '${id}' is already deleted.`,
          },
        });
        continue;
      }
      if (f.type === 'instant' && !terminate) {
        failed.push({
          FleetId: id,
          Error: {
            Code: 'fleetNotInDeletableState',
            Message: 'An instant fleet can only be deleted with TerminateInstances set to true.',
          },
        });
        continue;
      }
      const previous = f.state;
      f.state = terminate ? 'deleted_terminating' : 'deleted_running';
      if (terminate) {
        for (const instanceId of f.instances.flatMap((x) => x.instanceIds)) {
          const inst = state.instances[instanceId];
          if (
            inst &&
            beginTermination(inst, now, runtime.timings, REASONS.fleetDeleted, 'User initiated')
          ) {
            runtime.instanceChanged(call.caller.accountId, call.region, instanceId);
          }
        }
      }
      ok.push({ FleetId: id, CurrentFleetState: f.state, PreviousFleetState: previous });
    }
    return Promise.resolve({ SuccessfulFleetDeletions: ok, UnsuccessfulFleetDeletions: failed });
  };
}
