import { describe, expect, it } from 'vitest';
import {
  conditionContextFor,
  createConditionContext,
  principalContextKeys,
} from './request-context.ts';
import type { EvaluationRequest } from './types.ts';

const base: EvaluationRequest = {
  principal: {
    arn: 'arn:aws:iam::111122223333:user/division/alice',
    principalArn: 'arn:aws:iam::111122223333:user/division/alice',
    accountId: '111122223333',
  },
  action: 's3:GetObject',
  resource: '*',
  context: {},
  identityPolicies: [],
};

describe('request context', () => {
  it('derives the keys IAM sets from the caller', () => {
    expect(principalContextKeys(base)).toEqual({
      'aws:PrincipalArn': 'arn:aws:iam::111122223333:user/division/alice',
      'aws:PrincipalAccount': '111122223333',
      'aws:username': 'alice',
    });
    expect(
      principalContextKeys({
        principal: {
          arn: 'arn:aws:sts::111122223333:assumed-role/Worker/i-1',
          principalArn: 'arn:aws:iam::111122223333:role/Worker',
          accountId: '111122223333',
        },
      }),
    ).toEqual({
      'aws:PrincipalArn': 'arn:aws:iam::111122223333:role/Worker',
      'aws:PrincipalAccount': '111122223333',
    });
    expect(
      principalContextKeys({
        principal: {
          arn: 'sns.amazonaws.com',
          principalArn: 'sns.amazonaws.com',
          accountId: '',
          service: 'sns.amazonaws.com',
        },
      }),
    ).toEqual({ 'aws:PrincipalServiceName': 'sns.amazonaws.com' });
  });

  it('looks keys up case-insensitively, lets the caller override derived keys, and skips undefined', () => {
    const c = createConditionContext({
      ...base,
      context: { 'AWS:USERNAME': 'bob', 'aws:TagKeys': ['a', 'b'], 'aws:SourceIp': undefined },
    });
    expect(c.value('aws:username')).toBe('bob');
    expect(c.value('aws:tagkeys')).toEqual(['a', 'b']);
    expect(c.value('aws:SourceIp')).toBeUndefined();
    // Multi-valued keys cannot be substituted into a variable.
    expect(c.resolve('aws:TagKeys')).toBeUndefined();
    expect(c.resolve('aws:username')).toBe('bob');
  });

  it('substitutes variables only for Version 2012-10-17', () => {
    const c = createConditionContext(base);
    expect(conditionContextFor(c, '2012-10-17').resolver).toBeDefined();
    expect(conditionContextFor(c, '2008-10-17').resolver).toBeUndefined();
  });
});
