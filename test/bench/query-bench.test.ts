/**
 * The query-overhead benchmark at a tiny size, so it keeps running: every query runs in
 * process and through both modes, with the same row counts, and the table has each figure.
 */
import { describe, expect, it } from 'vitest';
import { formatQueryBench, runQueryBench } from '../../bench/query-overhead/query-bench.ts';

describe('query-overhead benchmark', () => {
  it('times the same queries in process, direct and proxy', async () => {
    const result = await runQueryBench({ runs: 1, rows: 20_000, resultRows: 5_000 });
    const table = formatQueryBench(result);
    console.log(table);
    expect(result.queries.map((q) => q.rows)).toEqual([1, 5_000, 265]);
    for (const q of result.queries) {
      for (const ms of Object.values(q.medianMs)) expect(ms).toBeGreaterThan(0);
    }
    expect(table).toMatch(/\| small result .* \| 1 \| [\d.]+ \| [\d.]+ \| -?[\d.]+ \| [\d.]+× \|/);
  }, 300_000);
});
