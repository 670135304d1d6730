import { describe, expect, it } from 'vitest';
import {
  evaluateCondition,
  resolveIntrinsics,
  TemplateResolutionError,
  type StackFacts,
} from './resolve-intrinsics.ts';

const facts: StackFacts = {
  partition: 'aws',
  region: 'eu-west-1',
  accountId: '111122223333',
  availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  parameters: { Name: 'ws-1', Buckets: ['a', 'b'] },
  resources: {
    Role: { ref: 'role-name', attributes: { Arn: 'arn:aws:iam::111122223333:role/r' } },
  },
  conditions: { Yes: true, No: false },
};

describe('resolveIntrinsics', () => {
  it('resolves Ref, GetAtt and Sub with pseudo parameters, parameters and attributes', () => {
    expect(resolveIntrinsics({ Ref: 'AWS::Region' }, facts)).toBe('eu-west-1');
    expect(resolveIntrinsics({ Ref: 'Buckets' }, facts)).toEqual(['a', 'b']);
    expect(resolveIntrinsics({ 'Fn::GetAtt': ['Role', 'Arn'] }, facts)).toBe(
      'arn:aws:iam::111122223333:role/r',
    );
    expect(
      resolveIntrinsics(
        { 'Fn::Sub': 'arn:${AWS::Partition}:x:::${Name}/${Role.Arn}/${!Literal}' },
        facts,
      ),
    ).toBe('arn:aws:x:::ws-1/arn:aws:iam::111122223333:role/r/${Literal}');
    expect(resolveIntrinsics({ 'Fn::Sub': ['${A}-${Name}', { A: { Ref: 'Role' } }] }, facts)).toBe(
      'role-name-ws-1',
    );
  });

  it('resolves Join, Split, Select, GetAZs and If', () => {
    const joined = { 'Fn::Join': [',x:', { Ref: 'Buckets' }] };
    expect(resolveIntrinsics(joined, facts)).toBe('a,x:b');
    expect(resolveIntrinsics({ 'Fn::Split': [',', joined] }, facts)).toEqual(['a', 'x:b']);
    expect(resolveIntrinsics({ 'Fn::Select': [1, { 'Fn::GetAZs': '' }] }, facts)).toBe(
      'eu-west-1b',
    );
    expect(resolveIntrinsics({ 'Fn::If': ['No', 'then', { Ref: 'Name' }] }, facts)).toBe('ws-1');
  });

  it('evaluates conditions', () => {
    expect(evaluateCondition({ 'Fn::Equals': [{ Ref: 'AWS::Partition' }, 'aws'] }, facts)).toBe(
      true,
    );
    expect(evaluateCondition({ 'Fn::Not': [{ Condition: 'Yes' }] }, facts)).toBe(false);
    expect(
      evaluateCondition({ 'Fn::Or': [{ Condition: 'No' }, { Condition: 'Yes' }] }, facts),
    ).toBe(true);
  });

  it('names the place of what it cannot resolve', () => {
    expect(() => resolveIntrinsics({ a: [{ Ref: 'Nope' }] }, facts, 'Resources.X')).toThrow(
      new TemplateResolutionError('Resources.X.a[0].Ref', 'Ref to unknown name "Nope"'),
    );
    expect(() => resolveIntrinsics({ 'Fn::Base64': 'x' }, facts)).toThrow(TemplateResolutionError);
    expect(() => resolveIntrinsics({ 'Fn::Select': [5, ['a']] }, facts)).toThrow(/no item 5/);
  });
});
