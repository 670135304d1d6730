import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePolicy } from './parse-policy.ts';
import type { PolicyProblem } from './types.ts';

function problems(
  input: unknown,
  kind: 'identity' | 'resource' | 'trust' = 'identity',
): PolicyProblem[] {
  const r = parsePolicy(input, kind);
  return r.ok ? [] : r.problems;
}

const allowS3 = {
  Version: '2012-10-17',
  Statement: { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' },
};

describe('parsePolicy', () => {
  it('normalises single values to arrays and keeps the version', () => {
    const r = parsePolicy(JSON.stringify(allowS3), 'identity');
    expect(r).toEqual({
      ok: true,
      policy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::b/*'] }],
      },
    });
  });

  it('accepts the AWS documentation example with conditions and variables', () => {
    // IAM User Guide, "IAM policy elements: Variables and tags".
    const r = parsePolicy(
      {
        Version: '2012-10-17',
        Statement: [
          {
            Action: ['s3:ListBucket'],
            Effect: 'Allow',
            Resource: ['arn:aws:s3:::amzn-s3-demo-bucket'],
            Condition: { StringLike: { 's3:prefix': ['${aws:username}/*'] } },
          },
          {
            Action: ['s3:GetObject', 's3:PutObject'],
            Effect: 'Allow',
            Resource: ['arn:aws:s3:::amzn-s3-demo-bucket/${aws:username}/*'],
          },
        ],
      },
      'identity',
    );
    expect(r.ok).toBe(true);
  });

  it('reports bad JSON', () => {
    expect(problems('{"Version": ')).toEqual([
      { path: '', message: expect.stringMatching(/^not valid JSON/) as string },
    ]);
  });

  it('reports unknown keys, bad Effect and a missing Statement with their paths', () => {
    expect(problems({ Version: '2012-10-17', Statment: [] })).toEqual([
      { path: 'Statment', message: 'unknown policy element "Statment"' },
      { path: 'Statement', message: 'is required' },
    ]);
    expect(
      problems({
        Version: '2012-10-17',
        Statement: [{ Effect: 'allow', Action: '*', Resource: '*', Actions: 'x' }],
      }),
    ).toEqual([
      { path: 'Statement[0].Actions', message: 'unknown statement element "Actions"' },
      { path: 'Statement[0].Effect', message: 'must be "Allow" or "Deny", got string "allow"' },
    ]);
  });

  it('rejects unknown actions and service prefixes, accepts wildcards that match', () => {
    const doc = (Action: string[]): unknown => ({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action, Resource: '*' }],
    });
    expect(problems(doc(['ec2:Describe*', 'EC2:describeinstances', 's3:*', '*']))).toEqual([]);
    expect(problems(doc(['ec2:Descibe*', 'ecc2:RunInstances', 'RunInstances']))).toEqual([
      { path: 'Statement[0].Action[0]', message: '"ec2:Descibe*" matches no action AWS documents' },
      {
        path: 'Statement[0].Action[1]',
        message: 'unknown service prefix "ecc2" in "ecc2:RunInstances"',
      },
      {
        path: 'Statement[0].Action[2]',
        message: '"RunInstances" is not an action: expected "service:Action" or "*"',
      },
    ]);
  });

  it('rejects malformed ARNs in Resource', () => {
    const p = problems({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 's3:GetObject', Resource: ['arn:aws:s3:b', 'bucket'] },
      ],
    });
    expect(p.map((x) => x.path)).toEqual(['Statement[0].Resource[0]', 'Statement[0].Resource[1]']);
  });

  it('enforces Principal rules per policy kind', () => {
    const withPrincipal = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: '111122223333' },
          Action: 's3:GetObject',
          Resource: '*',
        },
      ],
    };
    expect(problems(withPrincipal, 'identity')).toEqual([
      {
        path: 'Statement[0].Principal',
        message: 'is not allowed in an identity policy (it is implied by the attachment)',
      },
    ]);
    expect(problems(withPrincipal, 'resource')).toEqual([]);
    expect(problems(allowS3, 'resource')).toEqual([
      {
        path: 'Statement.Principal',
        message: 'is required in a resource policy (or NotPrincipal)',
      },
    ]);
  });

  it('checks trust policies: STS actions only, no Resource', () => {
    const trust = (Action: string, extra: object = {}): unknown => ({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action, ...extra },
      ],
    });
    expect(problems(trust('sts:AssumeRole'), 'trust')).toEqual([]);
    expect(problems(trust('sts:TagSession'), 'trust')).toEqual([]);
    expect(problems(trust('s3:GetObject'), 'trust').map((p) => p.path)).toEqual([
      'Statement[0].Action',
    ]);
    expect(problems(trust('sts:AssumeRole', { Resource: '*' }), 'trust')).toEqual([
      { path: 'Statement[0].Resource', message: 'is not allowed in a trust policy' },
    ]);
  });

  it('rejects unknown operators and values of the wrong type', () => {
    const p = problems({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: '*',
          Condition: {
            StringEqualz: { 'aws:username': 'a' },
            NumericLessThan: { 'aws:MultiFactorAuthAge': 'one hour' },
            DateGreaterThan: { 'aws:CurrentTime': '2020-13-45' },
            IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '10.0.0.0/33', '2001:db8::/32'] },
            Bool: { 'aws:SecureTransport': 'yes' },
            Null: { 'aws:TokenIssueTime': 'maybe' },
            StringLike: { 'source ip': '*' },
          },
        },
      ],
    });
    expect(p.map((x) => x.path)).toEqual([
      'Statement[0].Condition.StringEqualz',
      'Statement[0].Condition.NumericLessThan["aws:MultiFactorAuthAge"]',
      'Statement[0].Condition.DateGreaterThan["aws:CurrentTime"]',
      'Statement[0].Condition.IpAddress["aws:SourceIp"][1]',
      'Statement[0].Condition.Bool["aws:SecureTransport"]',
      'Statement[0].Condition.Null["aws:TokenIssueTime"]',
      'Statement[0].Condition.StringLike["source ip"]',
    ]);
    expect(p[1]!.message).toBe('"one hour" is not a number (required by NumericLessThan)');
  });

  it('accepts OIDC condition keys of federated trust policies', () => {
    // IAM User Guide, IAM roles for service accounts (EKS): the provider host is the prefix.
    const trust = {
      Version: '2012-10-17',
      Statement: {
        Effect: 'Allow',
        Principal: {
          Federated:
            'arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EX',
        },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            'oidc.eks.us-east-1.amazonaws.com/id/EX:sub': 'system:serviceaccount:ns:sa',
          },
        },
      },
    };
    expect(problems(trust, 'trust')).toEqual([]);
  });

  it('accepts numbers and booleans as condition values and keeps them as strings', () => {
    const r = parsePolicy(
      {
        Version: '2012-10-17',
        Statement: {
          Effect: 'Deny',
          NotAction: 'iam:*',
          NotResource: 'arn:aws:iam::*:role/x',
          Condition: {
            BoolIfExists: { 'aws:MultiFactorAuthPresent': false },
            'ForAnyValue:NumericLessThan': { 's3:max-keys': [10, '20'] },
          },
        },
      },
      'identity',
    );
    expect(r.ok && r.policy.Statement[0]!.Condition).toEqual({
      BoolIfExists: { 'aws:MultiFactorAuthPresent': ['false'] },
      'ForAnyValue:NumericLessThan': { 's3:max-keys': ['10', '20'] },
    });
  });

  it('rejects duplicate Sids and a missing Action', () => {
    expect(
      problems({
        Version: '2012-10-17',
        Statement: [
          { Sid: 'A', Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
          { Sid: 'A', Effect: 'Allow', Resource: '*' },
          { Sid: 'A', Effect: 'Allow', Action: 's3:PutObject', Resource: '*' },
        ],
      }),
    ).toEqual([
      { path: 'Statement[1].Action', message: 'is required (or NotAction)' },
      { path: 'Statement[2].Sid', message: 'duplicate Sid "A" (also Statement[0])' },
    ]);
  });
});

describe('parsePolicy: properties', () => {
  const valueArb = fc.oneof(
    fc.constantFrom('a', 'b'),
    fc.array(fc.constantFrom('a', 'b'), { minLength: 1, maxLength: 3 }),
  );
  const docArb = fc.record({
    Version: fc.constantFrom('2012-10-17', '2008-10-17'),
    Statement: fc.array(
      fc.record({
        Effect: fc.constantFrom('Allow', 'Deny'),
        Action: fc.oneof(
          fc.constantFrom('s3:GetObject', 'ec2:*'),
          fc.constant(['sqs:Send*', 'iam:PassRole']),
        ),
        Resource: fc.oneof(
          fc.constant('*'),
          fc.constant(['arn:aws:s3:::b/*', 'arn:aws:iam::*:role/x']),
        ),
        Condition: fc.record({ StringLike: fc.record({ 'aws:PrincipalTag/team': valueArb }) }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  });

  it('property: parsing is idempotent, as text or as an object', () => {
    fc.assert(
      fc.property(docArb, (doc) => {
        const once = parsePolicy(JSON.stringify(doc), 'identity');
        expect(once.ok).toBe(true);
        if (!once.ok) return;
        expect(parsePolicy(once.policy, 'identity')).toEqual(once);
        expect(parsePolicy(doc, 'identity')).toEqual(once);
      }),
      { seed: 13, numRuns: 200 },
    );
  });

  it('property: any unknown statement element is reported at its path', () => {
    fc.assert(
      fc.property(
        docArb,
        fc
          .stringMatching(/^[A-Za-z]{1,12}$/)
          .filter(
            (k) =>
              ![
                'Sid',
                'Effect',
                'Principal',
                'NotPrincipal',
                'Action',
                'NotAction',
                'Resource',
                'NotResource',
                'Condition',
              ].includes(k),
          ),
        (doc, key) => {
          const bad = {
            ...doc,
            Statement: doc.Statement.map((s, i) => (i === 0 ? { ...s, [key]: 'x' } : s)),
          };
          const r = parsePolicy(bad, 'identity');
          expect(r.ok).toBe(false);
          if (!r.ok)
            expect(r.problems).toContainEqual({
              path: `Statement[0].${key}`,
              message: `unknown statement element "${key}"`,
            });
        },
      ),
      { seed: 14, numRuns: 200 },
    );
  });
});
