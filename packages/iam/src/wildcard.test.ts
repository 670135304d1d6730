import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePattern, hasWildcard, matchesWildcard } from './wildcard.ts';

describe('matchesWildcard', () => {
  it('matches IAM wildcards: * any run, ? exactly one character', () => {
    expect(matchesWildcard('ec2:Describe*', 'ec2:DescribeInstances')).toBe(true);
    expect(matchesWildcard('ec2:Describe*', 'ec2:Describe')).toBe(true);
    expect(matchesWildcard('s3:?etObject', 's3:GetObject')).toBe(true);
    expect(matchesWildcard('s3:?etObject', 's3:etObject')).toBe(false);
    expect(matchesWildcard('a*b*c', 'axxbyyc')).toBe(true);
    expect(matchesWildcard('a*b*c', 'axxbyy')).toBe(false);
    expect(matchesWildcard('*', '')).toBe(true);
  });

  it('is case-sensitive unless asked otherwise', () => {
    expect(matchesWildcard('arn:aws:s3:::Bucket/*', 'arn:aws:s3:::bucket/k')).toBe(false);
    expect(matchesWildcard('S3:GET*', 's3:GetObject', { caseInsensitive: true })).toBe(true);
  });

  it('treats regular-expression characters literally', () => {
    expect(matchesWildcard('a.b(c)+[d]$^|\\/{2}', 'a.b(c)+[d]$^|\\/{2}')).toBe(true);
    expect(matchesWildcard('a.b', 'axb')).toBe(false);
  });

  it('never lets a literal part act as a wildcard', () => {
    const re = compilePattern([
      { text: 'x', literal: false },
      { text: '*', literal: true },
      { text: '*', literal: false },
    ]);
    expect(re.test('x*anything')).toBe(true);
    expect(re.test('xanything')).toBe(false);
  });

  it('property: a pattern without wildcards matches only itself', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !hasWildcard(s)),
        fc.string(),
        (pattern, value) => {
          expect(matchesWildcard(pattern, value)).toBe(pattern === value);
          expect(matchesWildcard(pattern, pattern)).toBe(true);
        },
      ),
      { seed: 1, numRuns: 300 },
    );
  });

  it('property: replacing any characters of a value by * or ? still matches it', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme-ascii', minLength: 1 }),
        fc.array(fc.nat()),
        fc.constantFrom('*', '?'),
        (value, positions, wildcard) => {
          const chars = [...value];
          for (const p of positions) chars[p % chars.length] = wildcard;
          expect(matchesWildcard(chars.join(''), value)).toBe(true);
        },
      ),
      { seed: 2, numRuns: 300 },
    );
  });

  it('property: prefix* matches exactly the values that start with the prefix', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !hasWildcard(s)),
        fc.string(),
        (prefix, value) => {
          expect(matchesWildcard(`${prefix}*`, value)).toBe(value.startsWith(prefix));
        },
      ),
      { seed: 3, numRuns: 300 },
    );
  });

  it('property: case-insensitive matching agrees with lower-casing both sides', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme-ascii' }),
        fc.string({ unit: 'grapheme-ascii' }),
        (p, v) => {
          expect(matchesWildcard(p, v, { caseInsensitive: true })).toBe(
            matchesWildcard(p.toLowerCase(), v.toLowerCase()),
          );
        },
      ),
      { seed: 4, numRuns: 300 },
    );
  });
});
