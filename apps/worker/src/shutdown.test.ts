import { describe, expect, it } from 'vitest';
import { shutdownNode, type ShutdownOptions } from './shutdown.ts';

function harness(over: Partial<ShutdownOptions> = {}) {
  const events: string[] = [];
  const options: ShutdownOptions = {
    mode: 'exit',
    reason: 'idle for 60 min',
    exitCode: 0,
    flush: () => {
      events.push('flush');
      return Promise.resolve();
    },
    log: (m) => events.push(`log: ${m}`),
    exit: (code) => events.push(`exit ${code}`),
    poweroff: () => {
      events.push('poweroff');
      return Promise.resolve(0);
    },
    ...over,
  };
  return { events, run: () => shutdownNode(options) };
}

describe('shutdown', () => {
  it('exit: logs why, flushes the last heartbeat, then exits with the status', async () => {
    const { events, run } = harness({ exitCode: 1, reason: 'refused' });
    await run();
    expect(events).toEqual(['log: shutting down (exit): refused', 'flush', 'exit 1']);
  });

  it('poweroff: flushes, then powers off without exiting', async () => {
    const { events, run } = harness({ mode: 'poweroff' });
    await run();
    expect(events).toEqual(['log: shutting down (poweroff): idle for 60 min', 'flush', 'poweroff']);
  });

  it('poweroff that fails: says so and exits non-zero', async () => {
    const { events, run } = harness({ mode: 'poweroff', poweroff: () => Promise.resolve(-1) });
    await run();
    expect(events.slice(-2)).toEqual(['log: poweroff failed (status -1); exiting', 'exit 1']);
  });

  it('does not wait for a flush that hangs, nor fail on one that throws', async () => {
    const hang = harness({ flush: () => new Promise(() => undefined), flushTimeoutMs: 100 });
    const started = Date.now();
    await hang.run();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(hang.events.slice(-2)).toEqual([
      'log: last logs not delivered in time; shutting down anyway',
      'exit 0',
    ]);
    const fail = harness({ flush: () => Promise.reject(new Error('unreachable')) });
    await fail.run();
    expect(fail.events.at(-1)).toBe('exit 0');
  });
});
