/**
 * The node's own idle shutdown: after `idleTimeoutMins` with no query running and no
 * client connected, `onIdle` fires (once). It needs nothing from the control plane or
 * EC2, so a node whose control plane is gone still ends itself. The control plane may
 * change the timeout in heartbeat answers; the new value applies to the idleness so far.
 */
import type { Activity } from './activity.ts';

export interface IdleTimerOptions {
  readonly activity: Activity;
  readonly now: () => number;
  readonly timeoutMins: number;
  /** Milliseconds in one idle-timeout minute (60 000; tests shrink it). */
  readonly minuteMs: number;
  /** Called once, when the node has been idle for the timeout. */
  readonly onIdle: (idleMs: number) => void;
}

export interface IdleTimer {
  /** Checks now; true (and `onIdle` called, once) when the timeout has passed. */
  check(): boolean;
  setTimeoutMins(mins: number): void;
  readonly timeoutMins: number;
  /** Checks every `everyMs` until stopped or fired. */
  start(everyMs: number): void;
  stop(): void;
}

export function createIdleTimer(options: IdleTimerOptions): IdleTimer {
  let timeoutMins = options.timeoutMins;
  let fired = false;
  let handle: ReturnType<typeof setInterval> | undefined;

  const stop = () => {
    if (handle !== undefined) clearInterval(handle);
    handle = undefined;
  };

  const check = (): boolean => {
    if (fired) return true;
    const idleMs = options.activity.idleForMs(options.now());
    if (idleMs < timeoutMins * options.minuteMs) return false;
    fired = true;
    stop();
    options.onIdle(idleMs);
    return true;
  };

  return {
    check,
    setTimeoutMins(mins: number) {
      if (!Number.isInteger(mins) || mins < 1)
        throw new RangeError(`idle timeout must be a whole number of minutes ≥ 1, got ${mins}`);
      timeoutMins = mins;
    },
    get timeoutMins() {
      return timeoutMins;
    },
    start(everyMs: number) {
      stop();
      if (fired) return;
      handle = setInterval(check, everyMs);
    },
    stop,
  };
}
