/**
 * The launch benchmark at a tiny size, so it keeps running: one cluster reaches Idle, its
 * overhead is the time to Idle minus the configured boot, and the breakdown (from the
 * cluster's record and the node's console) is there.
 */
import { describe, expect, it } from 'vitest';
import { formatLaunchBench, runLaunchBench } from '../../bench/launch/launch-bench.ts';

describe('launch benchmark', () => {
  it('measures what ferry adds to a cluster start beyond the boot', async () => {
    const result = await runLaunchBench({ runs: 1, pendingMs: 500 });
    console.log(formatLaunchBench(result));
    const [run] = result.runs;
    expect(run!.overheadMs).toBe(run!.toIdleMs - 500);
    expect(run!.events.some((e) => e.startsWith('Starting→Idle'))).toBe(true);
    expect(run!.events.some((e) => /^registered \d+$/.test(e))).toBe(true);
    // The node's console gave the breakdown: the boot script downloaded and unpacked the bundle.
    const p = run!.phases;
    for (const phase of [p.launch, p.download, p.unpack, p.script, p.worker, p.idle])
      expect(Number.isFinite(phase)).toBe(true);
    expect(p.download).toBeGreaterThan(0);
    expect(formatLaunchBench(result)).toContain('| download + sha256 |');
  }, 240_000);
});
