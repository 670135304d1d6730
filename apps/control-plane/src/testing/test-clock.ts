/** A clock tests move by hand: `sleep` resolves when `advance` passes its deadline. */
import type { Clock } from '../resources.ts';

/** A controllable clock. */
export interface TestClock extends Clock {
  /** Moves time forward, waking sleepers whose deadline passed (in deadline order). */
  advance(ms: number): Promise<void>;
  /** Sets the time (never backwards). */
  set(time: Date): Promise<void>;
}

/** Creates a clock starting at `start` (default 2030-01-01T00:00:00Z). */
export function createTestClock(start = new Date('2030-01-01T00:00:00Z')): TestClock {
  let now = start.getTime();
  const sleepers: { at: number; wake: () => void }[] = [];
  const clock: TestClock = {
    now: () => new Date(now),
    sleep(ms, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason as Error);
        const s = { at: now + ms, wake: resolve };
        sleepers.push(s);
        signal?.addEventListener(
          'abort',
          () => {
            const i = sleepers.indexOf(s);
            if (i >= 0) sleepers.splice(i, 1);
            reject(signal.reason as Error);
          },
          { once: true },
        );
      });
    },
    async advance(ms) {
      await clock.set(new Date(now + ms));
    },
    async set(time) {
      now = Math.max(now, time.getTime());
      sleepers.sort((a, b) => a.at - b.at);
      while (sleepers[0] && sleepers[0].at <= now) {
        sleepers.shift()?.wake();
        // Let the woken code run before the next sleeper wakes.
        await new Promise((r) => setImmediate(r));
      }
    },
  };
  return clock;
}
