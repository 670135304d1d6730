/** Security groups and their rules (ingress and egress), DescribeSecurityGroupRules. */
import type { Call, Cloud } from '../../core/contract.ts';
import { authorizeAll, ec2Arn, requestTagContext, resourceTagContext } from './authorize.ts';
import { parseCidr } from './cidr.ts';
import { ec2Error, missing, notFound, optString, optStrings, requireString } from './errors.ts';
import { matchesFilters, readFilters, tagFilterValues } from './filters.ts';
import { newId } from './ids.ts';
import { paginate } from './pagination.ts';
import type { Ec2State, SecurityGroupRecord, SecurityGroupRuleRecord } from './state.ts';
import { createTagsCheck, readTagSpecifications, tagList, tagListOrUndefined } from './tags.ts';
import { getVpc } from './vpcs.ts';

type Out = Promise<Record<string, unknown>>;

interface IpPermissionInput {
  IpProtocol?: string;
  FromPort?: number;
  ToPort?: number;
  IpRanges?: { CidrIp?: string; Description?: string }[];
  Ipv6Ranges?: { CidrIpv6?: string; Description?: string }[];
  UserIdGroupPairs?: { GroupId?: string; GroupName?: string; Description?: string }[];
  PrefixListIds?: { PrefixListId?: string }[];
}

/** The default VPC's id, if it still exists. */
export function defaultVpcId(state: Ec2State): string | undefined {
  return Object.values(state.vpcs).find((v) => v.isDefault)?.vpcId;
}

/** Looks up a group by id or throws InvalidGroup.NotFound. */
export function getGroup(state: Ec2State, groupId: string): SecurityGroupRecord {
  const g = state.securityGroups[groupId];
  if (!g) throw notFound('InvalidGroup.NotFound', 'security group', groupId);
  return g;
}

/** Resolves a group by name in a VPC (default VPC when omitted), or throws InvalidGroup.NotFound. */
export function groupByName(state: Ec2State, name: string, vpcId?: string): SecurityGroupRecord {
  const vpc = vpcId ?? defaultVpcId(state);
  const g = Object.values(state.securityGroups).find(
    (x) => x.groupName === name && x.vpcId === vpc,
  );
  if (!g) {
    throw ec2Error(
      'InvalidGroup.NotFound',
      `The security group '${name}' does not exist in default VPC '${vpc ?? 'none'}'`,
    );
  }
  return g;
}

function normaliseProtocol(p: string | undefined): string {
  if (p === undefined) throw missing('IpPermissions.IpProtocol');
  const lower = p.toLowerCase();
  if (lower === '-1' || lower === 'all') return '-1';
  if (lower === '6') return 'tcp';
  if (lower === '17') return 'udp';
  if (lower === '1') return 'icmp';
  if (['tcp', 'udp', 'icmp', 'icmpv6'].includes(lower)) return lower;
  if (/^\d+$/.test(lower) && Number(lower) <= 255) return lower;
  throw ec2Error(
    'InvalidParameterValue',
    `Invalid value '${p}' for IP protocol. Unknown protocol.`,
  );
}

function rulesFrom(
  state: Ec2State,
  perms: IpPermissionInput[],
  isEgress: boolean,
): SecurityGroupRuleRecord[] {
  const out: SecurityGroupRuleRecord[] = [];
  for (const p of perms) {
    const ipProtocol = normaliseProtocol(p.IpProtocol);
    const ports = ipProtocol === '-1' ? {} : { fromPort: p.FromPort, toPort: p.ToPort };
    if (
      (ipProtocol === 'tcp' || ipProtocol === 'udp') &&
      (p.FromPort === undefined || p.ToPort === undefined)
    ) {
      throw ec2Error(
        'InvalidParameterValue',
        `Invalid value for portRange. Must specify both from and to ports with TCP/UDP.`,
      );
    }
    if (
      ports.fromPort !== undefined &&
      ports.toPort !== undefined &&
      ports.fromPort > ports.toPort &&
      ipProtocol !== 'icmp'
    ) {
      throw ec2Error(
        'InvalidParameterValue',
        `Invalid value for portRange. From port ${ports.fromPort} is greater than to port ${ports.toPort}.`,
      );
    }
    const base = { isEgress, ipProtocol, ...ports };
    for (const r of p.IpRanges ?? []) {
      if (!r.CidrIp || !parseCidr(r.CidrIp)) {
        throw ec2Error('InvalidParameterValue', `CIDR block ${r.CidrIp ?? ''} is malformed`);
      }
      out.push({ ruleId: newId('sgr'), ...base, cidrIpv4: r.CidrIp, description: r.Description });
    }
    for (const r of p.Ipv6Ranges ?? []) {
      if (!r.CidrIpv6) throw missing('Ipv6Ranges.CidrIpv6');
      out.push({ ruleId: newId('sgr'), ...base, cidrIpv6: r.CidrIpv6, description: r.Description });
    }
    for (const pair of p.UserIdGroupPairs ?? []) {
      const ref = pair.GroupId
        ? getGroup(state, pair.GroupId)
        : pair.GroupName
          ? groupByName(state, pair.GroupName)
          : undefined;
      if (!ref) throw missing('UserIdGroupPairs.GroupId');
      out.push({
        ruleId: newId('sgr'),
        ...base,
        referencedGroupId: ref.groupId,
        description: pair.Description,
      });
    }
    if (
      (p.IpRanges ?? []).length +
        (p.Ipv6Ranges ?? []).length +
        (p.UserIdGroupPairs ?? []).length ===
      0
    ) {
      throw missing('IpPermissions.IpRanges');
    }
  }
  return out;
}

function sameRule(a: SecurityGroupRuleRecord, b: SecurityGroupRuleRecord): boolean {
  return (
    a.isEgress === b.isEgress &&
    a.ipProtocol === b.ipProtocol &&
    a.fromPort === b.fromPort &&
    a.toPort === b.toPort &&
    a.cidrIpv4 === b.cidrIpv4 &&
    a.cidrIpv6 === b.cidrIpv6 &&
    a.referencedGroupId === b.referencedGroupId
  );
}

function describeRule(r: SecurityGroupRuleRecord): string {
  const peer = r.cidrIpv4 ?? r.cidrIpv6 ?? r.referencedGroupId ?? '';
  const proto = r.ipProtocol === '-1' ? 'ALL' : r.ipProtocol.toUpperCase();
  return `peer: ${peer}, ${proto}, from port: ${r.fromPort ?? ''}, to port: ${r.toPort ?? ''}, ALLOW`;
}

function permissionsOf(call: Call, rules: SecurityGroupRuleRecord[]): Record<string, unknown>[] {
  const groups = new Map<string, SecurityGroupRuleRecord[]>();
  for (const r of rules) {
    const key = `${r.ipProtocol}|${r.fromPort ?? ''}|${r.toPort ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((rs) => {
    const first = rs[0] as SecurityGroupRuleRecord;
    return {
      IpProtocol: first.ipProtocol,
      FromPort: first.fromPort,
      ToPort: first.toPort,
      IpRanges: rs
        .filter((r) => r.cidrIpv4)
        .map((r) => ({ CidrIp: r.cidrIpv4, Description: r.description })),
      Ipv6Ranges: rs
        .filter((r) => r.cidrIpv6)
        .map((r) => ({ CidrIpv6: r.cidrIpv6, Description: r.description })),
      PrefixListIds: [],
      UserIdGroupPairs: rs
        .filter((r) => r.referencedGroupId)
        .map((r) => ({
          GroupId: r.referencedGroupId,
          UserId: call.caller.accountId,
          Description: r.description,
        })),
    };
  });
}

function groupShape(call: Call, state: Ec2State, g: SecurityGroupRecord): Record<string, unknown> {
  return {
    GroupId: g.groupId,
    GroupName: g.groupName,
    Description: g.description,
    VpcId: g.vpcId,
    OwnerId: call.caller.accountId,
    SecurityGroupArn: ec2Arn(call, 'security-group', g.groupId),
    IpPermissions: permissionsOf(
      call,
      g.rules.filter((r) => !r.isEgress),
    ),
    IpPermissionsEgress: permissionsOf(
      call,
      g.rules.filter((r) => r.isEgress),
    ),
    Tags: tagListOrUndefined(state.tags[g.groupId]),
  };
}

function ruleShape(
  call: Call,
  state: Ec2State,
  g: SecurityGroupRecord,
  r: SecurityGroupRuleRecord,
): Record<string, unknown> {
  return {
    SecurityGroupRuleId: r.ruleId,
    GroupId: g.groupId,
    GroupOwnerId: call.caller.accountId,
    IsEgress: r.isEgress,
    IpProtocol: r.ipProtocol,
    FromPort: r.fromPort ?? -1,
    ToPort: r.toPort ?? -1,
    CidrIpv4: r.cidrIpv4,
    CidrIpv6: r.cidrIpv6,
    ReferencedGroupInfo: r.referencedGroupId
      ? { GroupId: r.referencedGroupId, UserId: call.caller.accountId }
      : undefined,
    Description: r.description,
    Tags: tagList(state.tags[r.ruleId]),
    SecurityGroupRuleArn: ec2Arn(call, 'security-group-rule', r.ruleId),
  };
}

export function createSecurityGroup(call: Call, cloud: Cloud, state: Ec2State): Out {
  const name = requireString(call.input, 'GroupName');
  const description = requireString(call.input, 'Description');
  const vpcId = optString(call.input, 'VpcId') ?? defaultVpcId(state);
  if (!vpcId) throw ec2Error('VPCIdNotSpecified', 'No default VPC for this user');
  getVpc(state, vpcId);
  if (name.toLowerCase().startsWith('sg-')) {
    throw ec2Error('InvalidParameterValue', `Group names may not be in the format sg-*.`);
  }
  if (name.length > 255 || description.length > 255) {
    throw ec2Error(
      'InvalidParameterValue',
      'GroupName and GroupDescription must be at most 255 characters.',
    );
  }
  const tags = readTagSpecifications(call.input, ['security-group'])['security-group'];
  const arn = ec2Arn(call, 'security-group', '*');
  authorizeAll(call, cloud, [
    { arn, context: requestTagContext(tags) },
    { arn: ec2Arn(call, 'vpc', vpcId), context: resourceTagContext(state.tags[vpcId]) },
    ...createTagsCheck(arn, tags, 'CreateSecurityGroup'),
  ]);
  if (Object.values(state.securityGroups).some((g) => g.vpcId === vpcId && g.groupName === name)) {
    throw ec2Error(
      'InvalidGroup.Duplicate',
      `The security group '${name}' already exists for VPC '${vpcId}'`,
    );
  }
  const g: SecurityGroupRecord = {
    groupId: newId('sg'),
    groupName: name,
    description,
    vpcId,
    rules: [{ ruleId: newId('sgr'), isEgress: true, ipProtocol: '-1', cidrIpv4: '0.0.0.0/0' }],
  };
  state.securityGroups[g.groupId] = g;
  if (tags) state.tags[g.groupId] = tags;
  return Promise.resolve({
    GroupId: g.groupId,
    SecurityGroupArn: ec2Arn(call, 'security-group', g.groupId),
    Tags: tagListOrUndefined(tags),
  });
}

export function describeSecurityGroups(call: Call, cloud: Cloud, state: Ec2State): Out {
  authorizeAll(call, cloud, [{ arn: '*' }]);
  const ids = optStrings(call.input, 'GroupIds');
  const names = optStrings(call.input, 'GroupNames');
  for (const id of ids) getGroup(state, id);
  for (const n of names) groupByName(state, n);
  const filters = readFilters(call.input);
  const out = Object.values(state.securityGroups)
    .filter((g) => ids.length === 0 || ids.includes(g.groupId))
    .filter(
      (g) => names.length === 0 || (names.includes(g.groupName) && g.vpcId === defaultVpcId(state)),
    )
    .filter((g) =>
      matchesFilters(filters, (name) => {
        const t = tagFilterValues(name, state.tags[g.groupId] ?? {});
        if (t) return t;
        switch (name) {
          case 'group-id':
            return [g.groupId];
          case 'group-name':
            return [g.groupName];
          case 'vpc-id':
            return [g.vpcId];
          case 'description':
            return [g.description];
          case 'owner-id':
            return [call.caller.accountId];
          case 'ip-permission.protocol':
            return g.rules.filter((r) => !r.isEgress).map((r) => r.ipProtocol);
          case 'ip-permission.cidr':
            return g.rules
              .filter((r) => !r.isEgress && r.cidrIpv4)
              .map((r) => r.cidrIpv4 as string);
          case 'ip-permission.from-port':
            return g.rules.filter((r) => !r.isEgress).map((r) => String(r.fromPort ?? ''));
          case 'ip-permission.to-port':
            return g.rules.filter((r) => !r.isEgress).map((r) => String(r.toPort ?? ''));
          case 'ip-permission.group-id':
            return g.rules
              .filter((r) => !r.isEgress && r.referencedGroupId)
              .map((r) => r.referencedGroupId as string);
          default:
            return undefined;
        }
      }),
    )
    .map((g) => groupShape(call, state, g));
  const { page, nextToken } = paginate(out, call.input, { min: 5, max: 1000 });
  return Promise.resolve({ SecurityGroups: page, ...(nextToken ? { NextToken: nextToken } : {}) });
}

function resolveGroup(call: Call, state: Ec2State): SecurityGroupRecord {
  const id = optString(call.input, 'GroupId');
  if (id) return getGroup(state, id);
  const name = optString(call.input, 'GroupName');
  if (name) return groupByName(state, name);
  throw missing('GroupId');
}

export function deleteSecurityGroup(call: Call, cloud: Cloud, state: Ec2State): Out {
  const g = resolveGroup(call, state);
  authorizeAll(call, cloud, [
    {
      arn: ec2Arn(call, 'security-group', g.groupId),
      context: resourceTagContext(state.tags[g.groupId]),
    },
  ]);
  if (g.groupName === 'default') {
    throw ec2Error(
      'CannotDelete',
      `the specified group: "${g.groupId}" name: "default" cannot be deleted by a user`,
    );
  }
  const inUse = Object.values(state.instances).some(
    (i) => i.state !== 'terminated' && i.securityGroups.some((s) => s.groupId === g.groupId),
  );
  const referenced = Object.values(state.securityGroups).some(
    (o) => o.groupId !== g.groupId && o.rules.some((r) => r.referencedGroupId === g.groupId),
  );
  if (inUse || referenced) {
    throw ec2Error('DependencyViolation', `resource ${g.groupId} has a dependent object`);
  }
  delete state.securityGroups[g.groupId];
  delete state.tags[g.groupId];
  return Promise.resolve({ Return: true, GroupId: g.groupId });
}

function legacyPermissions(input: Record<string, unknown>): IpPermissionInput[] {
  const perms = Array.isArray(input.IpPermissions)
    ? (input.IpPermissions as IpPermissionInput[])
    : [];
  if (typeof input.CidrIp === 'string' || typeof input.IpProtocol === 'string') {
    perms.push({
      IpProtocol: input.IpProtocol as string | undefined,
      FromPort: input.FromPort as number | undefined,
      ToPort: input.ToPort as number | undefined,
      IpRanges: typeof input.CidrIp === 'string' ? [{ CidrIp: input.CidrIp }] : [],
      ...(typeof input.SourceSecurityGroupName === 'string'
        ? { UserIdGroupPairs: [{ GroupName: input.SourceSecurityGroupName }] }
        : {}),
    });
  }
  return perms;
}

function authorizeRules(call: Call, cloud: Cloud, state: Ec2State, isEgress: boolean): Out {
  const g = isEgress
    ? getGroup(state, requireString(call.input, 'GroupId'))
    : resolveGroup(call, state);
  const perms = legacyPermissions(call.input);
  if (perms.length === 0) throw missing('IpPermissions');
  const tags = readTagSpecifications(call.input, ['security-group-rule'])['security-group-rule'];
  authorizeAll(call, cloud, [
    {
      arn: ec2Arn(call, 'security-group', g.groupId),
      context: { ...resourceTagContext(state.tags[g.groupId]), ...requestTagContext(tags) },
    },
    ...createTagsCheck(
      ec2Arn(call, 'security-group-rule', '*'),
      tags,
      isEgress ? 'AuthorizeSecurityGroupEgress' : 'AuthorizeSecurityGroupIngress',
    ),
  ]);
  const rules = rulesFrom(state, perms, isEgress);
  for (const r of rules) {
    if (g.rules.some((x) => sameRule(x, r)) || rules.filter((x) => sameRule(x, r)).length > 1) {
      throw ec2Error(
        'InvalidPermission.Duplicate',
        `the specified rule "${describeRule(r)}" already exists`,
      );
    }
  }
  g.rules.push(...rules);
  if (tags) for (const r of rules) state.tags[r.ruleId] = { ...tags };
  return Promise.resolve({
    Return: true,
    SecurityGroupRules: rules.map((r) => ruleShape(call, state, g, r)),
  });
}

function revokeRules(call: Call, cloud: Cloud, state: Ec2State, isEgress: boolean): Out {
  const g = isEgress
    ? getGroup(state, requireString(call.input, 'GroupId'))
    : resolveGroup(call, state);
  authorizeAll(call, cloud, [
    {
      arn: ec2Arn(call, 'security-group', g.groupId),
      context: resourceTagContext(state.tags[g.groupId]),
    },
  ]);
  const ruleIds = optStrings(call.input, 'SecurityGroupRuleIds');
  const perms = legacyPermissions(call.input);
  if (ruleIds.length === 0 && perms.length === 0) throw missing('IpPermissions');
  const toRemove = new Set<string>();
  for (const id of ruleIds) {
    const r = g.rules.find((x) => x.ruleId === id && x.isEgress === isEgress);
    if (!r)
      throw ec2Error(
        'InvalidSecurityGroupRuleId.NotFound',
        `The security group rule ID '${id}' does not exist`,
      );
    toRemove.add(r.ruleId);
  }
  for (const wanted of rulesFrom(state, perms, isEgress)) {
    const r = g.rules.find((x) => sameRule(x, wanted));
    if (!r) {
      throw ec2Error(
        'InvalidPermission.NotFound',
        'The specified rule does not exist in this security group.',
      );
    }
    toRemove.add(r.ruleId);
  }
  g.rules = g.rules.filter((r) => !toRemove.has(r.ruleId));
  for (const id of toRemove) delete state.tags[id];
  return Promise.resolve({ Return: true });
}

export const authorizeSecurityGroupIngress = (c: Call, cl: Cloud, s: Ec2State): Out =>
  authorizeRules(c, cl, s, false);
export const authorizeSecurityGroupEgress = (c: Call, cl: Cloud, s: Ec2State): Out =>
  authorizeRules(c, cl, s, true);
export const revokeSecurityGroupIngress = (c: Call, cl: Cloud, s: Ec2State): Out =>
  revokeRules(c, cl, s, false);
export const revokeSecurityGroupEgress = (c: Call, cl: Cloud, s: Ec2State): Out =>
  revokeRules(c, cl, s, true);

export function describeSecurityGroupRules(call: Call, cloud: Cloud, state: Ec2State): Out {
  authorizeAll(call, cloud, [{ arn: '*' }]);
  const ids = optStrings(call.input, 'SecurityGroupRuleIds');
  const filters = readFilters(call.input);
  const rows: Record<string, unknown>[] = [];
  for (const g of Object.values(state.securityGroups)) {
    for (const r of g.rules) {
      if (ids.length > 0 && !ids.includes(r.ruleId)) continue;
      const ok = matchesFilters(filters, (name) => {
        const t = tagFilterValues(name, state.tags[r.ruleId] ?? {});
        if (t) return t;
        if (name === 'group-id') return [g.groupId];
        if (name === 'security-group-rule-id') return [r.ruleId];
        return undefined;
      });
      if (ok) rows.push(ruleShape(call, state, g, r));
    }
  }
  for (const id of ids) {
    if (!rows.some((r) => r.SecurityGroupRuleId === id)) {
      throw ec2Error(
        'InvalidSecurityGroupRuleId.NotFound',
        `The security group rule ID '${id}' does not exist`,
      );
    }
  }
  const { page, nextToken } = paginate(rows, call.input, { min: 5, max: 1000 });
  return Promise.resolve({
    SecurityGroupRules: page,
    ...(nextToken ? { NextToken: nextToken } : {}),
  });
}
