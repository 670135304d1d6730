/**
 * The control plane's job catalog: every job type with its handler and schedule, listed
 * once. The server registers it at start; a new job type is an entry in its area's list.
 */
import { awsSetupJobs } from './aws/aws-setup-jobs.ts';
import { computeJobs } from './compute/compute-jobs.ts';
import { connectionJobs } from './connections/connection-jobs.ts';
import type { JobEntry } from './jobs/job-catalog.ts';
import { queryJobs } from './queries/query-jobs.ts';

export const jobCatalog: readonly JobEntry[] = [
  ...awsSetupJobs,
  ...computeJobs,
  ...queryJobs,
  ...connectionJobs,
];
