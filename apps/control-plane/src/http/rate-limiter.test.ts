import { RateLimitedError } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limiter.ts';

describe('createRateLimiter', () => {
  it('allows a burst, then refuses until tokens refill, per key', () => {
    const limiter = createRateLimiter(60); // one per second
    const t0 = new Date('2030-01-01T00:00:00Z');
    for (let i = 0; i < 60; i++) limiter.take('a', t0);
    expect(() => limiter.take('a', t0)).toThrow(RateLimitedError);
    limiter.take('b', t0);
    const e = (() => {
      try {
        limiter.take('a', t0);
      } catch (err) {
        return err as RateLimitedError;
      }
      return undefined;
    })();
    expect(e?.retryAfterSeconds).toBe(1);
    limiter.take('a', new Date(t0.getTime() + 1000));
    expect(() => limiter.take('a', new Date(t0.getTime() + 1000))).toThrow(RateLimitedError);
  });
});
