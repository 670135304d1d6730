import { describe, expect, it } from 'vitest';
import { matchPrincipal } from './principal.ts';
import type { RequestPrincipal } from './types.ts';

const session: RequestPrincipal = {
  arn: 'arn:aws:sts::111122223333:assumed-role/Worker/i-0abc',
  principalArn: 'arn:aws:iam::111122223333:role/Worker',
  accountId: '111122223333',
};
const user: RequestPrincipal = {
  arn: 'arn:aws:iam::111122223333:user/alice',
  principalArn: 'arn:aws:iam::111122223333:user/alice',
  accountId: '111122223333',
};
const ec2: RequestPrincipal = {
  arn: 'ec2.amazonaws.com',
  principalArn: 'ec2.amazonaws.com',
  accountId: '',
  service: 'ec2.amazonaws.com',
};

describe('matchPrincipal', () => {
  it('matches everyone with "*" and {"AWS": "*"}', () => {
    expect(matchPrincipal('*', user)).toBe('wildcard');
    expect(matchPrincipal({ AWS: ['*'] }, session)).toBe('wildcard');
    expect(matchPrincipal('*', ec2)).toBe('wildcard');
  });

  it('matches an account by id or root ARN, as a delegation to the account', () => {
    expect(matchPrincipal({ AWS: ['111122223333'] }, user)).toBe('account');
    expect(matchPrincipal({ AWS: ['arn:aws:iam::111122223333:root'] }, session)).toBe('account');
    expect(matchPrincipal({ AWS: ['444455556666'] }, user)).toBeUndefined();
  });

  it('matches users, roles (for their sessions) and sessions by ARN', () => {
    expect(matchPrincipal({ AWS: [user.arn] }, user)).toBe('principal');
    expect(matchPrincipal({ AWS: ['arn:aws:iam::111122223333:role/Worker'] }, session)).toBe(
      'principal',
    );
    expect(matchPrincipal({ AWS: [session.arn] }, session)).toBe('session');
    expect(
      matchPrincipal({ AWS: ['arn:aws:iam::111122223333:role/Other'] }, session),
    ).toBeUndefined();
  });

  it('prefers a direct grant to an account delegation', () => {
    expect(matchPrincipal({ AWS: ['111122223333', user.arn] }, user)).toBe('principal');
  });

  it('matches service principals only for service callers', () => {
    expect(matchPrincipal({ Service: ['ec2.amazonaws.com'] }, ec2)).toBe('service');
    expect(matchPrincipal({ Service: ['lambda.amazonaws.com'] }, ec2)).toBeUndefined();
    expect(matchPrincipal({ Service: ['ec2.amazonaws.com'] }, user)).toBeUndefined();
  });
});
