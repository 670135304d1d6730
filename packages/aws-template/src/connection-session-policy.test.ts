/**
 * A query's session policy, evaluated with @ferry/iam as AWS intersects it with a role that
 * allows more: reads under the connection's prefix pass; a read outside it, a list of
 * another folder, a write (even under the connection's write prefix) and another bucket are
 * denied.
 */
import { evaluate, parsePolicy, type PolicyDocument, type RequestContext } from '@ferry/iam';
import { describe, expect, it } from 'vitest';
import {
  connectionReadSessionPolicy,
  connectionWriteSessionPolicy,
} from './connection-session-policy.ts';

const ACCOUNT = '210987654321';
const principal = {
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ferry-sales/user-u1`,
  principalArn: `arn:aws:iam::${ACCOUNT}:role/ferry-sales`,
  accountId: ACCOUNT,
};
/** A role whose owner granted far more than the connection needs. */
const generousRole: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:*'], Resource: ['*'] }],
};

function decision(
  session: PolicyDocument,
  action: string,
  resource: string,
  context: RequestContext = {},
): string {
  return evaluate({
    principal,
    action,
    resource,
    resourceAccount: ACCOUNT,
    context,
    identityPolicies: [{ name: 'inline:ferry-connection', document: generousRole }],
    sessionPolicies: [{ name: 'session', document: session }],
  }).decision;
}

describe('a query’s session policy', () => {
  const session = connectionReadSessionPolicy({ bucket: 'sales-data', prefix: 'events/' });

  it('is a valid policy of reads only', () => {
    expect(parsePolicy(session, 'identity')).toMatchObject({ ok: true });
    expect(session.Statement.flatMap((s) => s.Action)).toEqual(['s3:ListBucket', 's3:GetObject']);
  });

  it('lets the session read under the prefix only, whatever the role allows', () => {
    const obj = (key: string) => `arn:aws:s3:::sales-data/${key}`;
    expect(decision(session, 's3:GetObject', obj('events/2026/a.parquet'))).toBe('Allowed');
    expect(
      decision(session, 's3:ListBucket', 'arn:aws:s3:::sales-data', {
        's3:prefix': 'events/2026/',
      }),
    ).toBe('Allowed');
    expect(decision(session, 's3:GetObject', obj('private/b.parquet'))).toBe('ImplicitlyDenied');
    expect(decision(session, 's3:GetObject', obj('events-private/c.parquet'))).toBe(
      'ImplicitlyDenied',
    );
    expect(
      decision(session, 's3:ListBucket', 'arn:aws:s3:::sales-data', { 's3:prefix': 'private/' }),
    ).toBe('ImplicitlyDenied');
    expect(decision(session, 's3:PutObject', obj('events/x.parquet'))).toBe('ImplicitlyDenied');
    expect(decision(session, 's3:PutObject', obj('landed/x.parquet'))).toBe('ImplicitlyDenied');
    expect(decision(session, 's3:DeleteObject', obj('events/2026/a.parquet'))).toBe(
      'ImplicitlyDenied',
    );
    expect(decision(session, 's3:GetObject', 'arn:aws:s3:::other-bucket/events/a')).toBe(
      'ImplicitlyDenied',
    );
  });

  it('reads the whole bucket when the connection has no prefix, still only reads', () => {
    const whole = connectionReadSessionPolicy({ bucket: 'sales-data' }, 'aws-cn');
    expect(JSON.stringify(whole)).toContain('arn:aws-cn:s3:::sales-data/*');
    const cn = (key: string) => `arn:aws-cn:s3:::sales-data/${key}`;
    const d = (action: string, resource: string) =>
      evaluate({
        principal,
        action,
        resource,
        resourceAccount: ACCOUNT,
        context: {},
        identityPolicies: [{ name: 'role', document: generousRole }],
        sessionPolicies: [{ name: 'session', document: whole }],
      }).decision;
    expect(d('s3:GetObject', cn('anything/a'))).toBe('Allowed');
    expect(d('s3:PutObject', cn('anything/a'))).toBe('ImplicitlyDenied');
  });
});

describe('a landing’s session policy', () => {
  const session = connectionWriteSessionPolicy({
    bucket: 'sales-data',
    prefix: 'landed/ing_1/',
  });
  const obj = (key: string) => `arn:aws:s3:::sales-data/${key}`;

  it('is a valid policy of uploads only', () => {
    expect(parsePolicy(session, 'identity')).toMatchObject({ ok: true });
    expect(session.Statement.flatMap((s) => s.Action)).toEqual([
      's3:PutObject',
      's3:AbortMultipartUpload',
    ]);
  });

  it('lets the session write under its folder only, whatever the role allows', () => {
    expect(decision(session, 's3:PutObject', obj('landed/ing_1/shard=a/1.parquet'))).toBe(
      'Allowed',
    );
    expect(decision(session, 's3:AbortMultipartUpload', obj('landed/ing_1/x'))).toBe('Allowed');
    expect(decision(session, 's3:PutObject', obj('landed/ing_2/x.parquet'))).toBe(
      'ImplicitlyDenied',
    );
    expect(decision(session, 's3:PutObject', obj('landed/x.parquet'))).toBe('ImplicitlyDenied');
    expect(decision(session, 's3:PutObject', obj('events/x.parquet'))).toBe('ImplicitlyDenied');
    expect(decision(session, 's3:GetObject', obj('landed/ing_1/shard=a/1.parquet'))).toBe(
      'ImplicitlyDenied',
    );
    expect(decision(session, 's3:DeleteObject', obj('landed/ing_1/shard=a/1.parquet'))).toBe(
      'ImplicitlyDenied',
    );
    expect(decision(session, 's3:PutObject', 'arn:aws:s3:::other-bucket/landed/ing_1/x')).toBe(
      'ImplicitlyDenied',
    );
  });
});
