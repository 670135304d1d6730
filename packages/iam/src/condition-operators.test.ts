import { describe, expect, it } from 'vitest';
import {
  BASE_OPERATORS,
  compareValue,
  conditionValueProblem,
  parseConditionOperator,
  parseDate,
  parseNumber,
} from './condition-operators.ts';

const lit = (text: string): { text: string; literal: boolean }[] => [{ text, literal: false }];

describe('condition operators', () => {
  it('knows every operator AWS documents, with IfExists and set prefixes', () => {
    expect(Object.keys(BASE_OPERATORS)).toHaveLength(27);
    expect(parseConditionOperator('ForAnyValue:StringNotLikeIfExists')).toMatchObject({
      base: 'StringNotLike',
      comparison: 'StringLike',
      negated: true,
      ifExists: true,
      set: 'ForAnyValue',
    });
    expect(parseConditionOperator('ArnEquals')?.comparison).toBe('ArnLike');
    expect(parseConditionOperator('NullIfExists')).toBeUndefined();
    expect(parseConditionOperator('stringequals')).toBeUndefined();
    expect(parseConditionOperator('ForSomeValues:StringEquals')).toBeUndefined();
  });

  it('checks value types', () => {
    expect(conditionValueProblem('Numeric', '3600')).toBeUndefined();
    expect(conditionValueProblem('Numeric', '1e3')).toMatch(/not a number/);
    expect(conditionValueProblem('Date', '2019-07-16T12:00:00Z')).toBeUndefined();
    expect(conditionValueProblem('Date', '1563278400')).toBeUndefined();
    expect(conditionValueProblem('Date', '2019-13-01')).toMatch(/not a date/);
    expect(conditionValueProblem('Bool', 'True')).toBeUndefined();
    expect(conditionValueProblem('Bool', 'yes')).toMatch(/"true" or "false"/);
    expect(conditionValueProblem('Binary', 'QmluYXJ5')).toBeUndefined();
    expect(conditionValueProblem('Binary', 'not base64!')).toMatch(/base64/);
    expect(conditionValueProblem('Ip', '203.0.113.0/24')).toBeUndefined();
    expect(conditionValueProblem('Ip', '203.0.113.0/33')).toMatch(/IPv4 or IPv6/);
    expect(conditionValueProblem('Arn', 'arn:aws:iam::*:role/x')).toBeUndefined();
    expect(conditionValueProblem('Arn', 'role/x')).toMatch(/not an ARN/);
  });

  it('parses numbers and dates as IAM does', () => {
    expect(parseNumber('10.50')).toBe(10.5);
    expect(parseNumber('-3')).toBe(-3);
    expect(parseNumber('abc')).toBeUndefined();
    expect(parseDate('1600000000')).toBe(1_600_000_000_000);
    expect(parseDate('2021-06-15')).toBe(Date.UTC(2021, 5, 15));
    expect(parseDate('2021-06-15T12:30:00+02:00')).toBe(Date.UTC(2021, 5, 15, 10, 30));
    expect(parseDate('2021-06-15T12:30:00')).toBe(Date.UTC(2021, 5, 15, 12, 30));
  });

  it('compares one value per documented semantics', () => {
    expect(compareValue('StringEquals', lit('Prod'), 'prod')).toBe(false);
    expect(compareValue('StringEqualsIgnoreCase', lit('Prod'), 'prod')).toBe(true);
    expect(compareValue('StringLike', lit('home/*'), 'home/alice/x')).toBe(true);
    expect(compareValue('NumericLessThan', lit('3600'), '1200')).toBe(true);
    expect(compareValue('NumericLessThan', lit('3600'), 'soon')).toBeUndefined();
    expect(
      compareValue('DateGreaterThan', lit('2020-01-01T00:00:00Z'), '2020-01-01T00:00:01Z'),
    ).toBe(true);
    expect(compareValue('Bool', lit('true'), 'TRUE')).toBe(true);
    expect(compareValue('Bool', lit('true'), 'yes')).toBeUndefined();
    expect(compareValue('BinaryEquals', lit('QmluYXJ5'), 'QmluYXJ5')).toBe(true);
    expect(compareValue('IpAddress', lit('203.0.113.0/24'), '203.0.113.9')).toBe(true);
    expect(
      compareValue(
        'ArnLike',
        lit('arn:aws:sns:*:123456789012:topic-*'),
        'arn:aws:sns:us-east-1:123456789012:topic-a',
      ),
    ).toBe(true);
    expect(
      compareValue('ArnLike', lit('arn:aws:sns:*:123456789012:*'), 'not-an-arn'),
    ).toBeUndefined();
  });
});
