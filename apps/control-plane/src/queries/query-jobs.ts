/** The periodic query sweep as a job of the control plane's queue (one replica runs it). */
import { z } from 'zod';
import { jobEntry } from '../jobs/job-catalog.ts';
import { defineJob } from '../jobs/job-type.ts';
import { sweepQueries } from './query-sweeper.ts';

/** One sweep of unfinished queries. */
export const sweepQueriesJob = defineJob({
  name: 'queries.sweep',
  payload: z.object({}),
  leaseMs: 30_000,
  maxAttempts: 1,
});

/** The query entries of the job catalog (the sweep, every `jobs.querySweepEveryMs`). */
export const queryJobs = [
  jobEntry({
    type: sweepQueriesJob,
    async run(resources) {
      const report = await sweepQueries(resources);
      if (report.failed.length > 0) resources.log.info(report, 'query sweep');
    },
    schedule: { every: (config) => config.jobs.querySweepEveryMs, payload: {} },
  }),
];
