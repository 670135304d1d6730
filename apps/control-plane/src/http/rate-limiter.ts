/**
 * Per-principal rate limiting: a token bucket per key, in this process's memory. With
 * several replicas each enforces its own budget, so the effective limit is the per-process
 * limit times the replica count — acceptable for abuse protection, documented in
 * operations. Anonymous callers are keyed by address.
 */
import { RateLimitedError } from '@ferry/core';

/** A rate limiter. */
export interface RateLimiter {
  /** Takes one token for `key`; throws RateLimitedError when the bucket is empty. */
  take(key: string, now: Date): void;
}

// Buckets that refilled completely carry no information; drop them past this many keys.
const MAX_KEYS = 10_000;

/** Creates a limiter allowing `perMinute` requests per key, with bursts up to the same. */
export function createRateLimiter(perMinute: number): RateLimiter {
  const capacity = perMinute;
  const refillPerMs = perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();

  function prune(now: number): void {
    for (const [key, b] of buckets) {
      if (b.tokens + (now - b.at) * refillPerMs >= capacity) buckets.delete(key);
    }
  }

  return {
    take(key, date) {
      const now = date.getTime();
      if (buckets.size > MAX_KEYS) prune(now);
      const b = buckets.get(key) ?? { tokens: capacity, at: now };
      b.tokens = Math.min(capacity, b.tokens + Math.max(0, now - b.at) * refillPerMs);
      b.at = now;
      if (b.tokens < 1) {
        buckets.set(key, b);
        throw new RateLimitedError(Math.max(1, Math.ceil((1 - b.tokens) / refillPerMs / 1000)));
      }
      b.tokens -= 1;
      buckets.set(key, b);
    },
  };
}
