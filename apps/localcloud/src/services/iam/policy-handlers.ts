/**
 * IAM policies: inline policies of users and roles, customer managed policies with
 * versions, and their attachments.
 */
import type { Call, Cloud, Handler } from '../../core/contract.ts';
import { AwsError } from '../../core/contract.ts';
import { iamUniqueId } from '../../core/ids.ts';
import { paginate } from '../../core/pagination.ts';
import type { Attachment, InlinePolicy, ManagedPolicyRecord } from './iam-state.ts';
import { iamArn, iamState } from './iam-state.ts';
import { encodeDocument, policyOut } from './iam-output.ts';
import { parseIamArn } from './iam-lookups.ts';
import { authorizedRole } from './role-handlers.ts';
import { authorizedUser } from './user-handlers.ts';
import {
  alreadyExists,
  checkPolicy,
  deleteConflict,
  noSuchEntity,
  pathOf,
  requireName,
  requireString,
  tagsOf,
} from './iam-validation.ts';

type Owner = 'Role' | 'User';

function owner(call: Call, cloud: Cloud, kind: Owner, action: string) {
  return kind === 'Role'
    ? authorizedRole(call, cloud, action, requireName(call.input, 'RoleName'))
    : authorizedUser(call, cloud, action, requireName(call.input, 'UserName'));
}

function inlineHandlers(kind: Owner): Record<string, Handler> {
  const entity = kind === 'Role' ? 'role' : 'user';
  return {
    [`Put${kind}Policy`]: (call, cloud) => {
      const policyName = requireName(call.input, 'PolicyName', 128);
      const doc = requireString(call.input, 'PolicyDocument');
      const target = owner(call, cloud, kind, `iam:Put${kind}Policy`);
      checkPolicy(doc, 'identity');
      if (doc.replace(/\s/g, '').length > (kind === 'Role' ? 10240 : 2048))
        throw new AwsError(
          'LimitExceeded',
          `Maximum policy size of ${kind === 'Role' ? 10240 : 2048} bytes exceeded for ${entity} ${target.arn.split('/').pop()}`,
          409,
        );
      const policy: InlinePolicy = { document: doc, createdAt: cloud.now() };
      target.inlinePolicies[policyName] = policy;
      return {};
    },
    [`Get${kind}Policy`]: (call, cloud) => {
      const policyName = requireName(call.input, 'PolicyName', 128);
      const target = owner(call, cloud, kind, `iam:Get${kind}Policy`);
      const policy = target.inlinePolicies[policyName];
      if (!policy)
        throw noSuchEntity(`The ${entity} policy with name ${policyName} cannot be found.`);
      return {
        [`${kind}Name`]: call.input[`${kind}Name`],
        PolicyName: policyName,
        PolicyDocument: encodeDocument(policy.document),
      };
    },
    [`Delete${kind}Policy`]: (call, cloud) => {
      const policyName = requireName(call.input, 'PolicyName', 128);
      const target = owner(call, cloud, kind, `iam:Delete${kind}Policy`);
      if (!target.inlinePolicies[policyName])
        throw noSuchEntity(`The ${entity} policy with name ${policyName} cannot be found.`);
      delete target.inlinePolicies[policyName];
      return {};
    },
    [`List${kind}Policies`]: (call, cloud) => {
      const target = owner(call, cloud, kind, `iam:List${kind}Policies`);
      const names = Object.keys(target.inlinePolicies).sort();
      const page = paginate(names, call.input.Marker, call.input.MaxItems, 100, 'Marker');
      return { PolicyNames: page.items, IsTruncated: !!page.next, Marker: page.next };
    },
  };
}

function attachmentCount(cloud: Cloud, accountId: string, arn: string): number {
  const s = iamState(cloud, accountId);
  let n = 0;
  for (const r of Object.values(s.roles)) if (r.attachedPolicies.some((a) => a.arn === arn)) n++;
  for (const u of Object.values(s.users)) if (u.attachedPolicies.some((a) => a.arn === arn)) n++;
  return n;
}

/** Authorizes `action` on a managed policy and returns it. */
function authorizedPolicy(
  call: Call,
  cloud: Cloud,
  action: string,
  arn: string,
): ManagedPolicyRecord {
  cloud.authorize(call, action, arn);
  const p = parseIamArn(arn);
  const policy = p ? iamState(cloud, p.accountId).policies[arn] : undefined;
  if (!policy) throw noSuchEntity(`Policy ${arn} does not exist or is not attachable.`);
  return policy;
}

function versionOut(
  p: ManagedPolicyRecord,
  v: ManagedPolicyRecord['versions'][number],
  withDoc: boolean,
) {
  return {
    Document: withDoc ? encodeDocument(v.document) : undefined,
    VersionId: v.versionId,
    IsDefaultVersion: v.versionId === p.defaultVersionId,
    CreateDate: new Date(v.createdAt),
  };
}

function managedDocument(call: Call): string {
  const doc = requireString(call.input, 'PolicyDocument');
  checkPolicy(doc, 'identity');
  if (doc.replace(/\s/g, '').length > 6144)
    throw new AwsError('LimitExceeded', 'Cannot exceed quota for PolicySize: 6144', 409);
  return doc;
}

const CreatePolicy: Handler = (call, cloud) => {
  const name = requireName(call.input, 'PolicyName', 128);
  const path = pathOf(call.input);
  const tags = tagsOf(call.input);
  const accountId = call.caller.accountId;
  const arn = iamArn(accountId, 'policy', path, name);
  cloud.authorize(call, 'iam:CreatePolicy', arn);
  const doc = managedDocument(call);
  const state = iamState(cloud, accountId);
  if (Object.values(state.policies).some((p) => p.policyName === name))
    throw alreadyExists(`A policy called ${name} already exists. Duplicate names are not allowed.`);
  const now = cloud.now();
  const policy: ManagedPolicyRecord = {
    policyName: name,
    policyId: iamUniqueId('ANPA'),
    arn,
    path,
    description: typeof call.input.Description === 'string' ? call.input.Description : undefined,
    createdAt: now,
    updatedAt: now,
    defaultVersionId: 'v1',
    nextVersion: 2,
    versions: [{ versionId: 'v1', document: doc, createdAt: now }],
    tags,
  };
  state.policies[arn] = policy;
  return { Policy: policyOut(policy, 0) };
};

const GetPolicy: Handler = (call, cloud) => {
  const arn = requireString(call.input, 'PolicyArn');
  const policy = authorizedPolicy(call, cloud, 'iam:GetPolicy', arn);
  return { Policy: policyOut(policy, attachmentCount(cloud, arn.split(':')[4] as string, arn)) };
};

const GetPolicyVersion: Handler = (call, cloud) => {
  const arn = requireString(call.input, 'PolicyArn');
  const versionId = requireString(call.input, 'VersionId');
  const policy = authorizedPolicy(call, cloud, 'iam:GetPolicyVersion', arn);
  const version = policy.versions.find((v) => v.versionId === versionId);
  if (!version)
    throw noSuchEntity(`Policy ${arn} version ${versionId} does not exist or is not attachable.`);
  return { PolicyVersion: versionOut(policy, version, true) };
};

const ListPolicyVersions: Handler = (call, cloud) => {
  const arn = requireString(call.input, 'PolicyArn');
  const policy = authorizedPolicy(call, cloud, 'iam:ListPolicyVersions', arn);
  const versions = [...policy.versions].reverse();
  const page = paginate(versions, call.input.Marker, call.input.MaxItems, 100, 'Marker');
  return {
    Versions: page.items.map((v) => versionOut(policy, v, false)),
    IsTruncated: !!page.next,
    Marker: page.next,
  };
};

const ListPolicies: Handler = (call, cloud) => {
  cloud.authorize(call, 'iam:ListPolicies', '*');
  const accountId = call.caller.accountId;
  const scope = call.input.Scope ?? 'All';
  const prefix = typeof call.input.PathPrefix === 'string' ? call.input.PathPrefix : '/';
  const policies =
    scope === 'AWS'
      ? []
      : Object.values(iamState(cloud, accountId).policies)
          .filter((p) => p.path.startsWith(prefix))
          .map((p) => ({ p, n: attachmentCount(cloud, accountId, p.arn) }))
          .filter(({ n }) => !call.input.OnlyAttached || n > 0)
          .sort((a, b) => a.p.policyName.localeCompare(b.p.policyName));
  const page = paginate(policies, call.input.Marker, call.input.MaxItems, 100, 'Marker');
  return {
    Policies: page.items.map(({ p, n }) => policyOut(p, n)),
    IsTruncated: !!page.next,
    Marker: page.next,
  };
};

const DeletePolicy: Handler = (call, cloud) => {
  const arn = requireString(call.input, 'PolicyArn');
  authorizedPolicy(call, cloud, 'iam:DeletePolicy', arn);
  const accountId = arn.split(':')[4] as string;
  if (attachmentCount(cloud, accountId, arn) > 0)
    throw deleteConflict('Cannot delete a policy attached to entities.');
  delete iamState(cloud, accountId).policies[arn];
  return {};
};

const CreatePolicyVersion: Handler = (call, cloud) => {
  const arn = requireString(call.input, 'PolicyArn');
  const policy = authorizedPolicy(call, cloud, 'iam:CreatePolicyVersion', arn);
  const doc = managedDocument(call);
  if (policy.versions.length >= 5)
    throw new AwsError(
      'LimitExceeded',
      `A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.`,
      409,
    );
  const now = cloud.now();
  const version = { versionId: `v${policy.nextVersion}`, document: doc, createdAt: now };
  policy.nextVersion += 1;
  policy.versions.push(version);
  if (call.input.SetAsDefault === true) policy.defaultVersionId = version.versionId;
  policy.updatedAt = now;
  return { PolicyVersion: versionOut(policy, version, false) };
};

const DeletePolicyVersion: Handler = (call, cloud) => {
  const arn = requireString(call.input, 'PolicyArn');
  const versionId = requireString(call.input, 'VersionId');
  const policy = authorizedPolicy(call, cloud, 'iam:DeletePolicyVersion', arn);
  if (!policy.versions.some((v) => v.versionId === versionId))
    throw noSuchEntity(`Policy ${arn} version ${versionId} does not exist.`);
  if (policy.defaultVersionId === versionId)
    throw deleteConflict('Cannot delete the default version of a policy.');
  policy.versions = policy.versions.filter((v) => v.versionId !== versionId);
  return {};
};

function attachHandlers(kind: Owner): Record<string, Handler> {
  return {
    [`Attach${kind}Policy`]: (call, cloud) => {
      const arn = requireString(call.input, 'PolicyArn');
      const target = owner(call, cloud, kind, `iam:Attach${kind}Policy`);
      const p = parseIamArn(arn);
      if (
        !p ||
        !iamState(cloud, p.accountId).policies[arn] ||
        p.accountId !== call.caller.accountId
      )
        throw noSuchEntity(`Policy ${arn} does not exist or is not attachable.`);
      if (target.attachedPolicies.some((a) => a.arn === arn)) return {};
      if (target.attachedPolicies.length >= 10)
        throw new AwsError('LimitExceeded', `Cannot exceed quota for PoliciesPer${kind}: 10`, 409);
      const attachment: Attachment = { arn, attachedAt: cloud.now() };
      target.attachedPolicies.push(attachment);
      return {};
    },
    [`Detach${kind}Policy`]: (call, cloud) => {
      const arn = requireString(call.input, 'PolicyArn');
      const target = owner(call, cloud, kind, `iam:Detach${kind}Policy`);
      if (!target.attachedPolicies.some((a) => a.arn === arn))
        throw noSuchEntity(`Policy ${arn} was not found.`);
      target.attachedPolicies = target.attachedPolicies.filter((a) => a.arn !== arn);
      return {};
    },
    [`ListAttached${kind}Policies`]: (call, cloud) => {
      const target = owner(call, cloud, kind, `iam:ListAttached${kind}Policies`);
      const state = iamState(cloud, call.caller.accountId);
      const attached = target.attachedPolicies.map((a) => ({
        PolicyArn: a.arn,
        PolicyName: state.policies[a.arn]?.policyName ?? a.arn.split('/').pop(),
      }));
      const page = paginate(attached, call.input.Marker, call.input.MaxItems, 100, 'Marker');
      return { AttachedPolicies: page.items, IsTruncated: !!page.next, Marker: page.next };
    },
  };
}

export const policyHandlers: Record<string, Handler> = {
  ...inlineHandlers('Role'),
  ...inlineHandlers('User'),
  ...attachHandlers('Role'),
  ...attachHandlers('User'),
  CreatePolicy,
  GetPolicy,
  GetPolicyVersion,
  ListPolicyVersions,
  ListPolicies,
  DeletePolicy,
  CreatePolicyVersion,
  DeletePolicyVersion,
};
