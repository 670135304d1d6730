/**
 * IAM's state of one account (IAM is global: region "global") and its entity records.
 * Times are epoch milliseconds so the state stays plain JSON.
 */
import type { Cloud } from '../../core/contract.ts';

export interface Tag {
  Key: string;
  Value: string;
}

export interface InlinePolicy {
  document: string;
  createdAt: number;
}

export interface Attachment {
  arn: string;
  attachedAt: number;
}

export interface UserRecord {
  userName: string;
  userId: string;
  arn: string;
  path: string;
  createdAt: number;
  tags: Tag[];
  inlinePolicies: Record<string, InlinePolicy>;
  attachedPolicies: Attachment[];
}

export interface RoleRecord {
  roleName: string;
  roleId: string;
  arn: string;
  path: string;
  createdAt: number;
  assumeRolePolicyDocument: string;
  description?: string;
  maxSessionDuration: number;
  tags: Tag[];
  inlinePolicies: Record<string, InlinePolicy>;
  attachedPolicies: Attachment[];
}

export interface PolicyVersionRecord {
  versionId: string;
  document: string;
  createdAt: number;
}

export interface ManagedPolicyRecord {
  policyName: string;
  policyId: string;
  arn: string;
  path: string;
  description?: string;
  createdAt: number;
  updatedAt: number;
  defaultVersionId: string;
  nextVersion: number;
  versions: PolicyVersionRecord[];
  tags: Tag[];
}

export interface InstanceProfileRecord {
  name: string;
  id: string;
  arn: string;
  path: string;
  createdAt: number;
  roleNames: string[];
  tags: Tag[];
}

export interface IamState {
  users: Record<string, UserRecord>;
  roles: Record<string, RoleRecord>;
  /** Customer managed policies by ARN. */
  policies: Record<string, ManagedPolicyRecord>;
  instanceProfiles: Record<string, InstanceProfileRecord>;
}

/** The IAM state of an account. */
export function iamState(cloud: Cloud, accountId: string): IamState {
  return cloud.state<IamState>('iam', accountId, 'global', () => ({
    users: {},
    roles: {},
    policies: {},
    instanceProfiles: {},
  }));
}

/** `arn:aws:iam::ACCT:TYPE/PATH/NAME` with `path` starting and ending with `/`. */
export function iamArn(accountId: string, type: string, path: string, name: string): string {
  return `arn:aws:iam::${accountId}:${type}${path}${name}`;
}
