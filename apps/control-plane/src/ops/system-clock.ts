/** The real clock. */
import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../resources.ts';

/** Creates a clock over the system time and timers. */
export function createSystemClock(): Clock {
  return {
    now: () => new Date(),
    sleep: async (ms, signal) => {
      await delay(ms, undefined, signal ? { signal } : undefined);
    },
  };
}
