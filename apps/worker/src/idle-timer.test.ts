import { afterEach, describe, expect, it, vi } from 'vitest';
import { createActivity } from './activity.ts';
import { createIdleTimer } from './idle-timer.ts';

const MINUTE = 60_000;

/** A clock the test moves by hand. */
function testClock(start = Date.UTC(2026, 0, 1)) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

function setup(timeoutMins = 10) {
  const clock = testClock();
  const activity = createActivity(clock.now);
  const onIdle = vi.fn<(idleMs: number) => void>();
  const timer = createIdleTimer({
    activity,
    now: clock.now,
    timeoutMins,
    minuteMs: MINUTE,
    onIdle,
  });
  return { clock, activity, onIdle, timer };
}

describe('activity', () => {
  it('counts queries and clients, and the end of either is activity', () => {
    const clock = testClock();
    const a = createActivity(clock.now);
    expect(a.state).toBe('idle');
    clock.advance(5000);
    const endQuery = a.queryStarted();
    const disconnect = a.clientConnected();
    expect([a.activeQueries, a.connectedClients, a.state]).toEqual([1, 1, 'busy']);
    clock.advance(7000);
    expect(a.idleForMs(clock.now())).toBe(0);
    endQuery();
    endQuery(); // a second call changes nothing
    expect(a.activeQueries).toBe(0);
    expect(a.state).toBe('busy');
    clock.advance(1000);
    disconnect();
    expect(a.state).toBe('idle');
    expect(a.lastActivityAt).toBe(clock.now());
    clock.advance(3000);
    expect(a.idleForMs(clock.now())).toBe(3000);
    a.touch();
    expect(a.idleForMs(clock.now())).toBe(0);
    expect(a.state).toBe('idle');
  });
});

describe('idle timer', () => {
  afterEach(() => vi.useRealTimers());

  it('fires once, exactly when the node has been idle for the timeout', () => {
    const { clock, onIdle, timer } = setup(10);
    clock.advance(10 * MINUTE - 1);
    expect(timer.check()).toBe(false);
    clock.advance(1);
    expect(timer.check()).toBe(true);
    expect(onIdle).toHaveBeenCalledExactlyOnceWith(10 * MINUTE);
    clock.advance(MINUTE);
    expect(timer.check()).toBe(true);
    expect(onIdle).toHaveBeenCalledOnce();
  });

  it('never fires while a query runs or a client is connected, and restarts counting after', () => {
    const { clock, activity, onIdle, timer } = setup(10);
    clock.advance(9 * MINUTE);
    const done = activity.queryStarted();
    clock.advance(60 * MINUTE);
    expect(timer.check()).toBe(false);
    done();
    const leave = activity.clientConnected();
    clock.advance(60 * MINUTE);
    expect(timer.check()).toBe(false);
    leave();
    clock.advance(10 * MINUTE - 1);
    expect(timer.check()).toBe(false);
    clock.advance(1);
    expect(timer.check()).toBe(true);
    expect(onIdle).toHaveBeenCalledOnce();
  });

  it('a new timeout from the control plane applies to the idleness so far', () => {
    const { clock, onIdle, timer } = setup(60);
    clock.advance(20 * MINUTE);
    expect(timer.check()).toBe(false);
    timer.setTimeoutMins(15);
    expect(timer.timeoutMins).toBe(15);
    expect(timer.check()).toBe(true);
    expect(onIdle).toHaveBeenCalledWith(20 * MINUTE);
  });

  it('refuses a timeout that is not a whole number of minutes ≥ 1', () => {
    const { timer } = setup(10);
    expect(() => timer.setTimeoutMins(0)).toThrow(/whole number of minutes/);
    expect(() => timer.setTimeoutMins(1.5)).toThrow(/whole number of minutes/);
    expect(timer.timeoutMins).toBe(10);
  });

  it('checks on its interval until it fires, then stops', () => {
    vi.useFakeTimers();
    const clock = { now: () => Date.now() };
    const activity = createActivity(clock.now);
    const onIdle = vi.fn();
    const timer = createIdleTimer({
      activity,
      now: clock.now,
      timeoutMins: 2,
      minuteMs: 1000,
      onIdle,
    });
    timer.start(250);
    vi.advanceTimersByTime(1750);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(250);
    expect(onIdle).toHaveBeenCalledOnce();
    expect(vi.getTimerCount()).toBe(0);
  });
});
