/**
 * The connection jobs: the daily re-test of every connection (a connection whose test fails
 * turns Failing, with the failing checks as its reason; one that passes again turns
 * Verified), and the re-encryption of stored secrets after a secrets-key rotation (at start
 * and hourly). Types and handlers together, so moving them to another queue is one file.
 */
import { z } from 'zod';
import { jobEntry } from '../jobs/job-catalog.ts';
import { defineJob } from '../jobs/job-type.ts';
import type { Resources } from '../resources.ts';
import { reencryptSecrets } from '../secrets/reencrypt-secrets.ts';
import { retestConnection } from './connections.ts';

/** Re-tests every connection of live workspaces. */
export const retestConnectionsJob = defineJob({
  name: 'connections.retest',
  payload: z.object({}),
  // One AWS round trip per check, a handful per connection: renewed while it runs.
  leaseMs: 60_000,
  maxAttempts: 3,
});

/** Re-encrypts secrets that are not under the primary key. */
export const reencryptSecretsJob = defineJob({
  name: 'secrets.reencrypt',
  payload: z.object({}),
  maxAttempts: 3,
});

/** Re-tests every connection once; answers how many were tested and how many fail. */
export async function retestAllConnections(
  resources: Resources,
  now: Date = resources.clock.now(),
): Promise<{ tested: number; failing: number }> {
  const rows = await resources.db
    .selectFrom('connections')
    .innerJoin('workspaces', 'workspaces.id', 'connections.workspace_id')
    .selectAll('connections')
    .where('workspaces.deleted_at', 'is', null)
    .orderBy('connections.id')
    .execute();
  let failing = 0;
  for (const row of rows) {
    try {
      const after = await retestConnection(
        resources,
        row,
        { kind: 'system', name: 'connection-retest' },
        now,
      );
      if (after.state === 'Failing') failing += 1;
    } catch (err) {
      // One connection's trouble (e.g. a deleted workspace's broker refusal) never stops the rest.
      resources.log.warn({ connectionId: row.id, err }, 'connection re-test failed');
    }
  }
  return { tested: rows.length, failing };
}

/**
 * The connection entries of the job catalog: the re-test (every
 * `jobs.connectionRetestEveryMs`, daily by default) and the re-encryption of secrets (every
 * `jobs.secretsReencryptEveryMs`, hourly by default).
 */
export const connectionJobs = [
  jobEntry({
    type: retestConnectionsJob,
    async run(resources, _payload, ctx) {
      ctx.log.info(await retestAllConnections(resources), 'connections re-tested');
    },
    schedule: { every: (config) => config.jobs.connectionRetestEveryMs, payload: {} },
  }),
  jobEntry({
    type: reencryptSecretsJob,
    async run(resources, _payload, ctx) {
      const report = await reencryptSecrets(resources);
      if (report.connections + report.serverKeys > 0) ctx.log.info(report, 'secrets re-encrypted');
    },
    schedule: { every: (config) => config.jobs.secretsReencryptEveryMs, payload: {} },
  }),
];
