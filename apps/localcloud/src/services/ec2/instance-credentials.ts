/**
 * Temporary credentials of an instance profile's role, as EC2 obtains them for IMDS: a
 * session of the role named after the instance (minted by STS), served only if the role
 * trusts ec2.amazonaws.com.
 */
import type { Cloud } from '../../core/contract.ts';
import { findInstanceProfile, roleOfInstanceProfile } from '../iam/iam-lookups.ts';
import { mintInstanceProfileCredentials } from '../sts/instance-credentials.ts';

export interface InstanceCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  issuedAt: number;
  expiresAt: number;
}

function asArray(v: unknown): unknown[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** True when an Allow statement of the trust policy lets ec2.amazonaws.com call sts:AssumeRole. */
export function trustsEc2(document: string | undefined): boolean {
  if (!document) return false;
  let parsed: { Statement?: unknown };
  try {
    const text = /^%7b/i.test(document) ? decodeURIComponent(document) : document;
    parsed = JSON.parse(text) as { Statement?: unknown };
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
 * Mints credentials of the profile's role on behalf of an instance. Throws when the profile
 * or role is gone or the role does not trust EC2: the instance then gets no credentials,
 * as in AWS.
 */
export function mintInstanceCredentials(
  cloud: Cloud,
  accountId: string,
  instanceProfileArn: string,
  instanceId: string,
  ttlMs: number,
): InstanceCredentials {
  const profile = findInstanceProfile(cloud, accountId, instanceProfileArn);
  const role = profile ? roleOfInstanceProfile(cloud, profile) : undefined;
  if (!profile || !role) throw new Error(`instance profile ${instanceProfileArn} has no role`);
  if (!trustsEc2(role.assumeRolePolicyDocument)) {
    throw new Error(`role ${role.roleName} does not trust ec2.amazonaws.com`);
  }
  const c = mintInstanceProfileCredentials(cloud, {
    accountId,
    instanceProfile: instanceProfileArn,
    instanceId,
    durationSeconds: Math.max(900, Math.round(ttlMs / 1000)),
  });
  cloud.markChanged();
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.Token,
    issuedAt: Date.parse(c.LastUpdated),
    expiresAt: Date.parse(c.Expiration),
  };
}
