/** The periodic query sweep as a job of the control plane's queue (one replica runs it). */
import { z } from 'zod';
import { defineJob } from '../jobs/job-type.ts';
import type { Resources } from '../resources.ts';
import { sweepQueries } from './query-sweeper.ts';

/** One sweep of unfinished queries. */
export const sweepQueriesJob = defineJob({
  name: 'queries.sweep',
  payload: z.object({}),
  leaseMs: 30_000,
  maxAttempts: 1,
});

const registered = new WeakSet<object>();

/** Registers the sweep and schedules it (every 10 s by default). */
export function registerQueryJobs(
  resources: Resources,
  options: { schedule?: boolean; everyMs?: number } = {},
): void {
  if (registered.has(resources)) return;
  registered.add(resources);
  resources.jobs.register(sweepQueriesJob, async () => {
    const report = await sweepQueries(resources);
    if (report.failed.length > 0) resources.log.info(report, 'query sweep');
  });
  if (options.schedule === false) return;
  resources.jobs.schedule(sweepQueriesJob, { everyMs: options.everyMs ?? 10_000, payload: {} });
}
