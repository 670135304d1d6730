import { describe, expect, it } from 'vitest';
import { resolveScopeValue, ScopeValueError } from './scope-value.ts';

const values = {
  Partition: 'aws',
  Region: 'us-east-1',
  SubnetIds: ['s-1', 's-2'],
  WorkerBuckets: [],
};

describe('resolveScopeValue', () => {
  it('substitutes names in patterns', () => {
    expect(resolveScopeValue('arn:${Partition}:ec2:${Region}::image/*', values)).toEqual([
      'arn:aws:ec2:us-east-1::image/*',
    ]);
  });

  it('expands lists and per-item patterns, with the fallback for an empty list', () => {
    expect(resolveScopeValue({ list: 'SubnetIds' }, values)).toEqual(['s-1', 's-2']);
    const each = {
      each: 'WorkerBuckets',
      pattern: 'arn:${Partition}:s3:::${item}',
      whenEmpty: 'arn:${Partition}:s3:::*',
    } as const;
    expect(resolveScopeValue(each, values)).toEqual(['arn:aws:s3:::*']);
    expect(resolveScopeValue(each, { ...values, WorkerBuckets: ['a', '', 'b'] })).toEqual([
      'arn:aws:s3:::a',
      'arn:aws:s3:::b',
    ]);
  });

  it('refuses to guess a missing value', () => {
    expect(() => resolveScopeValue('${AccountId}', values)).toThrow(ScopeValueError);
    expect(() => resolveScopeValue({ list: 'SubnetIds' }, {})).toThrow(/SubnetIds/);
  });
});
