import { describe, expect, it } from 'vitest';
import { sessionNameFor } from './credential-broker.ts';

describe('credential broker naming', () => {
  it('names sessions after the actor within STS limits', () => {
    expect(sessionNameFor({ kind: 'user', id: 'user_01jd' })).toBe('user-user_01jd');
    expect(sessionNameFor({ kind: 'service-account', id: 'sa_01' })).toBe('sa-sa_01');
    expect(sessionNameFor({ kind: 'system', name: 'reaper' })).toBe('ferry-reaper');
    const long = sessionNameFor({ kind: 'user', id: `x y/${'z'.repeat(100)}` });
    expect(long).toMatch(/^[\w+=,.@-]{2,64}$/);
  });
});
