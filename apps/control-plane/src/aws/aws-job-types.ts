/**
 * The AWS connection's job types. Plain data, so the code that enqueues them (phone-home)
 * need not import their handlers (`aws-setup-jobs.ts`).
 */
import { z } from 'zod';
import { defineJob } from '../jobs/job-type.ts';

/** Reads the phone-home queue once (long poll) and handles what arrived. */
export const phoneHomeJob = defineJob({
  name: 'aws.phone-home.consume',
  payload: z.object({}),
  leaseMs: 60_000,
  maxAttempts: 1,
});

/** Verifies a workspace (after Connected: repeats while IAM propagates). */
export const verifyJob = defineJob({
  name: 'aws.setup.verify',
  payload: z.object({ workspaceId: z.string() }),
  leaseMs: 300_000,
  maxAttempts: 3,
});

/** Re-verifies every Active or Degraded workspace. */
export const driftJob = defineJob({
  name: 'aws.drift.check',
  payload: z.object({}),
  leaseMs: 300_000,
  maxAttempts: 1,
});
