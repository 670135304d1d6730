/**
 * Turns a credential record into the Caller: a user's or a role session's identity, its
 * policies and tags as IAM knows them now.
 */
import type { Caller, Cloud, CredentialRecord } from '../../core/contract.ts';
import { iamState } from './iam-state.ts';
import { rolePolicies, tagRecord, userPolicies } from './iam-lookups.ts';

/** The caller of a user's or session's credentials; undefined when its user or role is gone. */
export function resolveCaller(record: CredentialRecord, cloud: Cloud): Caller | undefined {
  const state = iamState(cloud, record.accountId);
  const p = record.principal;
  if (p.type === 'user' || p.type === 'user-session') {
    const user = state.users[p.userName];
    if (!user) return undefined;
    return {
      accountId: record.accountId,
      arn: user.arn,
      principalArn: user.arn,
      userId: user.userId,
      kind: 'user',
      accessKeyId: record.accessKeyId,
      identityPolicies: userPolicies(cloud, user),
      sessionPolicies: [],
      principalTags: tagRecord(user.tags),
    };
  }
  if (p.type === 'session') {
    const role = state.roles[p.roleName];
    // A role deleted and created again is a different role: its old sessions are void.
    if (!role || role.roleId !== p.roleId) return undefined;
    return {
      accountId: record.accountId,
      arn: `arn:aws:sts::${record.accountId}:assumed-role/${role.roleName}/${p.roleSessionName}`,
      principalArn: role.arn,
      userId: `${role.roleId}:${p.roleSessionName}`,
      kind: 'assumed-role',
      accessKeyId: record.accessKeyId,
      identityPolicies: rolePolicies(cloud, role),
      sessionPolicies: p.sessionPolicies,
      principalTags: { ...tagRecord(role.tags), ...p.sessionTags },
      session: {
        roleName: role.roleName,
        roleSessionName: p.roleSessionName,
        sourceIdentity: p.sourceIdentity,
        transitiveTagKeys: p.transitiveTagKeys,
        chained: p.chained,
        expiresAt: record.expiresAt ?? 0,
      },
    };
  }
  return undefined;
}
