import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FORGET_AFTER_MS,
  PER_ACCOUNT,
  PER_ADDRESS,
  backoffMs,
  createLoginThrottle,
} from './login-throttle.ts';

const at = (ms: number) => new Date(Date.UTC(2030, 0, 1) + ms);

function waitOf(fn: () => void): number {
  try {
    fn();
    return 0;
  } catch (err) {
    return (err as { retryAfterSeconds?: number }).retryAfterSeconds ?? -1;
  }
}

describe('login throttle', () => {
  it('lets a few failures through, then doubles the wait', () => {
    const t = createLoginThrottle();
    for (let i = 0; i < PER_ADDRESS.free; i++) {
      t.check('a@example.com', '10.0.0.1', at(0));
      t.failed('a@example.com', '10.0.0.1', at(0));
    }
    expect(waitOf(() => t.check('a@example.com', '10.0.0.1', at(0)))).toBe(0);
    t.failed('a@example.com', '10.0.0.1', at(0));
    expect(waitOf(() => t.check('A@example.com', '10.0.0.1', at(0)))).toBe(1);
    t.failed('a@example.com', '10.0.0.1', at(0));
    expect(waitOf(() => t.check('a@example.com', '10.0.0.1', at(0)))).toBe(2);
    // Another address is not held up by this one's failures.
    expect(waitOf(() => t.check('a@example.com', '10.0.0.2', at(0)))).toBe(0);
    // Once the wait is over, a success clears the address's count.
    t.check('a@example.com', '10.0.0.1', at(2000));
    t.succeeded('a@example.com', '10.0.0.1');
    t.check('a@example.com', '10.0.0.1', at(2000));
  });

  it('never makes anyone wait longer than the caps, however many failures', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 3000 })), {
          maxLength: 300,
        }),
        (attempts) => {
          const t = createLoginThrottle();
          let now = 0;
          for (const [addr, gap] of attempts) {
            now += gap;
            const wait = waitOf(() => t.check('v@example.com', `10.0.0.${addr}`, at(now)));
            expect(wait * 1000).toBeLessThanOrEqual(Math.max(PER_ADDRESS.capMs, PER_ACCOUNT.capMs));
            t.failed('v@example.com', `10.0.0.${addr}`, at(now));
          }
          // The owner, at an address that never failed, is never held up.
          expect(waitOf(() => t.check('v@example.com', '192.0.2.1', at(now)))).toBe(0);
          // And everything is forgotten an hour after the last failure.
          for (let a = 0; a <= 5; a++)
            expect(
              waitOf(() => t.check('v@example.com', `10.0.0.${a}`, at(now + FORGET_AFTER_MS + 1))),
            ).toBe(0);
        },
      ),
    );
    expect(backoffMs(PER_ADDRESS, 10_000)).toBe(PER_ADDRESS.capMs);
  });

  it('slows guessing from many addresses at the addresses that guessed', () => {
    const t = createLoginThrottle();
    for (let i = 0; i <= PER_ACCOUNT.free; i++)
      t.failed('b@example.com', `10.1.${i >> 8}.${i & 255}`, at(0));
    expect(waitOf(() => t.check('b@example.com', '10.1.0.0', at(0)))).toBeGreaterThan(0);
    expect(waitOf(() => t.check('b@example.com', '10.9.9.9', at(0)))).toBe(0);
  });
});
