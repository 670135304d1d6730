/**
 * Fails starting clusters whose nodes never registered (`planBootstrapFailures`): a worker
 * that cannot start must not leave its cluster Starting forever. Before failing one, the
 * console output of each node that never registered (`ec2:GetConsoleOutput`, Unattended
 * role) is kept in the cluster's events — it is usually the only trace of why. The
 * reconciler runs this before its own plan, which then terminates the failed cluster's
 * instances in the same cycle.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { planBootstrapFailures, type BootstrappingCluster } from '@ferry/core';
import { loadEc2Sdk } from '../aws/ec2-sdk.ts';
import type { Resources } from '../resources.ts';
import { applyClusterEvent } from './cluster-transitions.ts';
import { abortable, describeAwsError, retryEc2, type SendOptions } from './ec2-retry.ts';
import type { ObservedEc2Instance } from './observe.ts';

/** The event that carries a node's console output. */
export const CONSOLE_OUTPUT_EVENT = 'console_output';
/** How much of the end of a console output is kept. */
const KEEP_CHARS = 8192;

/** Fails the workspace's starting clusters whose nodes did not boot; returns how many. */
export async function failStalledBootstraps(
  resources: Resources,
  workspaceId: string,
  seen: readonly ObservedEc2Instance[],
  ec2: EC2Client,
  send: SendOptions,
): Promise<number> {
  const db = resources.db;
  const rows = await db
    .selectFrom('clusters')
    .select(['id', 'context', 'launched_at', 'created_at'])
    .where('workspace_id', '=', workspaceId)
    .where('state', '=', 'Starting')
    .execute();
  if (rows.length === 0) return 0;
  const nodes = await db
    .selectFrom('cluster_nodes')
    .select(['cluster_id', 'instance_id', 'registered_at', 'ec2_state'])
    .where(
      'cluster_id',
      'in',
      rows.map((r) => r.id),
    )
    .execute();
  const observed = new Map(seen.map((i) => [i.instanceId, i.state]));
  const clusters: BootstrappingCluster[] = rows.map((r) => ({
    id: r.id,
    clusterSize: (r.context as { clusterSize?: number }).clusterSize ?? 1,
    launchedAt: (r.launched_at ?? r.created_at).getTime(),
    nodes: nodes
      .filter((n) => n.cluster_id === r.id)
      .map((n) => {
        const ec2State = observed.get(n.instance_id) ?? n.ec2_state;
        return { instanceId: n.instance_id, registered: n.registered_at !== null, ec2State };
      }),
  }));
  const failures = planBootstrapFailures(
    clusters,
    resources.clock.now().getTime(),
    resources.config.compute.bootstrapTimeoutMs,
  );
  let failed = 0;
  for (const f of failures) {
    const outputs: { instanceId: string; text: string }[] = [];
    for (const instanceId of f.instanceIds) {
      outputs.push({ instanceId, text: await consoleOutput(ec2, instanceId, send) });
    }
    const done = await db.transaction().execute(async (trx) => {
      const applied = await applyClusterEvent(
        resources,
        f.clusterId,
        { type: 'fail', error: { code: f.code, message: f.message } },
        { trx },
      );
      if (!applied.applied) return false;
      const at = resources.clock.now();
      for (const o of outputs) {
        await trx
          .insertInto('cluster_events')
          .values({
            cluster_id: f.clusterId,
            at,
            from_state: 'Failed',
            to_state: 'Failed',
            event: CONSOLE_OUTPUT_EVENT,
            message: `console output of ${o.instanceId}:\n${o.text}`,
          })
          .execute();
      }
      return true;
    });
    if (!done) continue;
    failed++;
    resources.log.warn(
      { workspaceId, clusterId: f.clusterId, code: f.code, instanceIds: f.instanceIds },
      'cluster failed: a node did not register',
    );
  }
  return failed;
}

/** The end of an instance's console output, or a line saying why there is none. */
async function consoleOutput(
  ec2: EC2Client,
  instanceId: string,
  send: SendOptions,
): Promise<string> {
  try {
    const { GetConsoleOutputCommand } = await loadEc2Sdk();
    const command = new GetConsoleOutputCommand({ InstanceId: instanceId, Latest: true });
    const out = await retryEc2((signal) => ec2.send(command, abortable(signal)), send);
    const text = Buffer.from(out.Output ?? '', 'base64').toString('utf8');
    if (text.trim() === '') return '(empty: EC2 has no console output for this instance yet)';
    return text.length > KEEP_CHARS ? `…${text.slice(-KEEP_CHARS)}` : text;
  } catch (err) {
    if (send.signal?.aborted) throw err;
    const e = describeAwsError(err);
    return `(unavailable: ${e.code}: ${e.message})`;
  }
}
