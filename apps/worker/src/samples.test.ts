import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSampler } from './samples.ts';

describe('samples', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-worker-samples-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reports CPU, memory and disk as percentages of this machine', async () => {
    const at = Date.UTC(2026, 0, 1, 12);
    const sampler = createSampler({ dir, now: () => at });
    // Keep one core busy so the CPU counters move between samples.
    const until = Date.now() + 300;
    let spin = 0;
    while (Date.now() < until) spin += Math.sqrt(spin + 1);
    const s = await sampler.sample();
    expect(s.at).toBe('2026-01-01T12:00:00.000Z');
    for (const v of [s.cpuPercent, s.memoryPercent, s.diskPercent]) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(100);
    }
    expect(s.cpuPercent).toBeGreaterThan(0);
    // A running machine uses some memory and its filesystem holds at least this repository.
    expect(s.memoryPercent).toBeGreaterThan(0);
    expect(s.diskPercent).toBeGreaterThan(0);
    expect(spin).toBeGreaterThan(0);
  });

  it('CPU covers only the time since the previous sample', async () => {
    const sampler = createSampler({ dir, now: () => Date.now() });
    await sampler.sample();
    const samples = [];
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 50));
      samples.push(await sampler.sample());
    }
    for (const s of samples) {
      expect(s.cpuPercent).toBeGreaterThanOrEqual(0);
      expect(s.cpuPercent).toBeLessThanOrEqual(100);
    }
  });

  it('fails when the directory to measure does not exist', async () => {
    const sampler = createSampler({ dir: join(dir, 'missing'), now: () => Date.now() });
    await expect(sampler.sample()).rejects.toThrow(/ENOENT/);
  });
});
