/**
 * The policies a data owner copies for a connection, rendered from the connection registry
 * of `@ferry/aws-template` for its target and the platform's principal.
 */
import {
  connectionCloudFormation,
  connectionCreateRoleCommand,
  connectionPermissionsPolicy,
  connectionTrustPolicy,
  partitionOf,
  type ConnectionTarget,
} from '@ferry/aws-template';
import type { StoredConnectionTarget } from '../db/tables/index.ts';

/** The policies as the API shows them. */
export interface ConnectionPolicies {
  principalArn: string | null;
  externalId: string | null;
  roleName: string | null;
  trustPolicy: Record<string, unknown> | null;
  permissionsPolicy: Record<string, unknown>;
  cloudFormationTemplate: Record<string, unknown> | null;
  createRoleCommand: string | null;
}

/** The registry's view of a stored target (a stream's ARN is resolved when it is saved). */
export function policyTargetOf(target: StoredConnectionTarget): ConnectionTarget {
  if (target.type === 'kinesis')
    return { type: 'kinesis', streamArn: target.streamArn ?? target.stream };
  return {
    type: 's3',
    bucket: target.bucket,
    ...(target.prefix !== null ? { prefix: target.prefix } : {}),
    ...(target.writePrefix !== null ? { writePrefix: target.writePrefix } : {}),
  };
}

/** The role name of an ARN (`…:role/path/name` → `name`). */
export const roleNameOf = (roleArn: string): string => roleArn.split('/').pop() ?? roleArn;

/** Renders every form of the policies. */
export function renderConnectionPolicies(input: {
  target: StoredConnectionTarget;
  workspaceId: string;
  /** Absent for access keys: there is no role to trust anyone. */
  role?: { principalArn: string; externalId: string; roleName: string; partition?: string };
}): ConnectionPolicies {
  const partition = input.role?.partition ?? partitionOf(input.role?.principalArn);
  const permissions = connectionPermissionsPolicy(policyTargetOf(input.target), partition);
  const asRecord = (x: unknown) => x as Record<string, unknown>;
  if (input.role === undefined) {
    return {
      principalArn: null,
      externalId: null,
      roleName: null,
      trustPolicy: null,
      permissionsPolicy: asRecord(permissions),
      cloudFormationTemplate: null,
      createRoleCommand: null,
    };
  }
  const trust = connectionTrustPolicy({
    principalArn: input.role.principalArn,
    externalId: input.role.externalId,
    workspaceId: input.workspaceId,
  });
  const what =
    input.target.type === 's3'
      ? `s3://${input.target.bucket}/${input.target.prefix ?? ''}`
      : `Kinesis stream ${input.target.stream}`;
  return {
    principalArn: input.role.principalArn,
    externalId: input.role.externalId,
    roleName: input.role.roleName,
    trustPolicy: asRecord(trust),
    permissionsPolicy: asRecord(permissions),
    cloudFormationTemplate: connectionCloudFormation({
      roleName: input.role.roleName,
      trust,
      permissions,
      description: `ferry data connection: ${what}`,
    }),
    createRoleCommand: connectionCreateRoleCommand({
      roleName: input.role.roleName,
      trust,
      permissions,
    }),
  };
}
