/**
 * The policies a data owner copies for one connection, rendered from the connection
 * registry: the role's trust policy (ferry's platform principal, only with the
 * connection's external ID), its least permissions policy for the connection's type and
 * options, the same as a small CloudFormation template, and as `aws iam` commands.
 */
import type { PolicyDocument, Statement } from '@ferry/iam';
import { TAG_WORKSPACE } from './permission-registry.ts';
import {
  CONNECTION_PERMISSIONS,
  type ConnectionPermissionEntry,
  type ConnectionUse,
} from './connection-permissions.ts';

/** What a connection reads (and writes). */
export type ConnectionTarget =
  | { type: 's3'; bucket: string; prefix?: string | undefined; writePrefix?: string | undefined }
  | { type: 'kinesis'; streamArn: string };

/** Who may assume a connection's role. */
export interface ConnectionTrust {
  principalArn: string;
  externalId: string;
  workspaceId: string;
}

/** The uses a target needs. */
export function connectionUses(target: ConnectionTarget): ConnectionUse[] {
  if (target.type === 'kinesis') return ['kinesis-read'];
  return target.writePrefix !== undefined ? ['s3-read', 's3-write'] : ['s3-read'];
}

/** The partition of an ARN (`aws`, `aws-cn`, `aws-us-gov`), `aws` when none is given. */
export function partitionOf(arn: string | undefined): string {
  return /^arn:(aws[a-z-]*):/.exec(arn ?? '')?.[1] ?? 'aws';
}

function fill(pattern: string, values: Record<string, string>): string {
  return pattern.replace(/\$\{([A-Za-z]+)\}/g, (all, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`no value for ${all} in "${pattern}"`);
    return v;
  });
}

function valuesOf(target: ConnectionTarget, partition: string): Record<string, string> {
  if (target.type === 'kinesis') return { Partition: partition, StreamArn: target.streamArn };
  return {
    Partition: partition,
    Bucket: target.bucket,
    ReadPrefix: target.prefix ?? '',
    WritePrefix: target.writePrefix ?? '',
  };
}

const sidOf = (action: string): string =>
  action
    .split(':')[1]!
    .replace(/[^A-Za-z0-9]/g, '')
    .replace(/^./, (c) => c.toUpperCase());

/** The statement that grants one registry entry for this target. */
export function connectionStatement(
  entry: ConnectionPermissionEntry,
  target: ConnectionTarget,
  partition = 'aws',
): Statement {
  const values = valuesOf(target, partition);
  const prefixed = target.type === 's3' && (target.prefix ?? '') !== '';
  const conditions = prefixed ? entry.conditionsWithPrefix : undefined;
  return {
    Sid: sidOf(entry.action),
    Effect: 'Allow',
    Action: [entry.action],
    Resource: entry.resources.map((r) => fill(r, values)),
    ...(conditions
      ? {
          Condition: Object.fromEntries(
            Object.entries(conditions).map(([op, keys]) => [
              op,
              Object.fromEntries(
                Object.entries(keys).map(([k, v]) => [
                  k,
                  (Array.isArray(v) ? v : [v]).map((x) =>
                    fill(typeof x === 'string' ? x : JSON.stringify(x), values),
                  ),
                ]),
              ),
            ]),
          ),
        }
      : {}),
  };
}

/** The entries a target's policy grants, in registry order. */
export function connectionPolicyEntries(target: ConnectionTarget): ConnectionPermissionEntry[] {
  const uses = connectionUses(target);
  return CONNECTION_PERMISSIONS.filter((e) => uses.includes(e.use));
}

/**
 * The least permissions policy of a connection: one statement per action, so the owner
 * (and the connection test's answer) can point at exactly the statement a check needs.
 */
export function connectionPermissionsPolicy(
  target: ConnectionTarget,
  partition = 'aws',
): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: connectionPolicyEntries(target).map((e) =>
      connectionStatement(e, target, partition),
    ),
  };
}

/**
 * The trust policy: ferry's platform principal may assume the role only with the
 * connection's external ID (no confused deputy), tag the session with its workspace (the
 * credential broker does) and name the acting user as the source identity.
 */
export function connectionTrustPolicy(trust: ConnectionTrust): PolicyDocument {
  const principal = { AWS: [trust.principalArn] };
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'FerryAssumeWithExternalId',
        Effect: 'Allow',
        Principal: principal,
        Action: ['sts:AssumeRole'],
        Condition: { StringEquals: { 'sts:ExternalId': [trust.externalId] } },
      },
      {
        Sid: 'FerryTagSession',
        Effect: 'Allow',
        Principal: principal,
        Action: ['sts:TagSession'],
        Condition: {
          StringEquals: { [`aws:RequestTag/${TAG_WORKSPACE}`]: [trust.workspaceId] },
        },
      },
      {
        Sid: 'FerrySourceIdentity',
        Effect: 'Allow',
        Principal: principal,
        Action: ['sts:SetSourceIdentity'],
      },
    ],
  };
}

/** The name of the inline policy ferry's instructions give the role. */
export const CONNECTION_POLICY_NAME = 'ferry-connection';

/** A CloudFormation template creating the role with both policies. */
export function connectionCloudFormation(input: {
  roleName: string;
  trust: PolicyDocument;
  permissions: PolicyDocument;
  description: string;
}): Record<string, unknown> {
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: input.description,
    Resources: {
      ConnectionRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: input.roleName,
          AssumeRolePolicyDocument: input.trust,
          Policies: [{ PolicyName: CONNECTION_POLICY_NAME, PolicyDocument: input.permissions }],
        },
      },
    },
    Outputs: { RoleArn: { Value: { 'Fn::GetAtt': ['ConnectionRole', 'Arn'] } } },
  };
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** `aws iam create-role …` and `aws iam put-role-policy …`, ready to paste. */
export function connectionCreateRoleCommand(input: {
  roleName: string;
  trust: PolicyDocument;
  permissions: PolicyDocument;
}): string {
  return [
    `aws iam create-role --role-name ${shellQuote(input.roleName)} \\`,
    `  --assume-role-policy-document ${shellQuote(JSON.stringify(input.trust))}`,
    `aws iam put-role-policy --role-name ${shellQuote(input.roleName)} \\`,
    `  --policy-name ${CONNECTION_POLICY_NAME} \\`,
    `  --policy-document ${shellQuote(JSON.stringify(input.permissions))}`,
  ].join('\n');
}
