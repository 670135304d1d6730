/**
 * IAM lookups other services use: roles by ARN, instance profiles and their role, the
 * policies in force for a user or role (with IAM's propagation delay applied).
 */
import { parsePolicy } from '@ferry/iam';
import type { NamedPolicy, PolicyDocument } from '@ferry/iam';
import type { Cloud } from '../../core/contract.ts';
import type {
  Attachment,
  InlinePolicy,
  InstanceProfileRecord,
  ManagedPolicyRecord,
  RoleRecord,
  UserRecord,
} from './iam-state.ts';
import { iamState } from './iam-state.ts';

const parsed = new Map<string, PolicyDocument | undefined>();

/** A stored policy document, parsed (cached by text); undefined when it does not parse. */
export function policyDocument(
  text: string,
  kind: 'identity' | 'trust' = 'identity',
): PolicyDocument | undefined {
  const key = `${kind}\n${text}`;
  if (!parsed.has(key)) {
    const result = parsePolicy(text, kind);
    parsed.set(key, result.ok ? result.policy : undefined);
    if (parsed.size > 5000) parsed.clear();
  }
  return parsed.get(key);
}

/** Account, type and name of an IAM ARN (`arn:aws:iam::ACCT:role/path/NAME`). */
export function parseIamArn(
  arn: string,
): { accountId: string; type: string; name: string; path: string } | undefined {
  const m = /^arn:aws:iam::(\d{12}):([a-z-]+)(\/(?:.*\/)?)([^/]+)$/.exec(arn);
  if (!m) return undefined;
  return {
    accountId: m[1] as string,
    type: m[2] as string,
    path: m[3] as string,
    name: m[4] as string,
  };
}

/** The role an ARN names, when it exists (the path must match too). */
export function findRoleByArn(cloud: Cloud, arn: string): RoleRecord | undefined {
  const p = parseIamArn(arn);
  if (!p || p.type !== 'role') return undefined;
  const role = iamState(cloud, p.accountId).roles[p.name];
  return role && role.arn === arn ? role : undefined;
}

/** An instance profile by name or ARN in `accountId`. */
export function findInstanceProfile(
  cloud: Cloud,
  accountId: string,
  nameOrArn: string,
): InstanceProfileRecord | undefined {
  if (nameOrArn.startsWith('arn:')) {
    const p = parseIamArn(nameOrArn);
    if (!p || p.type !== 'instance-profile') return undefined;
    const profile = iamState(cloud, p.accountId).instanceProfiles[p.name];
    return profile && profile.arn === nameOrArn ? profile : undefined;
  }
  return iamState(cloud, accountId).instanceProfiles[nameOrArn];
}

/** The role of an instance profile (undefined when it has none). */
export function roleOfInstanceProfile(
  cloud: Cloud,
  profile: InstanceProfileRecord,
): RoleRecord | undefined {
  const accountId = profile.arn.split(':')[4] as string;
  const name = profile.roleNames[0];
  return name ? iamState(cloud, accountId).roles[name] : undefined;
}

const visible = (createdAt: number, cloud: Cloud): boolean => cloud.isPropagated(createdAt);

function collect(
  cloud: Cloud,
  accountId: string,
  owner: string,
  inline: Record<string, InlinePolicy>,
  attached: Attachment[],
): NamedPolicy[] {
  const out: NamedPolicy[] = [];
  for (const [name, policy] of Object.entries(inline)) {
    if (!visible(policy.createdAt, cloud)) continue;
    const document = policyDocument(policy.document);
    if (document) out.push({ name: `inline:${owner}/${name}`, document });
  }
  const policies = iamState(cloud, accountId).policies;
  for (const a of attached) {
    if (!visible(a.attachedAt, cloud)) continue;
    const managed: ManagedPolicyRecord | undefined = policies[a.arn];
    const version = managed?.versions.find((v) => v.versionId === managed.defaultVersionId);
    const document = version ? policyDocument(version.document) : undefined;
    if (document) out.push({ name: a.arn, document });
  }
  return out;
}

/** Identity policies in force for a role (inline + attached managed default versions). */
export function rolePolicies(cloud: Cloud, role: RoleRecord): NamedPolicy[] {
  const accountId = role.arn.split(':')[4] as string;
  return collect(
    cloud,
    accountId,
    `role/${role.roleName}`,
    role.inlinePolicies,
    role.attachedPolicies,
  );
}

/** Identity policies in force for a user. */
export function userPolicies(cloud: Cloud, user: UserRecord): NamedPolicy[] {
  const accountId = user.arn.split(':')[4] as string;
  return collect(
    cloud,
    accountId,
    `user/${user.userName}`,
    user.inlinePolicies,
    user.attachedPolicies,
  );
}

/** The managed policy an ARN names (customer managed, in its own account). */
export function findManagedPolicy(cloud: Cloud, arn: string): ManagedPolicyRecord | undefined {
  const p = parseIamArn(arn);
  if (!p || p.type !== 'policy') return undefined;
  return iamState(cloud, p.accountId).policies[arn];
}

/** Tags as a record. */
export function tagRecord(tags: { Key: string; Value: string }[]): Record<string, string> {
  return Object.fromEntries(tags.map((t) => [t.Key, t.Value]));
}
