/**
 * Role credentials for an EC2 instance profile, as the instance metadata service hands them
 * out (`/latest/meta-data/iam/security-credentials/ROLE`).
 */
import type { Cloud } from '../../core/contract.ts';
import { AwsError } from '../../core/contract.ts';
import { findInstanceProfile, roleOfInstanceProfile } from '../iam/iam-lookups.ts';
import { issueSession } from './assume-role.ts';

/** Lifetime of instance-profile credentials; IMDS refreshes them well before expiry. */
export const INSTANCE_CREDENTIAL_SECONDS = 6 * 3600;

export interface InstanceCredentials {
  roleName: string;
  roleArn: string;
  AccessKeyId: string;
  SecretAccessKey: string;
  Token: string;
  /** ISO 8601, as IMDS prints it. */
  Expiration: string;
  /** ISO 8601 */
  LastUpdated: string;
}

/**
 * Mints role session credentials for the role of an instance profile (given by name or
 * ARN in `accountId`), the session named after the instance id, as EC2 does for IMDS. The
 * credentials carry exactly the role's permissions. Throws NoSuchEntity when the profile
 * or its role is gone.
 */
export function mintInstanceProfileCredentials(
  cloud: Cloud,
  options: {
    accountId: string;
    instanceProfile: string;
    instanceId: string;
    durationSeconds?: number;
  },
): InstanceCredentials {
  const profile = findInstanceProfile(cloud, options.accountId, options.instanceProfile);
  if (!profile)
    throw new AwsError(
      'NoSuchEntity',
      `Instance Profile ${options.instanceProfile} cannot be found.`,
      404,
    );
  const role = roleOfInstanceProfile(cloud, profile);
  if (!role)
    throw new AwsError('NoSuchEntity', `Instance Profile ${profile.name} has no role.`, 404);
  const record = issueSession(cloud, {
    role,
    roleSessionName: options.instanceId,
    durationSeconds: options.durationSeconds ?? INSTANCE_CREDENTIAL_SECONDS,
    policies: [],
    tags: {},
    transitiveTagKeys: [],
    chained: false,
  });
  return {
    roleName: role.roleName,
    roleArn: role.arn,
    AccessKeyId: record.accessKeyId,
    SecretAccessKey: record.secretAccessKey,
    Token: record.sessionToken ?? '',
    Expiration: new Date(record.expiresAt ?? 0).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    LastUpdated: new Date(record.createdAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}
