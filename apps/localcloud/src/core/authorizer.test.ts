import type { NamedPolicy } from '@ferry/iam';
import { describe, expect, it } from 'vitest';
import { authorizeCall, decodeAuthorizationMessage, globalContext } from './authorizer.ts';
import type { Call, Caller } from './contract.ts';
import { AwsError } from './contract.ts';
import { createLogger } from './logger.ts';

const policy = (name: string, statements: object[]): NamedPolicy => ({
  name,
  document: { Version: '2012-10-17', Statement: statements } as NamedPolicy['document'],
});

const user = (identityPolicies: NamedPolicy[], accountId = '111111111111'): Caller => ({
  accountId,
  arn: `arn:aws:iam::${accountId}:user/dev`,
  principalArn: `arn:aws:iam::${accountId}:user/dev`,
  userId: 'AIDAEXAMPLEEXAMPLE1',
  kind: 'user',
  accessKeyId: 'AKIAEXAMPLE',
  identityPolicies,
  sessionPolicies: [],
  principalTags: { team: 'data' },
});

const call = (service: string, caller: Caller): Call => ({
  service,
  action: 'X',
  region: 'eu-west-1',
  input: {},
  caller,
  requestId: 'r',
  sourceIp: '127.0.0.5',
});

const log = createLogger('silent');

function denial(fn: () => void): AwsError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AwsError) return err;
    throw err;
  }
  throw new Error('expected a denial');
}

describe('authorizeCall', () => {
  it('allows by identity policy and uses global condition keys', () => {
    const caller = user([
      policy('p', [
        {
          Effect: 'Allow',
          Action: ['sqs:SendMessage'],
          Resource: ['*'],
          Condition: {
            StringEquals: {
              'aws:PrincipalTag/team': ['data'],
              'aws:RequestedRegion': ['eu-west-1'],
            },
            IpAddress: { 'aws:SourceIp': ['127.0.0.0/8'] },
          },
        },
      ]),
    ]);
    expect(() =>
      authorizeCall(
        call('sqs', caller),
        'sqs:SendMessage',
        'arn:aws:sqs:eu-west-1:111111111111:q',
        Date.now(),
        log,
      ),
    ).not.toThrow();
    const ctx = globalContext(call('sqs', caller), Date.UTC(2024, 0, 1));
    expect(ctx).toMatchObject({
      'aws:username': 'dev',
      'aws:PrincipalType': 'User',
      'aws:EpochTime': String(Date.UTC(2024, 0, 1) / 1000),
      'aws:CurrentTime': '2024-01-01T00:00:00Z',
      'aws:SecureTransport': 'false',
    });
    expect(ctx['aws:MultiFactorAuthPresent']).toBeUndefined();
  });

  it('words denials as AWS does, per service', () => {
    const caller = user([
      policy('deny', [{ Effect: 'Deny', Action: ['sns:Publish'], Resource: ['*'] }]),
    ]);
    const explicit = denial(() =>
      authorizeCall(
        call('sns', caller),
        'sns:Publish',
        'arn:aws:sns:eu-west-1:111111111111:t',
        Date.now(),
        log,
      ),
    );
    expect(explicit.code).toBe('AccessDenied');
    expect(explicit.status).toBe(403);
    expect(explicit.message).toBe(
      'User: arn:aws:iam::111111111111:user/dev is not authorized to perform: sns:Publish on resource: arn:aws:sns:eu-west-1:111111111111:t with an explicit deny in an identity-based policy',
    );
    const kinesis = denial(() =>
      authorizeCall(
        call('kinesis', caller),
        'kinesis:PutRecord',
        'arn:aws:kinesis:eu-west-1:111111111111:stream/s',
        Date.now(),
        log,
      ),
    );
    expect(kinesis.code).toBe('AccessDeniedException');
    const ec2 = denial(() =>
      authorizeCall(
        call('ec2', caller),
        'ec2:RunInstances',
        'arn:aws:ec2:eu-west-1:111111111111:instance/*',
        Date.now(),
        log,
      ),
    );
    expect(ec2.code).toBe('UnauthorizedOperation');
    const encoded = /Encoded authorization failure message: (\S+)$/.exec(ec2.message)?.[1] ?? '';
    const decoded = JSON.parse(decodeAuthorizationMessage(encoded) ?? '{}') as {
      allowed: boolean;
      context: { action: string };
    };
    expect(decoded.allowed).toBe(false);
    expect(decoded.context.action).toBe('ec2:RunInstances');
  });

  it('needs the resource policy across accounts and says so', () => {
    const caller = user([policy('all', [{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }])]);
    const queue = 'arn:aws:sqs:eu-west-1:222222222222:q';
    const noPolicy = denial(() =>
      authorizeCall(call('sqs', caller), 'sqs:SendMessage', queue, Date.now(), log, {
        resourcePolicy: policy('queue', [
          {
            Effect: 'Allow',
            Principal: { AWS: ['arn:aws:iam::333333333333:root'] },
            Action: ['sqs:SendMessage'],
            Resource: [queue],
          },
        ]),
      }),
    );
    expect(noPolicy.message).toContain(
      'because no resource-based policy allows the sqs:SendMessage action',
    );
    expect(() =>
      authorizeCall(call('sqs', caller), 'sqs:SendMessage', queue, Date.now(), log, {
        resourcePolicy: policy('queue', [
          {
            Effect: 'Allow',
            Principal: { AWS: ['arn:aws:iam::111111111111:root'] },
            Action: ['sqs:SendMessage'],
            Resource: [queue],
          },
        ]),
      }),
    ).not.toThrow();
  });

  it('lets the account root do anything in its own account only', () => {
    const root: Caller = {
      ...user([]),
      kind: 'root',
      arn: 'arn:aws:iam::111111111111:root',
      principalArn: 'arn:aws:iam::111111111111:root',
    };
    expect(() =>
      authorizeCall(
        call('iam', root),
        'iam:CreateRole',
        'arn:aws:iam::111111111111:role/r',
        Date.now(),
        log,
      ),
    ).not.toThrow();
    expect(
      denial(() =>
        authorizeCall(
          call('iam', root),
          'iam:CreateRole',
          'arn:aws:iam::222222222222:role/r',
          Date.now(),
          log,
        ),
      ).code,
    ).toBe('AccessDenied');
  });
});
