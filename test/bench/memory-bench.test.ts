/**
 * The memory benchmark at a tiny size (PGlite only), so it keeps running — and the claim it
 * rests on: a control plane that has made no EC2 call has not loaded the EC2 SDK.
 */
import { describe, expect, it } from 'vitest';
import { formatMemoryBench, runMemoryBench } from '../../bench/memory/memory-bench.ts';

describe('memory benchmark', () => {
  it('measures the idle control plane against bare Fastify, without the EC2 SDK loaded', async () => {
    const result = await runMemoryBench({ backends: ['pglite'], imports: false });
    const table = formatMemoryBench(result);
    console.log(table);
    expect(result.baseline.fastify.rssMiB).toBeGreaterThan(result.baseline.node.rssMiB);
    expect(result.idle.pglite?.rssMiB).toBeGreaterThan(result.baseline.fastify.rssMiB);
    expect(result.idle.pglite?.ec2SdkLoaded).toBe(false);
    expect(table).toContain('ferry idle, pglite');
  }, 300_000);
});
