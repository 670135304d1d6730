/**
 * What EC2 shows of a workspace's ferry resources: one tag-filtered, paged
 * DescribeInstances (never one call per cluster), and likewise the fleets and launch
 * templates. The answers are the `@ferry/core` shapes the reconcile and reap planners read,
 * with the few extra facts the executors record (type, zone, address).
 */
import type {
  DescribeFleetsCommandOutput,
  DescribeInstancesCommandOutput,
  DescribeLaunchTemplatesCommandOutput,
  EC2Client,
  Filter,
  Instance,
} from '@aws-sdk/client-ec2';
import {
  FERRY_TAGS,
  type ObservedFleet,
  type ObservedInstance,
  type ObservedLaunchTemplate,
} from '@ferry/core';
import { loadEc2Sdk } from '../aws/ec2-sdk.ts';
import { abortable, allPages, retryEc2, type SendOptions } from './ec2-retry.ts';

/** An instance as observed, with what a node record needs. */
export interface ObservedEc2Instance extends ObservedInstance {
  readonly instanceType: string;
  readonly availabilityZone?: string;
  readonly privateIp?: string;
  readonly publicIp?: string;
}

/** The filters selecting ferry's resources of a workspace (and of one cluster, if given). */
export function ferryFilters(workspaceId: string, clusterId?: string): Filter[] {
  return [
    { Name: `tag:${FERRY_TAGS.managed}`, Values: ['true'] },
    { Name: `tag:${FERRY_TAGS.workspace}`, Values: [workspaceId] },
    ...(clusterId !== undefined
      ? [{ Name: `tag:${FERRY_TAGS.cluster}`, Values: [clusterId] }]
      : []),
  ];
}

function tagRecord(
  tags: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
}

/** One SDK Instance as an observation. */
export function observedInstance(i: Instance): ObservedEc2Instance {
  return {
    instanceId: i.InstanceId ?? '',
    state: i.State?.Name ?? 'unknown',
    tags: tagRecord(i.Tags),
    launchTime: i.LaunchTime?.getTime() ?? 0,
    instanceType: i.InstanceType ?? '',
    ...(i.Placement?.AvailabilityZone ? { availabilityZone: i.Placement.AvailabilityZone } : {}),
    ...(i.PrivateIpAddress ? { privateIp: i.PrivateIpAddress } : {}),
    ...(i.PublicIpAddress ? { publicIp: i.PublicIpAddress } : {}),
  };
}

/** Every ferry instance of the workspace (or of one cluster), in any state, in as few pages as EC2 allows. */
export async function observeInstances(
  ec2: EC2Client,
  workspaceId: string,
  options: SendOptions & { readonly clusterId?: string } = {},
): Promise<ObservedEc2Instance[]> {
  const filters = ferryFilters(workspaceId, options.clusterId);
  const { DescribeInstancesCommand } = await loadEc2Sdk();
  const reservations = await allPages(
    (NextToken) =>
      retryEc2<DescribeInstancesCommandOutput>(
        (signal) =>
          ec2.send(
            new DescribeInstancesCommand({
              Filters: filters,
              MaxResults: 1000,
              ...(NextToken ? { NextToken } : {}),
            }),
            abortable(signal),
          ),
        options,
      ),
    (p) => p.Reservations,
  );
  return reservations.flatMap((r) => (r.Instances ?? []).map(observedInstance));
}

/** The given instances by id (one call), for their addresses and states. */
export async function describeInstancesById(
  ec2: EC2Client,
  instanceIds: readonly string[],
  options: SendOptions = {},
): Promise<ObservedEc2Instance[]> {
  if (instanceIds.length === 0) return [];
  const { DescribeInstancesCommand } = await loadEc2Sdk();
  const out = await retryEc2(
    (signal) =>
      ec2.send(new DescribeInstancesCommand({ InstanceIds: [...instanceIds] }), abortable(signal)),
    options,
  );
  return (out.Reservations ?? []).flatMap((r) => (r.Instances ?? []).map(observedInstance));
}

/**
 * The workspace's ferry fleets not yet deleted. DescribeFleets has no documented tag filter,
 * so the state is filtered by EC2 and the tags here.
 */
export async function observeFleets(
  ec2: EC2Client,
  workspaceId: string,
  options: SendOptions = {},
): Promise<ObservedFleet[]> {
  const { DescribeFleetsCommand } = await loadEc2Sdk();
  const fleets = await allPages(
    (NextToken) =>
      retryEc2<DescribeFleetsCommandOutput>(
        (signal) =>
          ec2.send(
            new DescribeFleetsCommand({
              Filters: [{ Name: 'fleet-state', Values: ['submitted', 'active', 'modifying'] }],
              MaxResults: 1000,
              ...(NextToken ? { NextToken } : {}),
            }),
            abortable(signal),
          ),
        options,
      ),
    (p) => p.Fleets,
  );
  return fleets
    .map((f) => ({
      fleetId: f.FleetId ?? '',
      state: f.FleetState ?? 'unknown',
      tags: tagRecord(f.Tags),
      createTime: f.CreateTime?.getTime() ?? 0,
    }))
    .filter(
      (f) => f.tags[FERRY_TAGS.managed] === 'true' && f.tags[FERRY_TAGS.workspace] === workspaceId,
    );
}

/** The workspace's ferry launch templates (tag-filtered, paged). */
export async function observeLaunchTemplates(
  ec2: EC2Client,
  workspaceId: string,
  options: SendOptions = {},
): Promise<ObservedLaunchTemplate[]> {
  const { DescribeLaunchTemplatesCommand } = await loadEc2Sdk();
  const templates = await allPages(
    (NextToken) =>
      retryEc2<DescribeLaunchTemplatesCommandOutput>(
        (signal) =>
          ec2.send(
            new DescribeLaunchTemplatesCommand({
              Filters: ferryFilters(workspaceId),
              MaxResults: 200,
              ...(NextToken ? { NextToken } : {}),
            }),
            abortable(signal),
          ),
        options,
      ),
    (p) => p.LaunchTemplates,
  );
  return templates.map((t) => ({
    launchTemplateId: t.LaunchTemplateId ?? '',
    tags: tagRecord(t.Tags),
    createTime: t.CreateTime?.getTime() ?? 0,
  }));
}
