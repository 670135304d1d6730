/**
 * IAM roles: trust policy, session duration, tags.
 */
import type { Call, Cloud, Handler } from '../../core/contract.ts';
import { iamUniqueId } from '../../core/ids.ts';
import { paginate } from '../../core/pagination.ts';
import type { RoleRecord } from './iam-state.ts';
import { iamArn, iamState } from './iam-state.ts';
import { requestTagContext, resourceTagContext, roleOut } from './iam-output.ts';
import {
  alreadyExists,
  checkPolicy,
  deleteConflict,
  mergeTags,
  noSuchEntity,
  pathOf,
  requireName,
  requireString,
  tagsOf,
  validationError,
} from './iam-validation.ts';

/** Authorizes `action` on the role and returns it (NoSuchEntity after authorization, as IAM). */
export function authorizedRole(call: Call, cloud: Cloud, action: string, name: string): RoleRecord {
  const state = iamState(cloud, call.caller.accountId);
  const role = state.roles[name];
  const arn = role?.arn ?? iamArn(call.caller.accountId, 'role', '/', name);
  cloud.authorize(call, action, arn, { context: role ? resourceTagContext(role.tags) : {} });
  if (!role) throw noSuchEntity(`The role with name ${name} cannot be found.`);
  return role;
}

function maxSessionDuration(input: Record<string, unknown>): number | undefined {
  const v = input.MaxSessionDuration;
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 3600 || v > 43200)
    throw validationError(v, 'maxSessionDuration', 'Member must have value between 3600 and 43200');
  return v;
}

function description(input: Record<string, unknown>): string | undefined {
  const v = input.Description;
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length > 1000)
    throw validationError(v, 'description', 'Member must have length less than or equal to 1000');
  return v;
}

const CreateRole: Handler = (call, cloud) => {
  const name = requireName(call.input, 'RoleName');
  const path = pathOf(call.input);
  const trust = requireString(call.input, 'AssumeRolePolicyDocument');
  const tags = tagsOf(call.input);
  const duration = maxSessionDuration(call.input) ?? 3600;
  const desc = description(call.input);
  const accountId = call.caller.accountId;
  const arn = iamArn(accountId, 'role', path, name);
  cloud.authorize(call, 'iam:CreateRole', arn, { context: requestTagContext(tags) });
  if (tags.length) cloud.authorize(call, 'iam:TagRole', arn, { context: requestTagContext(tags) });
  checkPolicy(trust, 'trust');
  const state = iamState(cloud, accountId);
  if (Object.keys(state.roles).some((r) => r.toLowerCase() === name.toLowerCase()))
    throw alreadyExists(`Role with name ${name} already exists.`);
  const role: RoleRecord = {
    roleName: name,
    roleId: iamUniqueId('AROA'),
    arn,
    path,
    createdAt: cloud.now(),
    assumeRolePolicyDocument: trust,
    description: desc,
    maxSessionDuration: duration,
    tags,
    inlinePolicies: {},
    attachedPolicies: [],
  };
  state.roles[name] = role;
  return { Role: roleOut(role) };
};

const GetRole: Handler = (call, cloud) => {
  const role = authorizedRole(call, cloud, 'iam:GetRole', requireName(call.input, 'RoleName'));
  return { Role: roleOut(role) };
};

const ListRoles: Handler = (call, cloud) => {
  cloud.authorize(call, 'iam:ListRoles', '*');
  const prefix = typeof call.input.PathPrefix === 'string' ? call.input.PathPrefix : '/';
  const roles = Object.values(iamState(cloud, call.caller.accountId).roles)
    .filter((r) => r.path.startsWith(prefix))
    .sort((a, b) => a.roleName.localeCompare(b.roleName));
  const page = paginate(roles, call.input.Marker, call.input.MaxItems, 100, 'Marker');
  // ListRoles omits tags, as IAM does.
  return {
    Roles: page.items.map((r) => roleOut(r, false)),
    IsTruncated: !!page.next,
    Marker: page.next,
  };
};

const DeleteRole: Handler = (call, cloud) => {
  const name = requireName(call.input, 'RoleName');
  const role = authorizedRole(call, cloud, 'iam:DeleteRole', name);
  const state = iamState(cloud, call.caller.accountId);
  if (Object.keys(role.inlinePolicies).length)
    throw deleteConflict('Cannot delete entity, must delete policies first.');
  if (role.attachedPolicies.length)
    throw deleteConflict('Cannot delete entity, must detach all policies first.');
  if (Object.values(state.instanceProfiles).some((p) => p.roleNames.includes(name)))
    throw deleteConflict('Cannot delete entity, must remove roles from instance profile first.');
  delete state.roles[name];
  return {};
};

const UpdateRole: Handler = (call, cloud) => {
  const duration = maxSessionDuration(call.input);
  const desc = description(call.input);
  const role = authorizedRole(call, cloud, 'iam:UpdateRole', requireName(call.input, 'RoleName'));
  if (duration !== undefined) role.maxSessionDuration = duration;
  if (desc !== undefined) role.description = desc;
  return {};
};

const UpdateAssumeRolePolicy: Handler = (call, cloud) => {
  const doc = requireString(call.input, 'PolicyDocument');
  const role = authorizedRole(
    call,
    cloud,
    'iam:UpdateAssumeRolePolicy',
    requireName(call.input, 'RoleName'),
  );
  checkPolicy(doc, 'trust');
  role.assumeRolePolicyDocument = doc;
  return {};
};

const TagRole: Handler = (call, cloud) => {
  const tags = tagsOf(call.input);
  const name = requireName(call.input, 'RoleName');
  const role = authorizedRole(call, cloud, 'iam:TagRole', name);
  cloud.authorize(call, 'iam:TagRole', role.arn, {
    context: { ...resourceTagContext(role.tags), ...requestTagContext(tags) },
  });
  role.tags = mergeTags(role.tags, tags);
  return {};
};

const UntagRole: Handler = (call, cloud) => {
  const role = authorizedRole(call, cloud, 'iam:UntagRole', requireName(call.input, 'RoleName'));
  const keys = (call.input.TagKeys as string[] | undefined) ?? [];
  role.tags = role.tags.filter((t) => !keys.includes(t.Key));
  return {};
};

const ListRoleTags: Handler = (call, cloud) => {
  const role = authorizedRole(call, cloud, 'iam:ListRoleTags', requireName(call.input, 'RoleName'));
  return { Tags: role.tags, IsTruncated: false };
};

export const roleHandlers: Record<string, Handler> = {
  CreateRole,
  GetRole,
  ListRoles,
  DeleteRole,
  UpdateRole,
  UpdateAssumeRolePolicy,
  TagRole,
  UntagRole,
  ListRoleTags,
};
