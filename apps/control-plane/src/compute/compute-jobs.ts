/**
 * The compute entries of the job catalog: launch and stop, and the periodic reconcile, reap
 * and telemetry purge (intervals from `config.compute` and `config.jobs`).
 */
import { jobEntry } from '../jobs/job-catalog.ts';
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

export const computeJobs = [
  jobEntry({
    type: launchClusterJob,
    async run(resources, payload, ctx) {
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
    },
  }),
  jobEntry({
    type: stopClusterJob,
    async run(resources, payload, ctx) {
      await stopClusterInstances(resources, payload.clusterId, {
        role: payload.role,
        ...(payload.actor ? { actor: payload.actor } : {}),
        signal: ctx.signal,
      });
    },
  }),
  jobEntry({
    type: reconcileJob,
    async run(resources, _payload, ctx) {
      const report = await reconcile(resources, { signal: ctx.signal });
      ctx.log.debug(report, 'reconcile cycle');
    },
    schedule: { every: (config) => config.jobs.reconcileEveryMs, payload: {} },
  }),
  jobEntry({
    type: reapJob,
    async run(resources, _payload, ctx) {
      const report = await reap(resources, { signal: ctx.signal });
      ctx.log.debug(report, 'reaper cycle');
    },
    schedule: { every: (config) => config.jobs.reapEveryMs, payload: {} },
  }),
  jobEntry({
    type: purgeTelemetryJob,
    async run(resources, _payload, ctx) {
      const purged = await purgeTelemetry(resources);
      ctx.log.debug(purged, 'telemetry purged');
    },
    schedule: { every: (config) => config.jobs.telemetryPurgeEveryMs, payload: {} },
  }),
];
