import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arnMatches, arnProblem, parseArn } from './arn.ts';

describe('parseArn', () => {
  it('splits the six parts and keeps colons in the resource', () => {
    expect(parseArn('arn:aws:iam::123456789012:role/path/Worker')).toEqual({
      partition: 'aws',
      service: 'iam',
      region: '',
      accountId: '123456789012',
      resource: 'role/path/Worker',
    });
    expect(parseArn('arn:aws:logs:us-east-1:123456789012:log-group:g:log-stream:s')?.resource).toBe(
      'log-group:g:log-stream:s',
    );
    expect(parseArn('arn:aws:s3:::bucket/key')?.accountId).toBe('');
  });

  it('rejects what is not an ARN', () => {
    expect(parseArn('bucket')).toBeUndefined();
    expect(parseArn('arn:aws:s3:bucket')).toBeUndefined();
    expect(parseArn('arn::s3:::b')).toBeUndefined();
    expect(arnProblem('*')).toBeUndefined();
    expect(arnProblem('arn:aws:s3:::b/*')).toBeUndefined();
    expect(arnProblem('arn:aws:s3:::')).toMatch(/resource part is empty/);
    expect(arnProblem('s3://bucket')).toMatch(/neither "\*" nor an ARN/);
  });

  it('property: parse is the inverse of joining the parts', () => {
    const part = fc.stringMatching(/^[a-z0-9-]{1,8}$/);
    fc.assert(
      fc.property(
        part,
        part,
        fc.stringMatching(/^[a-z0-9-]{0,8}$/),
        fc.stringMatching(/^\d{0,12}$/),
        fc.string({ minLength: 1 }),
        (p, s, r, a, res) => {
          expect(parseArn(`arn:${p}:${s}:${r}:${a}:${res}`)).toEqual({
            partition: p,
            service: s,
            region: r,
            accountId: a,
            resource: res,
          });
        },
      ),
      { seed: 5, numRuns: 300 },
    );
  });
});

describe('arnMatches', () => {
  it('matches each of the first five parts on its own', () => {
    // A wildcard in the region never reaches into the account.
    expect(
      arnMatches(
        'arn:aws:ec2:*:111122223333:instance/*',
        'arn:aws:ec2:us-east-1:111122223333:instance/i-1',
      ),
    ).toBe(true);
    expect(
      arnMatches('arn:aws:ec2:us-*:*:instance/*', 'arn:aws:ec2:eu-west-1:1:instance/i-1'),
    ).toBe(false);
    expect(arnMatches('arn:aws:ec2:*3:*', 'arn:aws:ec2:us-east-1:111122223333:instance/i-1')).toBe(
      false,
    );
    // In the resource part a wildcard spans colons and slashes.
    expect(
      arnMatches(
        'arn:aws:logs:*:*:log-group:*',
        'arn:aws:logs:us-east-1:1:log-group:g:log-stream:s',
      ),
    ).toBe(true);
  });

  it('is case-sensitive', () => {
    expect(arnMatches('arn:aws:s3:::Bucket', 'arn:aws:s3:::bucket')).toBe(false);
  });

  it('matches "*" for anything and a literal "*" request only with "*"', () => {
    expect(arnMatches('*', 'arn:aws:s3:::b')).toBe(true);
    expect(arnMatches('*', '*')).toBe(true);
    expect(arnMatches('arn:aws:s3:::*', '*')).toBe(false);
  });
});
