/**
 * Per-account login throttling with exponential backoff. Failures are counted per account
 * and source address — a guesser slows down only logins from its own address — and per
 * account from everywhere, with a much higher threshold and a short cap, applied to
 * addresses that failed for the account: guessing from many addresses is slowed too, while
 * the owner signing in from an address that did not fail is never held up. No delay
 * is ever longer than its cap, a success clears the address's count, and counts are
 * forgotten after an hour without failures: nobody can lock an account for good. During a
 * backoff every attempt is refused before the password is checked, so it reveals nothing.
 * In-process memory, like the rate limiter: each replica throttles on its own.
 */
import { RateLimitedError } from '@ferry/core';

/** One layer of the throttle. */
export interface BackoffPolicy {
  /** Failures allowed before any delay. */
  readonly free: number;
  /** The first delay; each further failure doubles it. */
  readonly baseMs: number;
  /** No delay is longer. */
  readonly capMs: number;
}

/** Failures per account and address: a few free, then 1 s, 2 s, 4 s … up to 15 minutes. */
export const PER_ADDRESS: BackoffPolicy = { free: 5, baseMs: 1_000, capMs: 15 * 60_000 };
/** Failures per account from anywhere: many free, then up to a minute. */
export const PER_ACCOUNT: BackoffPolicy = { free: 50, baseMs: 1_000, capMs: 60_000 };
/** A count with no failure for this long is forgotten. */
export const FORGET_AFTER_MS = 60 * 60_000;

const MAX_KEYS = 100_000;

/** The delay after `failures` failures (0 while they are free). */
export function backoffMs(policy: BackoffPolicy, failures: number): number {
  if (failures <= policy.free) return 0;
  return Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(failures - policy.free - 1, 40));
}

/** A login throttle. */
export interface LoginThrottle {
  /** Throws RateLimitedError while the account may not try from this address. */
  check(email: string, address: string, now: Date): void;
  /** Counts a failed attempt. */
  failed(email: string, address: string, now: Date): void;
  /** Clears the address's count after a successful login. */
  succeeded(email: string, address: string): void;
}

interface Entry {
  failures: number;
  last: number;
}

/** Creates an empty throttle. */
export function createLoginThrottle(
  policies: { perAddress: BackoffPolicy; perAccount: BackoffPolicy } = {
    perAddress: PER_ADDRESS,
    perAccount: PER_ACCOUNT,
  },
): LoginThrottle {
  const entries = new Map<string, Entry>();
  const keys = (email: string, address: string) => ({
    pair: `${email.toLowerCase()}|${address}`,
    account: email.toLowerCase(),
  });

  function live(key: string, now: number): Entry | undefined {
    const e = entries.get(key);
    if (e !== undefined && now - e.last > FORGET_AFTER_MS) {
      entries.delete(key);
      return undefined;
    }
    return e;
  }

  function waitMs(key: string, policy: BackoffPolicy, now: number): number {
    const e = live(key, now);
    if (e === undefined) return 0;
    return Math.max(0, e.last + backoffMs(policy, e.failures) - now);
  }

  function count(key: string, now: number): void {
    if (entries.size > MAX_KEYS) {
      for (const [k, e] of entries) if (now - e.last > FORGET_AFTER_MS) entries.delete(k);
    }
    const e = live(key, now) ?? { failures: 0, last: now };
    e.failures += 1;
    e.last = now;
    entries.set(key, e);
  }

  return {
    check(email, address, date) {
      const now = date.getTime();
      const k = keys(email, address);
      // The account-wide layer spares an address that never failed for this account: its
      // owner, signing in from where they always do, never waits for a guesser elsewhere.
      const failedHere = live(k.pair, now) !== undefined;
      const wait = Math.max(
        waitMs(k.pair, policies.perAddress, now),
        failedHere ? waitMs(k.account, policies.perAccount, now) : 0,
      );
      if (wait > 0) throw new RateLimitedError(Math.ceil(wait / 1000));
    },
    failed(email, address, date) {
      const now = date.getTime();
      const k = keys(email, address);
      count(k.pair, now);
      count(k.account, now);
    },
    succeeded(email, address) {
      entries.delete(keys(email, address).pair);
    },
  };
}
