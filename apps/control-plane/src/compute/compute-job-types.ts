/**
 * The compute jobs of the control plane's job catalog. Types are plain data so any module
 * can enqueue them; `compute-jobs.ts` registers the handlers and schedules the periodic ones.
 */
import { z } from 'zod';
import { defineJob } from '../jobs/job-type.ts';

const cluster = z.object({ clusterId: z.string() });

/**
 * Short leases: the queue renews a lease every third of it while the handler runs, so a
 * long run keeps its claim, and a run cut short by a crash is taken over in seconds.
 */
const LEASE_MS = 30_000;

/** Selects the type and launches a Starting cluster (idempotent: ClientToken per attempt). */
export const launchClusterJob = defineJob({
  name: 'compute.launch',
  payload: cluster,
  leaseMs: LEASE_MS,
  maxAttempts: 10,
  retry: { initialDelayMs: 500, maxDelayMs: 30_000 },
});

/** Terminates a Stopping cluster's instances (as the user who stopped it, or the reaper). */
export const stopClusterJob = defineJob({
  name: 'compute.stop',
  payload: cluster.extend({
    role: z.enum(['UserInitiated', 'Unattended']),
    /** Who acts (default: the cluster's starter, or `system:reaper` for Unattended). */
    actor: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('user'), id: z.string() }),
        z.object({ kind: z.literal('service-account'), id: z.string() }),
        z.object({ kind: z.literal('system'), name: z.string() }),
      ])
      .optional(),
  }),
  leaseMs: LEASE_MS,
  maxAttempts: 10,
  retry: { initialDelayMs: 500, maxDelayMs: 30_000 },
});

/** One reconcile cycle over every workspace with clusters. */
export const reconcileJob = defineJob({
  name: 'compute.reconcile',
  payload: z.object({}),
  leaseMs: LEASE_MS,
  maxAttempts: 1,
});

/** One reaper cycle over every connected workspace (Unattended role only). */
export const reapJob = defineJob({
  name: 'compute.reap',
  payload: z.object({}),
  leaseMs: LEASE_MS,
  maxAttempts: 1,
});

/** Deletes node logs and samples older than the retention. */
export const purgeTelemetryJob = defineJob({
  name: 'compute.telemetry.purge',
  payload: z.object({}),
  leaseMs: LEASE_MS,
  maxAttempts: 1,
});
