import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateCondition, evaluateConditions, type ConditionContext } from './conditions.ts';

function ctx(values: Record<string, string | string[]>, variables = true): ConditionContext {
  const lower = new Map(Object.entries(values).map(([k, v]) => [k.toLowerCase(), v]));
  const value = (key: string): string | string[] | undefined => lower.get(key.toLowerCase());
  const resolver = (key: string): string | undefined => {
    const v = value(key);
    return typeof v === 'string' ? v : undefined;
  };
  return variables ? { value, resolver } : { value };
}

const holds = (
  op: string,
  key: string,
  policy: string[],
  values: Record<string, string | string[]>,
): boolean => evaluateCondition(op, key, policy, ctx(values));

describe('conditions', () => {
  it('ANDs operators and keys, ORs the values of one key', () => {
    const block = {
      StringEquals: { 'aws:PrincipalTag/team': ['red', 'blue'], 'ferry:env': ['prod'] },
      Bool: { 'aws:SecureTransport': ['true'] },
    };
    const base = {
      'aws:PrincipalTag/team': 'blue',
      'ferry:env': 'prod',
      'aws:SecureTransport': 'true',
    };
    expect(evaluateConditions(block, ctx(base))).toEqual({ matches: true });
    expect(evaluateConditions(block, ctx({ ...base, 'ferry:env': 'dev' }))).toEqual({
      matches: false,
      failure: { operator: 'StringEquals', key: 'ferry:env', requestValue: 'dev' },
    });
    expect(
      evaluateConditions(block, ctx({ ...base, 'aws:SecureTransport': 'false' })).matches,
    ).toBe(false);
  });

  it('looks keys up case-insensitively and compares values case-sensitively', () => {
    expect(
      holds('StringEquals', 'AWS:PrincipalTag/Team', ['red'], { 'aws:principaltag/team': 'red' }),
    ).toBe(true);
    expect(
      holds('StringEquals', 'aws:PrincipalTag/team', ['red'], { 'aws:PrincipalTag/team': 'Red' }),
    ).toBe(false);
    expect(
      holds('StringEqualsIgnoreCase', 'aws:PrincipalTag/team', ['red'], {
        'aws:PrincipalTag/team': 'Red',
      }),
    ).toBe(true);
  });

  it('treats a missing key as AWS documents', () => {
    // Positive operators fail, negated ones hold, IfExists holds, Null tests presence.
    expect(holds('StringEquals', 'k', ['a'], {})).toBe(false);
    expect(holds('StringNotEquals', 'k', ['a'], {})).toBe(true);
    expect(holds('NotIpAddress', 'aws:SourceIp', ['10.0.0.0/8'], {})).toBe(true);
    expect(holds('ArnNotLike', 'aws:SourceArn', ['arn:aws:sns:*:*:t'], {})).toBe(true);
    expect(holds('NumericLessThanIfExists', 'k', ['3'], {})).toBe(true);
    expect(holds('Bool', 'aws:MultiFactorAuthPresent', ['false'], {})).toBe(false);
    expect(holds('BoolIfExists', 'aws:MultiFactorAuthPresent', ['false'], {})).toBe(true);
    expect(holds('Null', 'aws:TokenIssueTime', ['true'], {})).toBe(true);
    expect(holds('Null', 'aws:TokenIssueTime', ['false'], {})).toBe(false);
    expect(
      holds('Null', 'aws:TokenIssueTime', ['false'], {
        'aws:TokenIssueTime': '2020-01-01T00:00:00Z',
      }),
    ).toBe(true);
  });

  it('applies set operators to multi-valued keys (IAM User Guide, aws:TagKeys examples)', () => {
    const keys = { 'aws:TagKeys': ['environment', 'cost-center'] };
    expect(
      holds(
        'ForAllValues:StringEquals',
        'aws:TagKeys',
        ['environment', 'cost-center', 'owner'],
        keys,
      ),
    ).toBe(true);
    expect(holds('ForAllValues:StringEquals', 'aws:TagKeys', ['environment'], keys)).toBe(false);
    expect(holds('ForAnyValue:StringEquals', 'aws:TagKeys', ['environment'], keys)).toBe(true);
    expect(holds('ForAnyValue:StringEquals', 'aws:TagKeys', ['owner'], keys)).toBe(false);
    // ForAllValues is true for a missing key or an empty set; ForAnyValue is false.
    expect(holds('ForAllValues:StringEquals', 'aws:TagKeys', ['owner'], {})).toBe(true);
    expect(
      holds('ForAllValues:StringEquals', 'aws:TagKeys', ['owner'], { 'aws:TagKeys': [] }),
    ).toBe(true);
    expect(holds('ForAnyValue:StringEquals', 'aws:TagKeys', ['owner'], {})).toBe(false);
    expect(holds('ForAnyValue:StringEqualsIfExists', 'aws:TagKeys', ['owner'], {})).toBe(true);
    // Negated base operators under a set operator: "none of the policy values".
    expect(holds('ForAllValues:StringNotEquals', 'aws:TagKeys', ['owner'], keys)).toBe(true);
    expect(holds('ForAnyValue:StringNotEquals', 'aws:TagKeys', ['environment'], keys)).toBe(true);
    expect(holds('ForAllValues:StringNotEquals', 'aws:TagKeys', ['environment'], keys)).toBe(false);
  });

  it('never matches a multi-valued key without a set operator', () => {
    const keys = { 'aws:TagKeys': ['environment'] };
    expect(holds('StringEquals', 'aws:TagKeys', ['environment'], keys)).toBe(false);
    expect(holds('StringNotEquals', 'aws:TagKeys', ['other'], keys)).toBe(false);
    expect(holds('StringEqualsIfExists', 'aws:TagKeys', ['environment'], keys)).toBe(false);
  });

  it('substitutes variables in String and Arn operators only, and only in 2012-10-17 policies', () => {
    const values = { 'aws:username': 'alice', 's3:prefix': 'alice/photos' };
    expect(evaluateCondition('StringLike', 's3:prefix', ['${aws:username}/*'], ctx(values))).toBe(
      true,
    );
    expect(
      evaluateCondition('StringLike', 's3:prefix', ['${aws:username}/*'], ctx(values, false)),
    ).toBe(false);
    // A variable without a value never makes a condition true, whatever the operator.
    expect(evaluateCondition('StringEquals', 's3:prefix', ['${aws:userid}'], ctx(values))).toBe(
      false,
    );
    expect(evaluateCondition('StringNotEquals', 's3:prefix', ['${aws:userid}'], ctx(values))).toBe(
      false,
    );
    expect(
      evaluateCondition('StringNotEquals', 's3:prefix', ["${aws:userid, 'x'}"], ctx(values)),
    ).toBe(true);
    expect(
      evaluateCondition(
        'ArnLike',
        'aws:PrincipalArn',
        ['arn:aws:iam::*:user/${aws:username}'],
        ctx({ ...values, 'aws:PrincipalArn': 'arn:aws:iam::1:user/alice' }),
      ),
    ).toBe(true);
  });

  it('fails comparisons with request values of the wrong type, negated or not', () => {
    expect(holds('NumericLessThan', 'k', ['10'], { k: 'ten' })).toBe(false);
    expect(holds('NumericNotEquals', 'k', ['10'], { k: 'ten' })).toBe(false);
    expect(holds('DateNotEquals', 'k', ['2020-01-01'], { k: 'someday' })).toBe(false);
    expect(
      holds('NotIpAddress', 'aws:SourceIp', ['10.0.0.0/8'], { 'aws:SourceIp': 'localhost' }),
    ).toBe(false);
  });

  const ops = [
    'StringEquals',
    'StringLike',
    'StringEqualsIgnoreCase',
    'NumericEquals',
    'DateEquals',
    'IpAddress',
    'ArnLike',
  ];
  const negation: Record<string, string> = {
    StringEquals: 'StringNotEquals',
    StringLike: 'StringNotLike',
    StringEqualsIgnoreCase: 'StringNotEqualsIgnoreCase',
    NumericEquals: 'NumericNotEquals',
    DateEquals: 'DateNotEquals',
    IpAddress: 'NotIpAddress',
    ArnLike: 'ArnNotLike',
  };
  const sample: Record<string, string[]> = {
    StringEquals: ['a', 'B', 'a*'],
    StringLike: ['a', 'a*', '?b'],
    StringEqualsIgnoreCase: ['a', 'A', 'b'],
    NumericEquals: ['1', '2', '1.0'],
    DateEquals: ['2020-01-01', '2020-01-01T00:00:00Z', '2021-01-01'],
    IpAddress: ['10.0.0.0/8', '10.1.1.1', '192.168.0.0/16'],
    ArnLike: ['arn:aws:s3:::a', 'arn:aws:s3:::*', 'arn:aws:sqs:*:1:q'],
  };

  it('property: for a present single value, a negated operator is the complement of its positive form', () => {
    fc.assert(
      fc.property(
        fc
          .constantFrom(...ops)
          .chain((op) =>
            fc.tuple(
              fc.constant(op),
              fc.subarray(sample[op]!, { minLength: 1 }),
              fc.constantFrom(...sample[op]!),
            ),
          ),
        ([op, policy, value]) => {
          const c = { k: value };
          expect(holds(negation[op]!, 'k', policy, c)).toBe(!holds(op, 'k', policy, c));
        },
      ),
      { seed: 8, numRuns: 300 },
    );
  });

  it('property: IfExists changes nothing when the key is present, and set operators agree on one value', () => {
    fc.assert(
      fc.property(
        fc
          .constantFrom(...ops)
          .chain((op) =>
            fc.tuple(
              fc.constant(op),
              fc.subarray(sample[op]!, { minLength: 1 }),
              fc.constantFrom(...sample[op]!),
            ),
          ),
        ([op, policy, value]) => {
          const single = holds(op, 'k', policy, { k: value });
          expect(holds(`${op}IfExists`, 'k', policy, { k: value })).toBe(single);
          expect(holds(`ForAnyValue:${op}`, 'k', policy, { k: [value] })).toBe(single);
          expect(holds(`ForAllValues:${op}`, 'k', policy, { k: [value] })).toBe(single);
        },
      ),
      { seed: 9, numRuns: 300 },
    );
  });
});
