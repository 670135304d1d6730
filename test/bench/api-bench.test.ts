/**
 * The API benchmark at a tiny size, so it keeps running: every target answered without a
 * failure on both backends, the baselines ran, and PostgreSQL's statement count was read.
 */
import { describe, expect, it } from 'vitest';
import { formatApiBench, runApiBench } from '../../bench/api/api-bench.ts';

describe('API benchmark', () => {
  it('measures ferry and both baselines on PGlite and PostgreSQL', async () => {
    const result = await runApiBench({
      backends: ['pglite', 'postgres'],
      connections: [2],
      durationSeconds: 1,
      workspaces: 3,
      countedRequests: 20,
    });
    console.log(formatApiBench(result, [2]));
    for (const r of result.results) {
      expect(Object.keys(r.loads).sort()).toEqual([
        'bare JSON create c=2',
        'bare JSON list c=2',
        'ferry create c=2',
        'ferry list c=2',
        'same SQL list c=2',
      ]);
      for (const [name, figures] of Object.entries(r.loads)) {
        expect(figures.failures, name).toBe(0);
        expect(figures.requestsPerSecond, name).toBeGreaterThan(0);
      }
      expect(r.memory['ferry idle']).toBeGreaterThan(0);
    }
    const postgres = result.results.find((r) => r.backend === 'postgres');
    // Authentication and the list itself are at least two reads.
    expect(postgres?.statements.list?.byKind['select']).toBeGreaterThanOrEqual(2);
    expect(postgres?.statements.create?.perRequest).toBeGreaterThan(1);
  }, 300_000);
});
