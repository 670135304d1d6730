import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { byZone, tripsPart } from './demo-queries.ts';

describe('the demo dataset', () => {
  it('is the same on every run, over 265 zones, fares in cents and distances in tenths', () => {
    const a = tripsPart(50_000, 3);
    expect(a.height).toBe(50_000);
    expect(a.columns).toEqual(['zone', 'fare', 'distance']);
    expect(tripsPart(50_000, 3).frameEqual(a)).toBe(true);
    expect(tripsPart(50_000, 4).frameEqual(a)).toBe(false);
    const zones = a.getColumn('zone');
    expect(zones.min()).toBe(0);
    expect(zones.max()).toBe(264);
    const fare = a.getColumn('fare');
    expect(fare.min()).toBeGreaterThanOrEqual(0);
    expect(fare.max()).toBeLessThan(60);
    expect(fare.mul(100).round(6).equals(fare.mul(100).round(0)).all()).toBe(true);
  });

  it('aggregates per zone: every trip counted once, zones in order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-demo-trips-'));
    try {
      const file = join(dir, 'part-00.parquet');
      tripsPart(20_000, 1).writeParquet(file);
      const out = byZone(file).collectSync();
      expect(out.columns).toEqual(['zone', 'avg_fare', 'distance', 'trips']);
      expect(Number(out.getColumn('trips').sum())).toBe(20_000);
      expect(out.getColumn('zone').toArray()).toEqual([...Array(265).keys()]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
