import { describe, expect, it } from 'vitest';
import { hashSecret, newSecret, safeEqual } from './secret-token.ts';
import { csrfTokenFor, readCookie, sessionCookie, verifyCsrfToken } from './sessions.ts';

describe('session primitives', () => {
  it('binds the CSRF token to the session token', () => {
    const a = newSecret('ferry_ses_');
    const b = newSecret('ferry_ses_');
    expect(verifyCsrfToken(a, csrfTokenFor(a))).toBe(true);
    expect(verifyCsrfToken(a, csrfTokenFor(b))).toBe(false);
    expect(verifyCsrfToken(a, undefined)).toBe(false);
  });

  it('writes HttpOnly SameSite cookies, Secure on demand, and reads them back', () => {
    const c = sessionCookie('tok', { secure: true, maxAgeSeconds: 60 });
    expect(c).toBe('ferry_session=tok; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure');
    expect(sessionCookie(null, { secure: false, maxAgeSeconds: 60 })).toContain('Max-Age=0');
    expect(readCookie('a=1; ferry_session=tok; b=2', 'ferry_session')).toBe('tok');
    expect(readCookie('a=1', 'ferry_session')).toBeUndefined();
  });

  it('stores secrets only as hashes and compares in constant time', () => {
    const s = newSecret('ferry_pat_');
    expect(s).toMatch(/^ferry_pat_[\w-]{43}$/);
    expect(hashSecret(s)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashSecret(s)).not.toContain(s);
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
  });
});
