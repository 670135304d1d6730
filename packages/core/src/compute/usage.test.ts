import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hoursWithin, roundUsd, runningCost, workspaceUsage } from './usage.ts';

const H = 3_600_000;

describe('usage', () => {
  it('a reported cost may exceed the exact one by up to half a millionth, never a rounded bound', () => {
    // What callers may rely on: a bound on the exact cost, rounded like the cost, still holds.
    expect(roundUsd(0.0000125)).toBeGreaterThan(0.0000125 + 1e-9);
    fc.assert(
      fc.property(
        fc.double({ min: 0.001, max: 50, noNaN: true }),
        fc.integer({ min: 0, max: 30 * 24 * H }),
        fc.integer({ min: 0, max: 60_000 }),
        (usdPerHour, ranMs, laterMs) => {
          const cost = runningCost(usdPerHour, [{ start: 0 }], ranMs);
          const bound = (usdPerHour * (ranMs + laterMs)) / H;
          expect(cost).toBeLessThanOrEqual(roundUsd(bound));
          expect(Math.abs(cost - (usdPerHour * ranMs) / H)).toBeLessThanOrEqual(5e-7 + 1e-12);
        },
      ),
    );
  });

  it('costs a cluster by its nodes’ hours, counting running nodes up to now', () => {
    expect(runningCost(0.2, [{ start: 0, end: 2 * H }, { start: H }], 3 * H)).toBe(0.8);
    expect(runningCost(0.1008, [], 3 * H)).toBe(0);
  });

  it('sums vCPU-, GiB- and storage-hours clipped to the period', () => {
    const runs = [
      { start: 0, end: 4 * H, vcpus: 4, memoryGiB: 16, storageGiB: 32, usdPerHour: 0.2 },
      { start: 3 * H, vcpus: 2, memoryGiB: 8, storageGiB: 100, usdPerHour: 0.1 },
    ];
    expect(workspaceUsage(runs, { from: 2 * H, to: 10 * H }, 5 * H)).toEqual({
      instanceHours: 4,
      vcpuHours: 12,
      memoryGiBHours: 48,
      storageGiBHours: 264,
      costUsd: 0.6,
    });
  });

  it('adds up over adjacent periods', () => {
    fc.assert(
      fc.property(
        fc.nat(100),
        fc.option(fc.nat(100), { nil: undefined }),
        fc.nat(100),
        fc.nat(100),
        (s, endLen, cut, now) => {
          const run = { start: s * H, ...(endLen === undefined ? {} : { end: (s + endLen) * H }) };
          const whole = hoursWithin(run, { from: 0, to: 300 * H }, now * H);
          const split =
            hoursWithin(run, { from: 0, to: cut * H }, now * H) +
            hoursWithin(run, { from: cut * H, to: 300 * H }, now * H);
          expect(split).toBeCloseTo(whole, 9);
          expect(whole).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });
});
