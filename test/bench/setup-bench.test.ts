/**
 * The setup benchmark at a tiny size (one setup after the fixture's), so it keeps running:
 * the workspace turns Active after the stack's last resource, and the figures are printed.
 */
import { describe, expect, it } from 'vitest';
import { formatSetupBench, runSetupBench } from '../../bench/setup/setup-bench.ts';

describe('setup benchmark', () => {
  it('measures from the stack’s last resource to the workspace Active', async () => {
    const result = await runSetupBench({ runs: 1 });
    console.log(formatSetupBench(result));
    expect(result.runs).toHaveLength(1);
    expect(result.runs[0]!.activeMs).toBeGreaterThan(0);
    expect(result.runs[0]!.stackCompleteMs).toBeGreaterThanOrEqual(0);
    expect(formatSetupBench(result)).toContain('target');
  }, 600_000);
});
