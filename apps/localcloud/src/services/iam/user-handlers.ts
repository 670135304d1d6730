/**
 * IAM users and their access keys.
 */
import type { Call, Cloud, Handler } from '../../core/contract.ts';
import { AwsError } from '../../core/contract.ts';
import { iamUniqueId } from '../../core/ids.ts';
import { paginate } from '../../core/pagination.ts';
import type { UserRecord } from './iam-state.ts';
import { iamArn, iamState } from './iam-state.ts';
import { requestTagContext, resourceTagContext, userOut } from './iam-output.ts';
import {
  alreadyExists,
  deleteConflict,
  mergeTags,
  noSuchEntity,
  pathOf,
  requireName,
  requireString,
  tagsOf,
  validationError,
} from './iam-validation.ts';

/** The user named in the input, or the calling user when the input names none. */
function subjectUserName(call: Call): string {
  if (call.input.UserName !== undefined) return requireName(call.input, 'UserName');
  if (call.caller.kind === 'user') return call.caller.arn.split('/').pop() as string;
  throw validationError(
    undefined,
    'userName',
    'Must specify userName when calling with non-User credentials',
  );
}

/** Authorizes `action` on the user and returns it (NoSuchEntity after authorization, as IAM). */
export function authorizedUser(call: Call, cloud: Cloud, action: string, name: string): UserRecord {
  const state = iamState(cloud, call.caller.accountId);
  const user = state.users[name];
  const arn = user?.arn ?? iamArn(call.caller.accountId, 'user', '/', name);
  cloud.authorize(call, action, arn, { context: user ? resourceTagContext(user.tags) : {} });
  if (!user) throw noSuchEntity(`The user with name ${name} cannot be found.`);
  return user;
}

const CreateUser: Handler = (call, cloud) => {
  const name = requireName(call.input, 'UserName');
  const path = pathOf(call.input);
  const tags = tagsOf(call.input);
  const accountId = call.caller.accountId;
  const arn = iamArn(accountId, 'user', path, name);
  cloud.authorize(call, 'iam:CreateUser', arn, { context: requestTagContext(tags) });
  if (tags.length) cloud.authorize(call, 'iam:TagUser', arn, { context: requestTagContext(tags) });
  const state = iamState(cloud, accountId);
  if (Object.keys(state.users).some((u) => u.toLowerCase() === name.toLowerCase()))
    throw alreadyExists(`User with name ${name} already exists.`);
  const user: UserRecord = {
    userName: name,
    userId: iamUniqueId('AIDA'),
    arn,
    path,
    createdAt: cloud.now(),
    tags,
    inlinePolicies: {},
    attachedPolicies: [],
  };
  state.users[name] = user;
  return { User: userOut(user) };
};

const GetUser: Handler = (call, cloud) => {
  const user = authorizedUser(call, cloud, 'iam:GetUser', subjectUserName(call));
  return { User: userOut(user) };
};

const ListUsers: Handler = (call, cloud) => {
  cloud.authorize(call, 'iam:ListUsers', '*');
  const prefix = typeof call.input.PathPrefix === 'string' ? call.input.PathPrefix : '/';
  const users = Object.values(iamState(cloud, call.caller.accountId).users)
    .filter((u) => u.path.startsWith(prefix))
    .sort((a, b) => a.userName.localeCompare(b.userName));
  const page = paginate(users, call.input.Marker, call.input.MaxItems, 100, 'Marker');
  return { Users: page.items.map(userOut), IsTruncated: !!page.next, Marker: page.next };
};

const DeleteUser: Handler = (call, cloud) => {
  const name = requireName(call.input, 'UserName');
  const user = authorizedUser(call, cloud, 'iam:DeleteUser', name);
  if (Object.keys(user.inlinePolicies).length || user.attachedPolicies.length)
    throw deleteConflict('Cannot delete entity, must delete policies first.');
  if (cloud.credentials.forUser(call.caller.accountId, name).length)
    throw deleteConflict('Cannot delete entity, must delete access keys first.');
  delete iamState(cloud, call.caller.accountId).users[name];
  return {};
};

const TagUser: Handler = (call, cloud) => {
  const tags = tagsOf(call.input);
  const user = authorizedUser(call, cloud, 'iam:TagUser', requireName(call.input, 'UserName'));
  user.tags = mergeTags(user.tags, tags);
  return {};
};

const UntagUser: Handler = (call, cloud) => {
  const user = authorizedUser(call, cloud, 'iam:UntagUser', requireName(call.input, 'UserName'));
  const keys = (call.input.TagKeys as string[] | undefined) ?? [];
  user.tags = user.tags.filter((t) => !keys.includes(t.Key));
  return {};
};

const ListUserTags: Handler = (call, cloud) => {
  const user = authorizedUser(call, cloud, 'iam:ListUserTags', requireName(call.input, 'UserName'));
  return { Tags: user.tags, IsTruncated: false };
};

const CreateAccessKey: Handler = (call, cloud) => {
  const name = subjectUserName(call);
  authorizedUser(call, cloud, 'iam:CreateAccessKey', name);
  const accountId = call.caller.accountId;
  if (cloud.credentials.forUser(accountId, name).length >= 2)
    throw new AwsError('LimitExceeded', 'Cannot exceed quota for AccessKeysPerUser: 2', 409);
  const now = cloud.now();
  const record = cloud.credentials.issue(accountId, { type: 'user', userName: name }, now);
  const delay = cloud.propagationDelaySeconds();
  if (delay > 0) record.notBefore = now + delay * 1000;
  return {
    AccessKey: {
      UserName: name,
      AccessKeyId: record.accessKeyId,
      Status: record.status,
      SecretAccessKey: record.secretAccessKey,
      CreateDate: new Date(now),
    },
  };
};

const ListAccessKeys: Handler = (call, cloud) => {
  const name = subjectUserName(call);
  authorizedUser(call, cloud, 'iam:ListAccessKeys', name);
  const keys = cloud.credentials.forUser(call.caller.accountId, name);
  const page = paginate(keys, call.input.Marker, call.input.MaxItems, 100, 'Marker');
  return {
    AccessKeyMetadata: page.items.map((k) => ({
      UserName: name,
      AccessKeyId: k.accessKeyId,
      Status: k.status,
      CreateDate: new Date(k.createdAt),
    })),
    IsTruncated: !!page.next,
    Marker: page.next,
  };
};

function ownedKey(call: Call, cloud: Cloud, action: string) {
  const name = subjectUserName(call);
  authorizedUser(call, cloud, action, name);
  const id = requireString(call.input, 'AccessKeyId');
  const key = cloud.credentials
    .forUser(call.caller.accountId, name)
    .find((k) => k.accessKeyId === id);
  if (!key) throw noSuchEntity(`The Access Key with id ${id} cannot be found.`);
  return key;
}

const DeleteAccessKey: Handler = (call, cloud) => {
  const key = ownedKey(call, cloud, 'iam:DeleteAccessKey');
  cloud.credentials.revoke(key.accessKeyId);
  return {};
};

const UpdateAccessKey: Handler = (call, cloud) => {
  const status = requireString(call.input, 'Status');
  if (status !== 'Active' && status !== 'Inactive')
    throw validationError(
      status,
      'status',
      'Member must satisfy enum value set: [Active, Inactive]',
    );
  const key = ownedKey(call, cloud, 'iam:UpdateAccessKey');
  key.status = status;
  return {};
};

export const userHandlers: Record<string, Handler> = {
  CreateUser,
  GetUser,
  ListUsers,
  DeleteUser,
  TagUser,
  UntagUser,
  ListUserTags,
  CreateAccessKey,
  ListAccessKeys,
  DeleteAccessKey,
  UpdateAccessKey,
};
