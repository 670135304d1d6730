import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluate } from './evaluate.ts';
import { parsePolicy } from './parse-policy.ts';
import type {
  EvaluationRequest,
  NamedPolicy,
  PolicyKind,
  RequestContext,
  RequestPrincipal,
} from './types.ts';

function policy(name: string, doc: unknown, kind: PolicyKind = 'identity'): NamedPolicy {
  const r = parsePolicy(doc, kind);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return { name, document: r.policy };
}

const alice: RequestPrincipal = {
  arn: 'arn:aws:iam::111111111111:user/alice',
  principalArn: 'arn:aws:iam::111111111111:user/alice',
  accountId: '111111111111',
};
const session: RequestPrincipal = {
  arn: 'arn:aws:sts::111111111111:assumed-role/Worker/i-123',
  principalArn: 'arn:aws:iam::111111111111:role/Worker',
  accountId: '111111111111',
};
const bob: RequestPrincipal = {
  arn: 'arn:aws:iam::222222222222:user/bob',
  principalArn: 'arn:aws:iam::222222222222:user/bob',
  accountId: '222222222222',
};

function request(
  over: Partial<EvaluationRequest> & { identityPolicies: NamedPolicy[] },
  context: RequestContext = {},
): EvaluationRequest {
  return {
    principal: alice,
    action: 's3:GetObject',
    resource: 'arn:aws:s3:::bucket/key',
    resourceAccount: '111111111111',
    context,
    ...over,
  };
}

const allow = (
  Action: string | string[],
  Resource: string | string[],
  extra: object = {},
): unknown => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action, Resource, ...extra }],
});

describe('evaluate', () => {
  it('implicitly denies when nothing allows', () => {
    const d = evaluate(request({ identityPolicies: [] }));
    expect(d.decision).toBe('ImplicitlyDenied');
    expect(d.statements).toEqual([]);
    expect(d.reason).toBe(
      's3:GetObject on arn:aws:s3:::bucket/key was implicitly denied: no statement in [none] allows it',
    );
  });

  it('allows through an identity policy and reports the statement', () => {
    const d = evaluate(
      request({ identityPolicies: [policy('p', allow('s3:Get*', 'arn:aws:s3:::bucket/*'))] }),
    );
    expect(d.decision).toBe('Allowed');
    expect(d.statements).toEqual([{ policy: 'p', source: 'identity', index: 0, effect: 'Allow' }]);
  });

  it('matches actions case-insensitively and resources case-sensitively', () => {
    const p = policy('p', allow('S3:getobject', 'arn:aws:s3:::Bucket/*'));
    expect(evaluate(request({ identityPolicies: [p] })).decision).toBe('ImplicitlyDenied');
    expect(
      evaluate(request({ identityPolicies: [p], resource: 'arn:aws:s3:::Bucket/k' })).decision,
    ).toBe('Allowed');
  });

  it('lets an explicit deny win over any allow', () => {
    const d = evaluate(
      request({
        identityPolicies: [
          policy('allow-all', allow('*', '*')),
          policy('deny', {
            Version: '2012-10-17',
            Statement: [
              { Sid: 'Other', Effect: 'Deny', Action: 'ec2:*', Resource: '*' },
              { Sid: 'DenyGet', Effect: 'Deny', Action: 's3:GetObject', Resource: '*' },
            ],
          }),
        ],
      }),
    );
    expect(d.decision).toBe('ExplicitlyDenied');
    expect(d.statements).toEqual([
      { policy: 'deny', source: 'identity', index: 1, sid: 'DenyGet', effect: 'Deny' },
    ]);
    expect(d.reason).toContain("statement 'DenyGet' (index 1) of identity policy deny");
  });

  it('supports NotAction and NotResource', () => {
    const p = policy('p', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', NotAction: 'iam:*', NotResource: 'arn:aws:s3:::secret/*' }],
    });
    expect(evaluate(request({ identityPolicies: [p] })).decision).toBe('Allowed');
    expect(
      evaluate(request({ identityPolicies: [p], resource: 'arn:aws:s3:::secret/k' })).decision,
    ).toBe('ImplicitlyDenied');
    expect(
      evaluate(request({ identityPolicies: [p], action: 'iam:CreateUser', resource: '*' }))
        .decision,
    ).toBe('ImplicitlyDenied');
  });

  describe('resource policies', () => {
    const bucketPolicy = (AWS: string): NamedPolicy =>
      policy(
        'bucket-policy',
        {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS },
              Action: 's3:GetObject',
              Resource: 'arn:aws:s3:::bucket/*',
            },
          ],
        },
        'resource',
      );

    it('same account: a grant naming the user allows without an identity policy', () => {
      const d = evaluate(
        request({ identityPolicies: [], resourcePolicy: bucketPolicy(alice.arn) }),
      );
      expect(d.decision).toBe('Allowed');
      expect(d.statements[0]!.source).toBe('resource');
    });

    it('same account: a grant to the account root still needs an identity policy', () => {
      const d = evaluate(
        request({
          identityPolicies: [],
          resourcePolicy: bucketPolicy('arn:aws:iam::111111111111:root'),
        }),
      );
      expect(d.decision).toBe('ImplicitlyDenied');
      expect(d.reason).toContain('grants it to account 111111111111');
    });

    it('cross account: needs both the identity and the resource policy', () => {
      const identity = policy('p', allow('s3:GetObject', '*'));
      const base = { principal: bob, identityPolicies: [identity] };
      expect(evaluate(request(base)).decision).toBe('ImplicitlyDenied');
      expect(evaluate(request(base)).reason).toContain('needs a resource policy');
      expect(
        evaluate(request({ ...base, resourcePolicy: bucketPolicy('222222222222') })).decision,
      ).toBe('Allowed');
      expect(
        evaluate(request({ ...base, identityPolicies: [], resourcePolicy: bucketPolicy(bob.arn) }))
          .decision,
      ).toBe('ImplicitlyDenied');
    });

    it('a role ARN principal matches the sessions of that role', () => {
      const d = evaluate(
        request({
          principal: session,
          identityPolicies: [],
          resourcePolicy: bucketPolicy('arn:aws:iam::111111111111:role/Worker'),
        }),
      );
      expect(d.decision).toBe('Allowed');
    });

    it('trust policy: the role account owns the resource of sts:AssumeRole', () => {
      const trust = policy(
        'trust-policy',
        {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: 'arn:aws:iam::222222222222:root' },
              Action: 'sts:AssumeRole',
              Condition: { StringEquals: { 'sts:ExternalId': 'ext-1' } },
            },
          ],
        },
        'trust',
      );
      const base = {
        principal: bob,
        action: 'sts:AssumeRole',
        resource: 'arn:aws:iam::111111111111:role/Ferry',
        resourceAccount: undefined,
        identityPolicies: [policy('p', allow('sts:AssumeRole', '*'))],
        resourcePolicy: trust,
      };
      expect(evaluate(request(base, { 'sts:ExternalId': 'ext-1' })).decision).toBe('Allowed');
      expect(evaluate(request(base, { 'sts:ExternalId': 'ext-2' })).decision).toBe(
        'ImplicitlyDenied',
      );
      expect(
        evaluate(request({ ...base, identityPolicies: [] }, { 'sts:ExternalId': 'ext-1' }))
          .decision,
      ).toBe('ImplicitlyDenied');
    });

    it('service principals are granted by the resource policy alone', () => {
      const trust = policy(
        'trust',
        {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'ec2.amazonaws.com' },
              Action: 'sts:AssumeRole',
            },
          ],
        },
        'trust',
      );
      const ec2: RequestPrincipal = {
        arn: '',
        principalArn: '',
        accountId: '',
        service: 'ec2.amazonaws.com',
      };
      const base = {
        principal: ec2,
        action: 'sts:AssumeRole',
        resource: 'arn:aws:iam::111111111111:role/Worker',
        identityPolicies: [],
        resourcePolicy: trust,
      };
      expect(evaluate(request(base)).decision).toBe('Allowed');
      expect(
        evaluate(request({ ...base, principal: { ...ec2, service: 'lambda.amazonaws.com' } }))
          .decision,
      ).toBe('ImplicitlyDenied');
    });
  });

  describe('session policies', () => {
    const identity = policy('role-policy', allow('s3:*', '*'));
    const narrow = policy('session', allow('s3:PutObject', '*'));

    it('narrow what identity policies allow', () => {
      const base = { principal: session, identityPolicies: [identity] };
      expect(evaluate(request(base)).decision).toBe('Allowed');
      const d = evaluate(request({ ...base, sessionPolicies: [narrow] }));
      expect(d.decision).toBe('ImplicitlyDenied');
      expect(d.reason).toContain('session policies [session] do not allow it');
      expect(
        evaluate(request({ ...base, sessionPolicies: [narrow], action: 's3:PutObject' })).decision,
      ).toBe('Allowed');
    });

    it('do not limit a resource policy that names the session ARN', () => {
      const rp = (AWS: string): NamedPolicy =>
        policy(
          'bucket',
          {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Principal: { AWS }, Action: 's3:GetObject', Resource: '*' },
            ],
          },
          'resource',
        );
      const base = { principal: session, identityPolicies: [], sessionPolicies: [narrow] };
      expect(evaluate(request({ ...base, resourcePolicy: rp(session.arn) })).decision).toBe(
        'Allowed',
      );
      expect(
        evaluate(request({ ...base, resourcePolicy: rp(session.principalArn) })).decision,
      ).toBe('ImplicitlyDenied');
    });
  });
});

describe('evaluate: trust policies and variables', () => {
  const trust = (AWS: string): NamedPolicy =>
    policy(
      'trust-policy',
      {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS }, Action: 'sts:AssumeRole' }],
      },
      'trust',
    );
  const assume = (over: Partial<EvaluationRequest>): EvaluationRequest => ({
    principal: alice,
    action: 'sts:AssumeRole',
    resource: 'arn:aws:iam::111111111111:role/Target',
    context: {},
    identityPolicies: [policy('p', allow('sts:AssumeRole', '*'))],
    ...over,
  });

  it('a trust policy must allow the caller even within the account', () => {
    const d = evaluate(assume({ resourcePolicy: trust('arn:aws:iam::111111111111:role/Other') }));
    expect(d.decision).toBe('ImplicitlyDenied');
    expect(d.reason).toContain('it alone decides who may sts:AssumeRole');
    // Trusting the account delegates to the identity policy …
    expect(evaluate(assume({ resourcePolicy: trust('111111111111') })).decision).toBe('Allowed');
    expect(
      evaluate(assume({ resourcePolicy: trust('111111111111'), identityPolicies: [] })).decision,
    ).toBe('ImplicitlyDenied');
    // … naming the caller is enough on its own.
    expect(
      evaluate(assume({ resourcePolicy: trust(alice.arn), identityPolicies: [] })).decision,
    ).toBe('Allowed');
  });

  it('substitutes variables in the resource part and leaves 2008-10-17 policies literal', () => {
    const own = (Version: string): NamedPolicy =>
      policy('own', {
        Version,
        Statement: [
          {
            Effect: 'Allow',
            Action: 'dynamodb:GetItem',
            Resource: 'arn:aws:dynamodb:*:*:table/${aws:username}',
          },
        ],
      });
    const get = (resource: string, v = '2012-10-17'): string =>
      evaluate({
        principal: alice,
        action: 'dynamodb:GetItem',
        resource,
        context: {},
        identityPolicies: [own(v)],
      }).decision;
    expect(get('arn:aws:dynamodb:us-east-1:111111111111:table/alice')).toBe('Allowed');
    expect(get('arn:aws:dynamodb:us-east-1:111111111111:table/bob')).toBe('ImplicitlyDenied');
    expect(get('arn:aws:dynamodb:us-east-1:111111111111:table/alice', '2008-10-17')).toBe(
      'ImplicitlyDenied',
    );
    expect(get('arn:aws:dynamodb:us-east-1:111111111111:table/${aws:username}', '2008-10-17')).toBe(
      'Allowed',
    );
  });

  it('a NotResource variable without a value makes the statement invalid', () => {
    const deny = policy('deny', {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
        {
          Effect: 'Deny',
          Action: 's3:GetObject',
          NotResource: 'arn:aws:s3:::home/${aws:userid}/*',
        },
      ],
    });
    const d = evaluate(request({ identityPolicies: [deny], resource: 'arn:aws:s3:::home/x/k' }));
    expect(d.decision).toBe('Allowed');
    const withId = evaluate(
      request(
        { identityPolicies: [deny], resource: 'arn:aws:s3:::home/x/k' },
        { 'aws:userid': 'AIDA1' },
      ),
    );
    expect(withId.decision).toBe('ExplicitlyDenied');
  });

  it('derives aws:username, aws:PrincipalArn and aws:PrincipalAccount from the caller', () => {
    const p = policy('p', {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: '*',
          Condition: {
            StringEquals: { 'aws:username': 'alice', 'aws:PrincipalAccount': '111111111111' },
            ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:user/*' },
          },
        },
      ],
    });
    expect(evaluate(request({ identityPolicies: [p] })).decision).toBe('Allowed');
    expect(evaluate(request({ identityPolicies: [p], principal: session })).decision).toBe(
      'ImplicitlyDenied',
    );
  });
});

describe('evaluate: properties', () => {
  const statementArb = fc.record({
    Effect: fc.constantFrom('Allow', 'Allow', 'Deny'),
    Action: fc.subarray(['s3:GetObject', 's3:*', 'ec2:Describe*', '*', 'sqs:SendMessage'], {
      minLength: 1,
    }),
    Resource: fc.subarray(
      ['*', 'arn:aws:s3:::bucket/*', 'arn:aws:s3:::other/*', 'arn:aws:sqs:*:*:q'],
      {
        minLength: 1,
      },
    ),
    Condition: fc.option(
      fc.record({
        StringEquals: fc.record({ 'aws:PrincipalTag/team': fc.constantFrom('red', 'blue') }),
      }),
      { nil: undefined },
    ),
  });
  const policiesArb = fc.array(
    fc
      .array(statementArb, { minLength: 1, maxLength: 3 })
      .map((Statement) => ({ Version: '2012-10-17', Statement })),
    { maxLength: 3 },
  );
  const requestArb = fc.record({
    action: fc.constantFrom(
      's3:GetObject',
      's3:PutObject',
      'ec2:DescribeInstances',
      'sqs:SendMessage',
    ),
    resource: fc.constantFrom(
      'arn:aws:s3:::bucket/k',
      'arn:aws:s3:::other/k',
      'arn:aws:sqs:us-east-1:111111111111:q',
      '*',
    ),
    team: fc.constantFrom('red', 'blue'),
  });
  const run = (docs: unknown[], r: { action: string; resource: string; team: string }) =>
    evaluate(
      request(
        {
          identityPolicies: docs.map((d, i) => policy(`p${i}`, d)),
          action: r.action,
          resource: r.resource,
        },
        { 'aws:PrincipalTag/team': r.team },
      ),
    );

  it('property: the decision and its statements agree', () => {
    fc.assert(
      fc.property(policiesArb, requestArb, (docs, r) => {
        const d = run(docs, r);
        if (d.decision === 'ImplicitlyDenied') expect(d.statements).toEqual([]);
        else expect(d.statements.length).toBeGreaterThan(0);
        const effect = d.decision === 'Allowed' ? 'Allow' : 'Deny';
        for (const s of d.statements) expect(s.effect).toBe(effect);
      }),
      { seed: 10, numRuns: 300 },
    );
  });

  it('property: a Deny of everything always wins; an Allow of everything never takes a permission away', () => {
    const denyAll = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }],
    };
    const allowAll = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
    };
    fc.assert(
      fc.property(policiesArb, requestArb, (docs, r) => {
        expect(run([...docs, denyAll], r).decision).toBe('ExplicitlyDenied');
        const before = run(docs, r).decision;
        const after = run([...docs, allowAll], r).decision;
        expect(after).toBe(before === 'ExplicitlyDenied' ? 'ExplicitlyDenied' : 'Allowed');
      }),
      { seed: 11, numRuns: 300 },
    );
  });

  it('property: statement order and policy order do not matter', () => {
    fc.assert(
      fc.property(policiesArb, requestArb, (docs, r) => {
        const reversed = [...docs]
          .reverse()
          .map((d) => ({ ...d, Statement: [...d.Statement].reverse() }));
        expect(run(reversed, r).decision).toBe(run(docs, r).decision);
      }),
      { seed: 12, numRuns: 300 },
    );
  });
});
