/**
 * IAM instance profiles (at most one role each, as in AWS).
 */
import type { Call, Cloud, Handler } from '../../core/contract.ts';
import { AwsError } from '../../core/contract.ts';
import { iamUniqueId } from '../../core/ids.ts';
import { paginate } from '../../core/pagination.ts';
import type { InstanceProfileRecord, RoleRecord } from './iam-state.ts';
import { iamArn, iamState } from './iam-state.ts';
import { instanceProfileOut } from './iam-output.ts';
import { authorizedRole } from './role-handlers.ts';
import {
  alreadyExists,
  deleteConflict,
  noSuchEntity,
  pathOf,
  requireName,
  tagsOf,
} from './iam-validation.ts';

function authorizedProfile(call: Call, cloud: Cloud, action: string): InstanceProfileRecord {
  const name = requireName(call.input, 'InstanceProfileName', 128);
  const profile = iamState(cloud, call.caller.accountId).instanceProfiles[name];
  cloud.authorize(
    call,
    action,
    profile?.arn ?? iamArn(call.caller.accountId, 'instance-profile', '/', name),
  );
  if (!profile) throw noSuchEntity(`Instance Profile ${name} cannot be found.`);
  return profile;
}

function out(cloud: Cloud, accountId: string, p: InstanceProfileRecord) {
  const roles = iamState(cloud, accountId).roles;
  return instanceProfileOut(
    p,
    p.roleNames.map((n) => roles[n]).filter((r): r is RoleRecord => !!r),
  );
}

const CreateInstanceProfile: Handler = (call, cloud) => {
  const name = requireName(call.input, 'InstanceProfileName', 128);
  const path = pathOf(call.input);
  const tags = tagsOf(call.input);
  const accountId = call.caller.accountId;
  const arn = iamArn(accountId, 'instance-profile', path, name);
  cloud.authorize(call, 'iam:CreateInstanceProfile', arn);
  const state = iamState(cloud, accountId);
  if (state.instanceProfiles[name]) throw alreadyExists(`Instance Profile ${name} already exists.`);
  const profile: InstanceProfileRecord = {
    name,
    id: iamUniqueId('AIPA'),
    arn,
    path,
    createdAt: cloud.now(),
    roleNames: [],
    tags,
  };
  state.instanceProfiles[name] = profile;
  return { InstanceProfile: out(cloud, accountId, profile) };
};

const GetInstanceProfile: Handler = (call, cloud) => {
  const profile = authorizedProfile(call, cloud, 'iam:GetInstanceProfile');
  return { InstanceProfile: out(cloud, call.caller.accountId, profile) };
};

const DeleteInstanceProfile: Handler = (call, cloud) => {
  const profile = authorizedProfile(call, cloud, 'iam:DeleteInstanceProfile');
  if (profile.roleNames.length)
    throw deleteConflict('Cannot delete entity, must remove roles from instance profile first.');
  delete iamState(cloud, call.caller.accountId).instanceProfiles[profile.name];
  return {};
};

const AddRoleToInstanceProfile: Handler = (call, cloud) => {
  const profile = authorizedProfile(call, cloud, 'iam:AddRoleToInstanceProfile');
  const role = authorizedRole(call, cloud, 'iam:PassRole', requireName(call.input, 'RoleName'));
  if (profile.roleNames.includes(role.roleName)) return {};
  if (profile.roleNames.length >= 1)
    throw new AwsError(
      'LimitExceeded',
      'Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1',
      409,
    );
  profile.roleNames.push(role.roleName);
  return {};
};

const RemoveRoleFromInstanceProfile: Handler = (call, cloud) => {
  const profile = authorizedProfile(call, cloud, 'iam:RemoveRoleFromInstanceProfile');
  const roleName = requireName(call.input, 'RoleName');
  if (!profile.roleNames.includes(roleName))
    throw noSuchEntity(`The role with name ${roleName} cannot be found.`);
  profile.roleNames = profile.roleNames.filter((n) => n !== roleName);
  return {};
};

const ListInstanceProfiles: Handler = (call, cloud) => {
  cloud.authorize(call, 'iam:ListInstanceProfiles', '*');
  const accountId = call.caller.accountId;
  const prefix = typeof call.input.PathPrefix === 'string' ? call.input.PathPrefix : '/';
  const profiles = Object.values(iamState(cloud, accountId).instanceProfiles)
    .filter((p) => p.path.startsWith(prefix))
    .sort((a, b) => a.name.localeCompare(b.name));
  const page = paginate(profiles, call.input.Marker, call.input.MaxItems, 100, 'Marker');
  return {
    InstanceProfiles: page.items.map((p) => out(cloud, accountId, p)),
    IsTruncated: !!page.next,
    Marker: page.next,
  };
};

const ListInstanceProfilesForRole: Handler = (call, cloud) => {
  const role = authorizedRole(
    call,
    cloud,
    'iam:ListInstanceProfilesForRole',
    requireName(call.input, 'RoleName'),
  );
  const accountId = call.caller.accountId;
  const profiles = Object.values(iamState(cloud, accountId).instanceProfiles).filter((p) =>
    p.roleNames.includes(role.roleName),
  );
  const page = paginate(profiles, call.input.Marker, call.input.MaxItems, 100, 'Marker');
  return {
    InstanceProfiles: page.items.map((p) => out(cloud, accountId, p)),
    IsTruncated: !!page.next,
    Marker: page.next,
  };
};

export const instanceProfileHandlers: Record<string, Handler> = {
  CreateInstanceProfile,
  GetInstanceProfile,
  DeleteInstanceProfile,
  AddRoleToInstanceProfile,
  RemoveRoleFromInstanceProfile,
  ListInstanceProfiles,
  ListInstanceProfilesForRole,
};
