/**
 * The policies of a connection, evaluated with @ferry/iam: the permissions policy allows
 * exactly the registry's entries for the target's uses, inside its prefixes only; the trust
 * policy lets the platform in only with the external ID.
 */
import { evaluate, parsePolicy, type PolicyDocument, type RequestContext } from '@ferry/iam';
import { describe, expect, it } from 'vitest';
import { CONNECTION_PERMISSIONS, CONNECTION_PROBE_PREFIX } from './connection-permissions.ts';
import {
  connectionCloudFormation,
  connectionCreateRoleCommand,
  connectionPermissionsPolicy,
  connectionTrustPolicy,
  partitionOf,
  type ConnectionTarget,
} from './connection-policy.ts';

const ACCOUNT = '210987654321';
const role = `arn:aws:iam::${ACCOUNT}:role/ferry-sales`;
const principal = {
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ferry-sales/user-u1`,
  principalArn: role,
  accountId: ACCOUNT,
};

function allowed(
  policy: PolicyDocument,
  action: string,
  resource: string,
  context: RequestContext = {},
): boolean {
  return (
    evaluate({
      principal,
      action,
      resource,
      resourceAccount: ACCOUNT,
      context,
      identityPolicies: [{ name: 'inline:ferry-connection', document: policy }],
    }).decision === 'Allowed'
  );
}

describe('connection permissions policy', () => {
  const s3: ConnectionTarget = { type: 's3', bucket: 'sales-data', prefix: 'events/' };

  it('is a valid policy with one statement per registry entry of its uses', () => {
    const policy = connectionPermissionsPolicy(s3);
    expect(parsePolicy(policy, 'identity')).toMatchObject({ ok: true });
    expect(policy.Statement.map((s) => s.Action![0])).toEqual(['s3:ListBucket', 's3:GetObject']);
    const withWrite = connectionPermissionsPolicy({ ...s3, writePrefix: 'landed/' });
    expect(withWrite.Statement.map((s) => s.Action![0])).toEqual(
      CONNECTION_PERMISSIONS.filter((e) => e.use.startsWith('s3')).map((e) => e.action),
    );
  });

  it('reads only under the prefix, lists only with it', () => {
    const p = connectionPermissionsPolicy(s3);
    const bucket = 'arn:aws:s3:::sales-data';
    expect(allowed(p, 's3:GetObject', `${bucket}/events/2026/a.parquet`)).toBe(true);
    expect(allowed(p, 's3:GetObject', `${bucket}/secrets/a.parquet`)).toBe(false);
    expect(allowed(p, 's3:GetObject', `${bucket}/events-other/a`)).toBe(false);
    expect(allowed(p, 's3:ListBucket', bucket, { 's3:prefix': 'events/2026/' })).toBe(true);
    expect(allowed(p, 's3:ListBucket', bucket, { 's3:prefix': 'secrets/' })).toBe(false);
    expect(allowed(p, 's3:ListBucket', bucket)).toBe(false);
    expect(allowed(p, 's3:PutObject', `${bucket}/events/x`)).toBe(false);
    expect(allowed(p, 's3:GetObject', 'arn:aws:s3:::other-bucket/events/a')).toBe(false);
  });

  it('without a prefix reads the whole bucket', () => {
    const p = connectionPermissionsPolicy({ type: 's3', bucket: 'sales-data' });
    expect(allowed(p, 's3:ListBucket', 'arn:aws:s3:::sales-data')).toBe(true);
    expect(allowed(p, 's3:GetObject', 'arn:aws:s3:::sales-data/any/key')).toBe(true);
  });

  it('writes only under the write prefix and deletes only probe objects', () => {
    const p = connectionPermissionsPolicy({ ...s3, writePrefix: 'landed/' });
    const b = 'arn:aws:s3:::sales-data';
    expect(allowed(p, 's3:PutObject', `${b}/landed/part-1.parquet`)).toBe(true);
    expect(allowed(p, 's3:PutObject', `${b}/events/x`)).toBe(false);
    expect(allowed(p, 's3:AbortMultipartUpload', `${b}/landed/part-1.parquet`)).toBe(true);
    expect(allowed(p, 's3:DeleteObject', `${b}/landed/${CONNECTION_PROBE_PREFIX}x`)).toBe(true);
    expect(allowed(p, 's3:DeleteObject', `${b}/landed/part-1.parquet`)).toBe(false);
  });

  it('reads a Kinesis stream with exactly the reader’s calls', () => {
    const stream = `arn:aws:kinesis:eu-west-1:${ACCOUNT}:stream/clicks`;
    const p = connectionPermissionsPolicy({ type: 'kinesis', streamArn: stream });
    for (const a of [
      'kinesis:DescribeStreamSummary',
      'kinesis:ListShards',
      'kinesis:GetShardIterator',
      'kinesis:GetRecords',
    ])
      expect(allowed(p, a, stream), a).toBe(true);
    expect(allowed(p, 'kinesis:PutRecord', stream)).toBe(false);
    expect(allowed(p, 'kinesis:GetRecords', `${stream}-other`)).toBe(false);
  });

  it('renders the partition of the role', () => {
    expect(partitionOf('arn:aws-cn:iam::123456789012:role/x')).toBe('aws-cn');
    const p = connectionPermissionsPolicy({ type: 's3', bucket: 'b1' }, 'aws-us-gov');
    expect(p.Statement[0]!.Resource).toEqual(['arn:aws-us-gov:s3:::b1']);
  });
});

describe('connection trust policy', () => {
  const trust = connectionTrustPolicy({
    principalArn: 'arn:aws:iam::111122223333:user/ferry-platform',
    externalId: 'ferry-abc',
    workspaceId: 'ws_1',
  });
  const assume = (externalId?: string) =>
    evaluate({
      principal: {
        arn: 'arn:aws:iam::111122223333:user/ferry-platform',
        principalArn: 'arn:aws:iam::111122223333:user/ferry-platform',
        accountId: '111122223333',
      },
      action: 'sts:AssumeRole',
      resource: role,
      resourceAccount: ACCOUNT,
      context: externalId === undefined ? {} : { 'sts:ExternalId': externalId },
      // The platform's own policy allows the call; the trust policy decides.
      identityPolicies: [
        {
          name: 'inline:platform',
          document: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: ['*'] }],
          },
        },
      ],
      resourcePolicy: { name: 'trust-policy', document: trust },
    }).decision;

  it('lets the platform in with the external ID only', () => {
    expect(parsePolicy(trust, 'trust')).toMatchObject({ ok: true });
    expect(assume('ferry-abc')).toBe('Allowed');
    expect(assume()).not.toBe('Allowed');
    expect(assume('ferry-other')).not.toBe('Allowed');
  });

  it('comes as a CloudFormation template and as aws iam commands', () => {
    const permissions = connectionPermissionsPolicy({ type: 's3', bucket: 'b1' });
    const cfn = connectionCloudFormation({
      roleName: 'ferry-sales',
      trust,
      permissions,
      description: 'x',
    });
    expect(JSON.stringify(cfn)).toContain('"AssumeRolePolicyDocument"');
    const cmd = connectionCreateRoleCommand({ roleName: 'ferry-sales', trust, permissions });
    expect(cmd).toContain('aws iam create-role --role-name');
    expect(cmd).toContain('aws iam put-role-policy');
    expect(cmd).toContain(JSON.stringify(permissions));
  });
});
