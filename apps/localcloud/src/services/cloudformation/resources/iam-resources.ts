/** IAM resources: roles (inline and managed policies), policies, managed policies, instance profiles. */
import type { Json } from '../template-parser.ts';
import { list, physicalName, policyText, str, tagList } from './resource-provider.ts';
import type { ProvisionContext, ResourceProvider } from './resource-provider.ts';
import { ReplacementRequired } from './ec2-resources.ts';

interface InlinePolicy {
  PolicyName: string;
  PolicyDocument: string;
}

function inlinePolicies(value: Json | undefined): InlinePolicy[] {
  return list(value).map((p) => {
    const policy = (p ?? {}) as Record<string, Json>;
    return {
      PolicyName: str(policy.PolicyName) ?? '',
      PolicyDocument: policyText(policy.PolicyDocument),
    };
  });
}

function strings(value: Json | undefined): string[] {
  return list(value).map((v) => str(v) ?? '');
}

/** A role given by name or ARN, as templates do in `Roles`. */
function roleName(value: string): string {
  return value.startsWith('arn:') ? (value.split('/').at(-1) ?? value) : value;
}

const role: ResourceProvider = {
  required: ['AssumeRolePolicyDocument'],
  replaceOn: ['RoleName', 'Path', 'PermissionsBoundary'],
  iam: (p) => ({ named: p.RoleName !== undefined }),
  async create(ctx, p) {
    const name = str(p.RoleName) ?? physicalName(ctx, 64);
    const out = await ctx.invoke<{ Role: { Arn: string; RoleId: string } }>('iam', 'CreateRole', {
      RoleName: name,
      AssumeRolePolicyDocument: policyText(p.AssumeRolePolicyDocument),
      ...(p.Path === undefined ? {} : { Path: str(p.Path) }),
      ...(p.Description === undefined ? {} : { Description: str(p.Description) }),
      ...(p.MaxSessionDuration === undefined
        ? {}
        : { MaxSessionDuration: Number(p.MaxSessionDuration) }),
      ...(p.PermissionsBoundary === undefined
        ? {}
        : { PermissionsBoundary: str(p.PermissionsBoundary) }),
      ...(p.Tags === undefined ? {} : { Tags: tagList(p.Tags) }),
    });
    for (const policy of inlinePolicies(p.Policies))
      await ctx.invoke('iam', 'PutRolePolicy', { RoleName: name, ...policy });
    for (const arn of strings(p.ManagedPolicyArns))
      await ctx.invoke('iam', 'AttachRolePolicy', { RoleName: name, PolicyArn: arn });
    return { physicalId: name, attributes: { Arn: out.Role.Arn, RoleId: out.Role.RoleId } };
  },
  async update(ctx, current, p) {
    const name = current.physicalId;
    const old = current.properties;
    if (policyText(old.AssumeRolePolicyDocument) !== policyText(p.AssumeRolePolicyDocument)) {
      await ctx.invoke('iam', 'UpdateAssumeRolePolicy', {
        RoleName: name,
        PolicyDocument: policyText(p.AssumeRolePolicyDocument),
      });
    }
    if (
      str(old.Description) !== str(p.Description) ||
      str(old.MaxSessionDuration) !== str(p.MaxSessionDuration)
    ) {
      await ctx.invoke('iam', 'UpdateRole', {
        RoleName: name,
        Description: str(p.Description) ?? '',
        ...(p.MaxSessionDuration === undefined
          ? { MaxSessionDuration: 3600 }
          : { MaxSessionDuration: Number(p.MaxSessionDuration) }),
      });
    }
    const oldPolicies = inlinePolicies(old.Policies);
    const newPolicies = inlinePolicies(p.Policies);
    for (const policy of newPolicies) {
      const before = oldPolicies.find((o) => o.PolicyName === policy.PolicyName);
      if (before?.PolicyDocument !== policy.PolicyDocument)
        await ctx.invoke('iam', 'PutRolePolicy', { RoleName: name, ...policy });
    }
    for (const policy of oldPolicies) {
      if (!newPolicies.some((n) => n.PolicyName === policy.PolicyName)) {
        await ctx.invoke('iam', 'DeleteRolePolicy', {
          RoleName: name,
          PolicyName: policy.PolicyName,
        });
      }
    }
    const oldManaged = strings(old.ManagedPolicyArns);
    const newManaged = strings(p.ManagedPolicyArns);
    for (const arn of newManaged)
      if (!oldManaged.includes(arn))
        await ctx.invoke('iam', 'AttachRolePolicy', { RoleName: name, PolicyArn: arn });
    for (const arn of oldManaged)
      if (!newManaged.includes(arn))
        await ctx.invoke('iam', 'DetachRolePolicy', { RoleName: name, PolicyArn: arn });
    const oldTags = tagList(old.Tags);
    const newTags = tagList(p.Tags);
    const removed = oldTags.filter((t) => !newTags.some((n) => n.Key === t.Key)).map((t) => t.Key);
    if (removed.length > 0)
      await ctx.invoke('iam', 'UntagRole', { RoleName: name, TagKeys: removed });
    const changed = newTags.filter(
      (t) => !oldTags.some((o) => o.Key === t.Key && o.Value === t.Value),
    );
    if (changed.length > 0) await ctx.invoke('iam', 'TagRole', { RoleName: name, Tags: changed });
    return { physicalId: name, attributes: current.attributes };
  },
  async delete(ctx, current) {
    const name = current.physicalId;
    for (const policy of inlinePolicies(current.properties.Policies)) {
      await ctx.invoke('iam', 'DeleteRolePolicy', {
        RoleName: name,
        PolicyName: policy.PolicyName,
      });
    }
    for (const arn of strings(current.properties.ManagedPolicyArns)) {
      await ctx.invoke('iam', 'DetachRolePolicy', { RoleName: name, PolicyArn: arn });
    }
    await ctx.invoke('iam', 'DeleteRole', { RoleName: name });
  },
};

async function putInline(ctx: ProvisionContext, p: Record<string, Json>): Promise<void> {
  const policy = {
    PolicyName: str(p.PolicyName) ?? '',
    PolicyDocument: policyText(p.PolicyDocument),
  };
  for (const r of strings(p.Roles))
    await ctx.invoke('iam', 'PutRolePolicy', { RoleName: roleName(r), ...policy });
  for (const u of strings(p.Users))
    await ctx.invoke('iam', 'PutUserPolicy', { UserName: u, ...policy });
}

async function deleteInline(ctx: ProvisionContext, p: Record<string, Json>): Promise<void> {
  const name = str(p.PolicyName) ?? '';
  for (const r of strings(p.Roles))
    await ctx.invoke('iam', 'DeleteRolePolicy', { RoleName: roleName(r), PolicyName: name });
  for (const u of strings(p.Users))
    await ctx.invoke('iam', 'DeleteUserPolicy', { UserName: u, PolicyName: name });
}

const policy: ResourceProvider = {
  required: ['PolicyName', 'PolicyDocument'],
  iam: () => ({ named: false }),
  async create(ctx, p) {
    if (p.Groups !== undefined) throw new Error('Groups are not supported here');
    await putInline(ctx, p);
    const id = physicalName(ctx, 64);
    return { physicalId: id, attributes: { Id: id } };
  },
  async update(ctx, current, p) {
    await deleteInline(ctx, current.properties);
    await putInline(ctx, p);
    return { physicalId: current.physicalId, attributes: current.attributes };
  },
  async delete(ctx, current) {
    await deleteInline(ctx, current.properties);
  },
};

const managedPolicy: ResourceProvider = {
  required: ['PolicyDocument'],
  replaceOn: ['ManagedPolicyName', 'Path', 'Description'],
  iam: (p) => ({ named: p.ManagedPolicyName !== undefined }),
  async create(ctx, p) {
    const out = await ctx.invoke<{ Policy: { Arn: string; PolicyId: string; PolicyName: string } }>(
      'iam',
      'CreatePolicy',
      {
        PolicyName: str(p.ManagedPolicyName) ?? physicalName(ctx, 128),
        PolicyDocument: policyText(p.PolicyDocument),
        ...(p.Path === undefined ? {} : { Path: str(p.Path) }),
        ...(p.Description === undefined ? {} : { Description: str(p.Description) }),
      },
    );
    const arn = out.Policy.Arn;
    for (const r of strings(p.Roles))
      await ctx.invoke('iam', 'AttachRolePolicy', { RoleName: roleName(r), PolicyArn: arn });
    for (const u of strings(p.Users))
      await ctx.invoke('iam', 'AttachUserPolicy', { UserName: u, PolicyArn: arn });
    return {
      physicalId: arn,
      attributes: {
        PolicyArn: arn,
        PolicyId: out.Policy.PolicyId,
        PolicyName: out.Policy.PolicyName,
      },
    };
  },
  async update(ctx, current, p) {
    const arn = current.physicalId;
    if (policyText(current.properties.PolicyDocument) !== policyText(p.PolicyDocument)) {
      const versions = await ctx.invoke<{
        Versions?: { VersionId: string; IsDefaultVersion: boolean }[];
      }>('iam', 'ListPolicyVersions', { PolicyArn: arn });
      const old = (versions.Versions ?? []).filter((v) => !v.IsDefaultVersion);
      if ((versions.Versions ?? []).length >= 5 && old.at(-1)) {
        await ctx.invoke('iam', 'DeletePolicyVersion', {
          PolicyArn: arn,
          VersionId: old.at(-1)?.VersionId,
        });
      }
      await ctx.invoke('iam', 'CreatePolicyVersion', {
        PolicyArn: arn,
        PolicyDocument: policyText(p.PolicyDocument),
        SetAsDefault: true,
      });
    }
    const oldRoles = strings(current.properties.Roles).map(roleName);
    const newRoles = strings(p.Roles).map(roleName);
    for (const r of newRoles)
      if (!oldRoles.includes(r))
        await ctx.invoke('iam', 'AttachRolePolicy', { RoleName: r, PolicyArn: arn });
    for (const r of oldRoles)
      if (!newRoles.includes(r))
        await ctx.invoke('iam', 'DetachRolePolicy', { RoleName: r, PolicyArn: arn });
    const oldUsers = strings(current.properties.Users);
    const newUsers = strings(p.Users);
    for (const u of newUsers)
      if (!oldUsers.includes(u))
        await ctx.invoke('iam', 'AttachUserPolicy', { UserName: u, PolicyArn: arn });
    for (const u of oldUsers)
      if (!newUsers.includes(u))
        await ctx.invoke('iam', 'DetachUserPolicy', { UserName: u, PolicyArn: arn });
    return { physicalId: arn, attributes: current.attributes };
  },
  async delete(ctx, current) {
    const arn = current.physicalId;
    for (const r of strings(current.properties.Roles))
      await ctx.invoke('iam', 'DetachRolePolicy', { RoleName: roleName(r), PolicyArn: arn });
    for (const u of strings(current.properties.Users))
      await ctx.invoke('iam', 'DetachUserPolicy', { UserName: u, PolicyArn: arn });
    const versions = await ctx.invoke<{
      Versions?: { VersionId: string; IsDefaultVersion: boolean }[];
    }>('iam', 'ListPolicyVersions', { PolicyArn: arn });
    for (const v of versions.Versions ?? []) {
      if (!v.IsDefaultVersion)
        await ctx.invoke('iam', 'DeletePolicyVersion', { PolicyArn: arn, VersionId: v.VersionId });
    }
    await ctx.invoke('iam', 'DeletePolicy', { PolicyArn: arn });
  },
};

const instanceProfile: ResourceProvider = {
  required: ['Roles'],
  replaceOn: ['InstanceProfileName', 'Path'],
  iam: (p) => ({ named: p.InstanceProfileName !== undefined }),
  async create(ctx, p) {
    const name = str(p.InstanceProfileName) ?? physicalName(ctx, 128);
    const out = await ctx.invoke<{ InstanceProfile: { Arn: string } }>(
      'iam',
      'CreateInstanceProfile',
      {
        InstanceProfileName: name,
        ...(p.Path === undefined ? {} : { Path: str(p.Path) }),
      },
    );
    const roles = strings(p.Roles).map(roleName);
    if (roles.length !== 1) throw new Error('Roles must name exactly one role');
    await ctx.invoke('iam', 'AddRoleToInstanceProfile', {
      InstanceProfileName: name,
      RoleName: roles[0],
    });
    return { physicalId: name, attributes: { Arn: out.InstanceProfile.Arn } };
  },
  async update(ctx, current, p) {
    const name = current.physicalId;
    const [before] = strings(current.properties.Roles).map(roleName);
    const [after] = strings(p.Roles).map(roleName);
    if (after === undefined) throw new ReplacementRequired();
    if (before !== after) {
      if (before !== undefined)
        await ctx.invoke('iam', 'RemoveRoleFromInstanceProfile', {
          InstanceProfileName: name,
          RoleName: before,
        });
      await ctx.invoke('iam', 'AddRoleToInstanceProfile', {
        InstanceProfileName: name,
        RoleName: after,
      });
    }
    return { physicalId: name, attributes: current.attributes };
  },
  async delete(ctx, current) {
    for (const r of strings(current.properties.Roles).map(roleName)) {
      await ctx.invoke('iam', 'RemoveRoleFromInstanceProfile', {
        InstanceProfileName: current.physicalId,
        RoleName: r,
      });
    }
    await ctx.invoke('iam', 'DeleteInstanceProfile', { InstanceProfileName: current.physicalId });
  },
};

export const iamResources: Record<string, ResourceProvider> = {
  'AWS::IAM::Role': role,
  'AWS::IAM::Policy': policy,
  'AWS::IAM::ManagedPolicy': managedPolicy,
  'AWS::IAM::InstanceProfile': instanceProfile,
};
