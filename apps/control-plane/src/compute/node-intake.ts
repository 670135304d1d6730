/**
 * What worker nodes send: registration (the one-time bootstrap token from the user-data,
 * traded for a node token) and heartbeats (activity, metric samples, log lines). Only
 * sha256 hashes of either token are stored. Registration of the last node of a cluster
 * makes it Idle; heartbeats move it between Idle and Busy and keep its activity time; the
 * answer tells the node to stop once the cluster is no longer live.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { CallInput, CallOutput } from '@ferry/api';
import {
  ConflictError,
  FerryError,
  isLiveClusterState,
  isTerminalClusterState,
  type ClusterState,
  type ComputeContext,
} from '@ferry/core';
import type { Kysely } from 'kysely';
import { resultsBucketName } from '@ferry/aws-template';
import type { Database } from '../db/database.ts';
import { querySigningKey } from '../queries/query-signing-key.ts';
import type { Resources } from '../resources.ts';
import { applyClusterEvent, touchCluster, type ClusterRow } from './cluster-transitions.ts';

/** The header carrying the node token on heartbeats. */
export const NODE_TOKEN_HEADER = 'x-ferry-node-token';

/** sha256 (hex) of a token: all the database ever holds. */
export function hashNodeToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A token that is unknown, used up or for another cluster (401; never says which). */
export class NodeTokenError extends FerryError {
  constructor(kind: 'bootstrap' | 'node') {
    super({
      code: kind === 'bootstrap' ? 'bootstrap_token_invalid' : 'node_token_invalid',
      status: 401,
      fault: 'client',
      retryable: false,
      message:
        kind === 'bootstrap'
          ? 'The bootstrap token is not valid for this cluster (unknown, or every node already registered).'
          : `The ${NODE_TOKEN_HEADER} header does not carry a valid node token.`,
    });
  }
}

function sameHash(a: string, b: string | null): boolean {
  if (b === null || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

const contextOf = (row: ClusterRow): ComputeContext => row.context as unknown as ComputeContext;

async function lockCluster(
  trx: Kysely<Database>,
  clusterId: string,
): Promise<ClusterRow | undefined> {
  return trx
    .selectFrom('clusters')
    .selectAll()
    .where('id', '=', clusterId)
    .forUpdate()
    .executeTakeFirst();
}

/** Registers a node (the `nodes.register` route). */
export async function registerNode(
  resources: Pick<Resources, 'db' | 'clock' | 'config' | 'secrets'>,
  body: CallInput<'nodes.register'>['body'],
): Promise<CallOutput<'nodes.register'>> {
  const hash = hashNodeToken(body.bootstrapToken);
  const nodeToken = `ferry_node_${randomBytes(32).toString('base64url')}`;
  // Read (or made) outside the transaction: PGlite serves one connection.
  const queryTokenPublicKey = (await querySigningKey(resources)).publicKeyPem;
  return resources.db.transaction().execute(async (trx) => {
    const now = resources.clock.now();
    const cluster = await lockCluster(trx, body.clusterId);
    if (cluster === undefined || !sameHash(hash, cluster.bootstrap_token_hash)) {
      throw new NodeTokenError('bootstrap');
    }
    if (!isLiveClusterState(cluster.state as ClusterState)) {
      throw new ConflictError(
        'cluster_not_live',
        `Cluster ${cluster.id} is ${cluster.state}: its nodes should shut down.`,
      );
    }
    const node = await trx
      .selectFrom('cluster_nodes')
      .select(['instance_id', 'registered_at', 'private_ip', 'ec2_state'])
      .where('instance_id', '=', body.instanceId)
      .where('cluster_id', '=', cluster.id)
      .executeTakeFirst();
    if (node === undefined) {
      throw new ConflictError(
        'node_not_recorded',
        `Instance ${body.instanceId} is not a recorded node of cluster ${cluster.id} yet; try again shortly.`,
        { retryable: true },
      );
    }
    if (node.registered_at !== null) {
      throw new ConflictError(
        'node_already_registered',
        `Instance ${body.instanceId} already registered with cluster ${cluster.id}.`,
      );
    }
    await trx
      .updateTable('cluster_nodes')
      .set({
        node_token_hash: hashNodeToken(nodeToken),
        registered_at: now,
        last_heartbeat_at: now,
        agent_state: 'idle',
        // A node whose agent calls in is running, whatever the last observation said.
        ...(node.ec2_state === 'pending' ? { ec2_state: 'running' } : {}),
        ...(node.private_ip === null && body.privateIp !== undefined
          ? { private_ip: body.privateIp }
          : {}),
        // Direct-mode clients reach the worker here and pin this certificate.
        ...(body.query !== undefined
          ? { query_port: body.query.port, tls_fingerprint: body.query.tlsFingerprint }
          : {}),
      })
      .where('instance_id', '=', body.instanceId)
      .execute();
    const { registered } = await trx
      .selectFrom('cluster_nodes')
      .select((eb) => eb.fn.countAll<string | number>().as('registered'))
      .where('cluster_id', '=', cluster.id)
      .where('registered_at', 'is not', null)
      .where('terminated_at', 'is', null)
      .executeTakeFirstOrThrow();
    const context = contextOf(cluster);
    const all = Number(registered) >= context.clusterSize;
    if (all && cluster.state === 'Starting') {
      await applyClusterEvent(
        resources,
        cluster.id,
        { type: 'ready' },
        {
          trx,
          message: `all ${context.clusterSize} node(s) registered`,
          // Every node is in: the bootstrap token has done its job.
          set: { bootstrap_token_hash: null, last_heartbeat_at: now },
        },
      );
    } else {
      await touchCluster(trx, cluster.id, now, {
        last_heartbeat_at: now,
        ...(all ? { bootstrap_token_hash: null } : {}),
      });
    }
    const setup = await trx
      .selectFrom('aws_setups')
      .select('account_id')
      .where('workspace_id', '=', cluster.workspace_id)
      .executeTakeFirst();
    return {
      nodeToken,
      heartbeatSeconds: resources.config.compute.heartbeatSeconds,
      idleTimeoutMins: context.idleTimeoutMins,
      queryTokenPublicKey,
      connectionMode: context.connectionMode,
      ...(setup?.account_id
        ? { resultsBucket: resultsBucketName(setup.account_id, cluster.workspace_id) }
        : {}),
    };
  });
}

const CHUNK = 500;

/** Records a heartbeat (the `nodes.heartbeat` route); `token` is the header's value. */
export async function recordHeartbeat(
  resources: Pick<Resources, 'db' | 'clock'>,
  token: string | undefined,
  body: CallInput<'nodes.heartbeat'>['body'],
): Promise<CallOutput<'nodes.heartbeat'>> {
  if (token === undefined || token === '') throw new NodeTokenError('node');
  const hash = hashNodeToken(token);
  const db = resources.db;
  const node = await db
    .selectFrom('cluster_nodes')
    .select(['instance_id', 'cluster_id', 'terminated_at'])
    .where('node_token_hash', '=', hash)
    .executeTakeFirst();
  if (node === undefined) throw new NodeTokenError('node');
  return db.transaction().execute(async (trx) => {
    const now = resources.clock.now();
    const cluster = await lockCluster(trx, node.cluster_id);
    if (cluster === undefined) throw new NodeTokenError('node');
    const context = contextOf(cluster);
    const live = isLiveClusterState(cluster.state as ClusterState);
    await trx
      .updateTable('cluster_nodes')
      .set({ last_heartbeat_at: now, agent_state: body.state })
      .where('instance_id', '=', node.instance_id)
      .execute();
    // The node still holds these queries: they are alive even without a report (the sweep
    // fails the ones a live node no longer holds).
    const held = body.queryIds ?? [];
    if (held.length > 0) {
      await trx
        .updateTable('queries')
        .set({ updated_at: now })
        .where('instance_id', '=', node.instance_id)
        .where('id', 'in', held)
        .where('state', 'in', ['Queued', 'Running'])
        .execute();
    }
    // A stopped cluster's nodes (or a node EC2 terminated) write nothing more; a stopping
    // cluster's nodes still do, so their last words are kept.
    if (!isTerminalClusterState(cluster.state as ClusterState) && node.terminated_at === null) {
      await storeTelemetry(trx, node.cluster_id, node.instance_id, body);
    }
    if (!live) return { stop: true, idleTimeoutMins: context.idleTimeoutMins };

    // The node's own idle clock, never ahead of ours; a busy node is active now.
    const reported = Math.min(new Date(body.lastActivityAt).getTime(), now.getTime());
    const activity = body.state === 'busy' ? now.getTime() : reported;
    const set = {
      last_heartbeat_at: now,
      last_activity_at: new Date(Math.max(activity, cluster.last_activity_at.getTime())),
    };
    const busyNodes = await trx
      .selectFrom('cluster_nodes')
      .select('instance_id')
      .where('cluster_id', '=', cluster.id)
      .where('agent_state', '=', 'busy')
      .where('terminated_at', 'is', null)
      .execute();
    const event =
      cluster.state === 'Idle' && busyNodes.length > 0
        ? ({ type: 'busy' } as const)
        : cluster.state === 'Busy' && busyNodes.length === 0
          ? ({ type: 'idle' } as const)
          : undefined;
    if (event !== undefined) {
      await applyClusterEvent(resources, cluster.id, event, {
        trx,
        set,
        message:
          event.type === 'busy'
            ? `${node.instance_id}: ${body.activeQueries} query(ies), ${body.connectedClients} client(s)`
            : 'no node has a query or a client',
      });
    } else {
      await touchCluster(trx, cluster.id, now, set);
    }
    return { stop: false, idleTimeoutMins: context.idleTimeoutMins };
  });
}

async function storeTelemetry(
  trx: Kysely<Database>,
  clusterId: string,
  instanceId: string,
  body: CallInput<'nodes.heartbeat'>['body'],
): Promise<void> {
  const samples = body.samples ?? [];
  const logs = body.logs ?? [];
  for (let i = 0; i < samples.length; i += CHUNK) {
    await trx
      .insertInto('node_samples')
      .values(
        samples.slice(i, i + CHUNK).map((s) => ({
          cluster_id: clusterId,
          instance_id: instanceId,
          at: new Date(s.at),
          cpu_percent: s.cpuPercent,
          memory_percent: s.memoryPercent,
          disk_percent: s.diskPercent,
        })),
      )
      .execute();
  }
  for (let i = 0; i < logs.length; i += CHUNK) {
    await trx
      .insertInto('node_logs')
      .values(
        logs.slice(i, i + CHUNK).map((l) => ({
          cluster_id: clusterId,
          instance_id: instanceId,
          at: new Date(l.at),
          stream: l.stream,
          // PostgreSQL text cannot hold NUL; a stray one must not lose the whole batch.
          line: l.line.replaceAll('\u0000', ''),
        })),
      )
      .execute();
  }
}
