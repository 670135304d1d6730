/**
 * Registers the compute jobs' handlers with the queue and schedules the periodic ones
 * (reconcile, reap, telemetry purge) from `config.compute`.
 */
import type { Resources } from '../resources.ts';
import {
  launchClusterJob,
  purgeTelemetryJob,
  reapJob,
  reconcileJob,
  stopClusterJob,
} from './compute-job-types.ts';
import { describeAwsError } from './ec2-retry.ts';
import { failCluster, launchCluster } from './launcher.ts';
import { reap } from './reaper.ts';
import { reconcile } from './reconciler.ts';
import { stopClusterInstances } from './stopper.ts';
import { purgeTelemetry } from './telemetry.ts';

/** Options of {@link registerComputeJobs}. */
export interface ComputeJobsOptions {
  /** Schedule the periodic jobs (default true; tests may run cycles by hand). */
  readonly schedule?: boolean;
  /** How often old node logs and samples are purged (default hourly). */
  readonly purgeEveryMs?: number;
  /** How long a stop job run waits for EC2 to report termination before retrying. */
  readonly stopWaitMs?: number;
}

const registered = new WeakSet<object>();

/** Registers the compute jobs (once per resources object). */
export function registerComputeJobs(resources: Resources, options: ComputeJobsOptions = {}): void {
  if (registered.has(resources)) return;
  registered.add(resources);
  resources.jobs.register(launchClusterJob, async (payload, ctx) => {
    let outcome;
    try {
      outcome = await launchCluster(resources, payload.clusterId, { signal: ctx.signal });
    } catch (err) {
      // The last attempt: the cluster fails with the error rather than stay Starting.
      if (ctx.attempt >= ctx.maxAttempts && !ctx.signal.aborted) {
        const d = describeAwsError(err);
        await failCluster(resources, payload.clusterId, { code: d.code, message: d.message });
      }
      throw err;
    }
    ctx.log.info(
      {
        clusterId: payload.clusterId,
        status: outcome.status,
        attempts: outcome.attempts,
        awsCalls: outcome.awsCalls,
        ...(outcome.error ? { error: outcome.error } : {}),
      },
      'cluster launch',
    );
  });
  resources.jobs.register(stopClusterJob, async (payload, ctx) => {
    await stopClusterInstances(resources, payload.clusterId, {
      role: payload.role,
      ...(payload.actor ? { actor: payload.actor } : {}),
      signal: ctx.signal,
      ...(options.stopWaitMs !== undefined ? { waitMs: options.stopWaitMs } : {}),
    });
  });
  resources.jobs.register(reconcileJob, async (_payload, ctx) => {
    const report = await reconcile(resources, { signal: ctx.signal });
    ctx.log.debug(report, 'reconcile cycle');
  });
  resources.jobs.register(reapJob, async (_payload, ctx) => {
    const report = await reap(resources, { signal: ctx.signal });
    ctx.log.debug(report, 'reaper cycle');
  });
  resources.jobs.register(purgeTelemetryJob, async (_payload, ctx) => {
    const purged = await purgeTelemetry(resources);
    ctx.log.debug(purged, 'telemetry purged');
  });
  if (options.schedule === false) return;
  const c = resources.config.compute;
  resources.jobs.schedule(reconcileJob, { everyMs: c.reconcileEveryMs, payload: {} });
  resources.jobs.schedule(reapJob, { everyMs: c.reapEveryMs, payload: {} });
  resources.jobs.schedule(purgeTelemetryJob, {
    everyMs: options.purgeEveryMs ?? 3_600_000,
    payload: {},
  });
}
