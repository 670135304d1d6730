/** Tags: TagSpecifications at creation, CreateTags/DeleteTags/DescribeTags. */
import type { Call, Cloud } from '../../core/contract.ts';
import {
  authorizeAll,
  authorizeChecks,
  ec2Arn,
  endDryRun,
  requestTagContext,
  resourceTagContext,
} from './authorize.ts';
import { ec2Error, missing, optStrings } from './errors.ts';
import { matchesFilters, readFilters } from './filters.ts';
import { resourceTypeOf } from './ids.ts';
import { paginate } from './pagination.ts';
import type { Ec2State } from './state.ts';

export type Tags = Record<string, string>;

interface TagInput {
  Key?: string;
  Value?: string;
}

/** Validates and converts a `Tags` list to a map (keys unique, not `aws:`-prefixed, ≤ 50). */
export function tagsFromList(list: unknown, member = 'Tag'): Tags {
  const out: Tags = {};
  if (!Array.isArray(list)) return out;
  for (const t of list as TagInput[]) {
    const key = t.Key;
    if (typeof key !== 'string' || key === '') {
      throw ec2Error('InvalidParameterValue', `Tag key must not be empty (${member}).`);
    }
    if (key.length > 128) {
      throw ec2Error(
        'InvalidParameterValue',
        `Tag key exceeds the maximum length of 128 characters: ${key}`,
      );
    }
    if (key.toLowerCase().startsWith('aws:')) {
      throw ec2Error(
        'InvalidParameterValue',
        `Tag keys starting with 'aws:' are reserved for internal use: ${key}`,
      );
    }
    const value = t.Value ?? '';
    if (value.length > 256) {
      throw ec2Error(
        'InvalidParameterValue',
        `Tag value exceeds the maximum length of 256 characters for key ${key}`,
      );
    }
    out[key] = value;
  }
  if (Object.keys(out).length > 50) {
    throw ec2Error('TagLimitExceeded', 'The maximum number of tags per resource is 50.');
  }
  return out;
}

/** EC2's `Tags` output list for a resource. */
export function tagList(tags: Tags | undefined): { Key: string; Value: string }[] {
  return Object.entries(tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
}

/** Same as tagList, but absent when there are no tags (EC2 omits empty tagSet). */
export function tagListOrUndefined(
  tags: Tags | undefined,
): { Key: string; Value: string }[] | undefined {
  const l = tagList(tags);
  return l.length > 0 ? l : undefined;
}

/**
 * Reads TagSpecifications: resource type → tags. A type outside `allowed` is rejected as EC2
 * rejects it; a type given twice is rejected too.
 */
export function readTagSpecifications(
  input: Record<string, unknown>,
  allowed: string[],
  member = 'TagSpecifications',
): Record<string, Tags> {
  const raw = input[member];
  const out: Record<string, Tags> = {};
  if (!Array.isArray(raw)) return out;
  for (const spec of raw as { ResourceType?: string; Tags?: unknown }[]) {
    const type = spec.ResourceType;
    if (!type) throw missing(`${member}.ResourceType`);
    if (!allowed.includes(type)) {
      throw ec2Error(
        'InvalidParameterValue',
        `'${type}' is not a valid taggable resource type for this operation.`,
      );
    }
    if (out[type]) {
      throw ec2Error(
        'InvalidParameterValue',
        `The same resource type may not be specified more than once in tag specifications: ${type}`,
      );
    }
    out[type] = tagsFromList(spec.Tags, `${member}.Tags`);
  }
  return out;
}

/**
 * The implicit `ec2:CreateTags` check EC2 makes when tags are applied at creation
 * (`ec2:CreateAction` names the creating action). Nothing to check without tags.
 */
export function createTagsCheck(
  arn: string,
  tags: Tags | undefined,
  createAction: string,
): { action: string; arn: string; context: Record<string, string | string[]> }[] {
  if (!tags || Object.keys(tags).length === 0) return [];
  return [
    {
      action: 'ec2:CreateTags',
      arn,
      context: {
        'ec2:CreateAction': createAction,
        ...(requestTagContext(tags) as Record<string, string | string[]>),
      },
    },
  ];
}

const NOT_FOUND: Record<string, [string, string]> = {
  instance: ['InvalidInstanceID.NotFound', 'instance ID'],
  vpc: ['InvalidVpcID.NotFound', 'vpc ID'],
  subnet: ['InvalidSubnetID.NotFound', 'subnet ID'],
  'security-group': ['InvalidGroup.NotFound', 'security group'],
  'internet-gateway': ['InvalidInternetGatewayID.NotFound', 'internetGateway ID'],
  'route-table': ['InvalidRouteTableID.NotFound', 'routeTable ID'],
  'launch-template': ['InvalidLaunchTemplateId.NotFound', 'launch template ID'],
  fleet: ['InvalidFleetId.NotFound', 'fleet ID'],
  volume: ['InvalidVolume.NotFound', 'volume'],
  'network-interface': ['InvalidNetworkInterfaceID.NotFound', 'network interface'],
};

/** True when `id` names a live resource of this scope. */
export function resourceExists(state: Ec2State, id: string): boolean {
  switch (resourceTypeOf(id)) {
    case 'instance':
      return id in state.instances;
    case 'vpc':
      return id in state.vpcs;
    case 'subnet':
      return id in state.subnets;
    case 'security-group':
      return id in state.securityGroups;
    case 'internet-gateway':
      return id in state.internetGateways;
    case 'route-table':
      return id in state.routeTables;
    case 'launch-template':
      return id in state.launchTemplates;
    case 'fleet':
      return id in state.fleets;
    case 'volume':
      return Object.values(state.instances).some((i) => i.rootVolume.volumeId === id);
    case 'network-interface':
      return Object.values(state.instances).some((i) => i.networkInterfaceId === id);
    default:
      return false;
  }
}

function typeOfTaggable(id: string): string {
  const type = resourceTypeOf(id);
  if (!type) throw ec2Error('InvalidID', `The ID '${id}' is not valid`);
  return type;
}

/** After authorization (a missing id is authorized by its ARN alone): `…NotFound`. */
function assertExists(state: Ec2State, id: string, type: string): void {
  if (!resourceExists(state, id)) {
    const [code, what] = NOT_FOUND[type] ?? ['InvalidID', 'ID'];
    throw ec2Error(code, `The ${what} '${id}' does not exist`);
  }
}

export function createTags(
  call: Call,
  cloud: Cloud,
  state: Ec2State,
): Promise<Record<string, unknown>> {
  const resources = optStrings(call.input, 'Resources');
  if (resources.length === 0) throw missing('ResourceId');
  if (!Array.isArray(call.input.Tags)) throw missing('Tag');
  const tags = tagsFromList(call.input.Tags);
  const types = resources.map(typeOfTaggable);
  authorizeChecks(
    call,
    cloud,
    resources.map((id, i) => ({
      arn: ec2Arn(call, types[i] ?? 'instance', id),
      context: { ...resourceTagContext(state.tags[id]), ...requestTagContext(tags) },
    })),
  );
  resources.forEach((id, i) => assertExists(state, id, types[i] ?? 'instance'));
  endDryRun(call);
  for (const id of resources) {
    const merged = { ...state.tags[id], ...tags };
    if (Object.keys(merged).length > 50) {
      throw ec2Error('TagLimitExceeded', `The maximum number of tags for resource '${id}' is 50.`);
    }
    state.tags[id] = merged;
  }
  return Promise.resolve({});
}

export function deleteTags(
  call: Call,
  cloud: Cloud,
  state: Ec2State,
): Promise<Record<string, unknown>> {
  const resources = optStrings(call.input, 'Resources');
  if (resources.length === 0) throw missing('ResourceId');
  const raw = Array.isArray(call.input.Tags) ? (call.input.Tags as TagInput[]) : [];
  const types = resources.map(typeOfTaggable);
  const keys = raw.map((t) => t.Key).filter((k): k is string => typeof k === 'string');
  authorizeChecks(
    call,
    cloud,
    resources.map((id, i) => ({
      arn: ec2Arn(call, types[i] ?? 'instance', id),
      context: {
        ...resourceTagContext(state.tags[id]),
        ...(keys.length > 0 ? { 'aws:TagKeys': keys } : {}),
      },
    })),
  );
  resources.forEach((id, i) => assertExists(state, id, types[i] ?? 'instance'));
  endDryRun(call);
  for (const id of resources) {
    const current = { ...state.tags[id] };
    if (raw.length === 0) {
      state.tags[id] = {};
      continue;
    }
    for (const t of raw) {
      if (!t.Key) continue;
      // A Value given deletes the tag only when it matches; an empty value means "any".
      if (t.Value === undefined || t.Value === current[t.Key]) delete current[t.Key];
    }
    state.tags[id] = current;
  }
  return Promise.resolve({});
}

export function describeTags(
  call: Call,
  cloud: Cloud,
  state: Ec2State,
): Promise<Record<string, unknown>> {
  authorizeAll(call, cloud, [{ arn: '*' }]);
  const filters = readFilters(call.input);
  const rows: { Key: string; ResourceId: string; ResourceType: string; Value: string }[] = [];
  for (const [id, tags] of Object.entries(state.tags)) {
    if (!resourceExists(state, id)) continue;
    const type = resourceTypeOf(id) ?? 'instance';
    for (const [Key, Value] of Object.entries(tags)) {
      const row = { Key, ResourceId: id, ResourceType: type, Value };
      const ok = matchesFilters(filters, (name) => {
        switch (name) {
          case 'key':
            return [Key];
          case 'value':
            return [Value];
          case 'resource-id':
            return [id];
          case 'resource-type':
            return [type];
          default:
            if (name.startsWith('tag:')) return name.slice(4) === Key ? [Value] : [];
            return undefined;
        }
      });
      if (ok) rows.push(row);
    }
  }
  rows.sort((a, b) => a.ResourceId.localeCompare(b.ResourceId) || a.Key.localeCompare(b.Key));
  const { page, nextToken } = paginate(rows, call.input, { min: 5, max: 1000 });
  return Promise.resolve({ Tags: page, ...(nextToken ? { NextToken: nextToken } : {}) });
}
