/**
 * Temporary credentials of an instance profile's role, as EC2 obtains them for IMDS: a
 * session of the role named after the instance, valid only if the role trusts
 * ec2.amazonaws.com.
 */
import type { Cloud } from '../../core/contract.ts';
import { accountCaller } from './launch.ts';

export interface InstanceCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  issuedAt: number;
  expiresAt: number;
}

interface RoleOut {
  Role?: { Arn?: string; RoleId?: string; RoleName?: string; AssumeRolePolicyDocument?: string };
}

function asArray(v: unknown): unknown[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** True when an Allow statement of the trust policy lets ec2.amazonaws.com call sts:AssumeRole. */
export function trustsEc2(document: string | undefined): boolean {
  if (!document) return false;
  let parsed: { Statement?: unknown };
  try {
    parsed = JSON.parse(
      document.startsWith('%7B') || document.startsWith('%7b')
        ? decodeURIComponent(document)
        : document,
    ) as {
      Statement?: unknown;
    };
  } catch {
    return false;
  }
  return asArray(parsed.Statement).some((raw) => {
    const s = raw as { Effect?: string; Principal?: unknown; Action?: unknown };
    if (s.Effect !== 'Allow') return false;
    const principal = s.Principal as { Service?: unknown } | string | undefined;
    const services =
      typeof principal === 'object' ? asArray(principal.Service) : principal === '*' ? ['*'] : [];
    const actions = asArray(s.Action).map(String);
    return (
      services.some((x) => x === 'ec2.amazonaws.com' || x === '*') &&
      actions.some((a) => a === 'sts:AssumeRole' || a === 'sts:*' || a === '*')
    );
  });
}

/**
 * Mints credentials for the role (by name) on behalf of an instance. Throws when the role is
 * gone or does not trust EC2, as the instance then gets no credentials in AWS either.
 */
export async function mintInstanceCredentials(
  cloud: Cloud,
  accountId: string,
  roleName: string,
  instanceId: string,
  ttlMs: number,
): Promise<InstanceCredentials> {
  const out = await cloud.invoke<RoleOut>(
    'iam',
    'GetRole',
    { RoleName: roleName },
    accountCaller(accountId),
    'global',
  );
  const role = out.Role;
  if (!role?.Arn || !role.RoleId) throw new Error(`role ${roleName} not found`);
  if (!trustsEc2(role.AssumeRolePolicyDocument)) {
    throw new Error(`role ${roleName} does not trust ec2.amazonaws.com`);
  }
  const now = cloud.now();
  const record = cloud.credentials.issue(
    accountId,
    {
      type: 'session',
      roleName,
      roleArn: role.Arn,
      roleId: role.RoleId,
      roleSessionName: instanceId,
      sessionPolicies: [],
      sessionTags: {},
      transitiveTagKeys: [],
      chained: false,
    },
    now,
    now + ttlMs,
  );
  cloud.markChanged();
  return {
    accessKeyId: record.accessKeyId,
    secretAccessKey: record.secretAccessKey,
    sessionToken: record.sessionToken ?? '',
    issuedAt: now,
    expiresAt: now + ttlMs,
  };
}
