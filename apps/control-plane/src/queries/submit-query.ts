/**
 * Proxy mode: a query submitted through the control plane. It is stored Queued with its
 * envelope, and the cluster's nodes are woken (on any replica) to take it with their work
 * long-poll. The envelope's shape is checked by the contract; the node checks its versions
 * and plan safety again before running it.
 */
import type { CallInput, QueryView } from '@ferry/api';
import { ConflictError, isLiveClusterState, newId, type ClusterState } from '@ferry/core';
import type { RunInTransaction } from '../http/request-transaction.ts';
import type { Resources } from '../resources.ts';
import { findClusterRow } from '../compute/cluster-queries.ts';
import { connectionRow } from '../connections/connections.ts';
import { queryBus } from './query-bus.ts';
import type { QueryActor } from './query-actor.ts';
import { queryView } from './query-view.ts';

/** What {@link submitQuery} needs. */
export interface SubmitQueryInput {
  readonly workspaceId: string;
  readonly clusterId: string;
  readonly body: CallInput<'queries.submit'>['body'];
  readonly actor: QueryActor;
  /** The request's transaction: the query and an Idempotency-Key's completion commit together. */
  readonly transaction: RunInTransaction;
}

/** Queues a proxy-mode query on a live cluster. */
export async function submitQuery(
  resources: Pick<Resources, 'db' | 'clock' | 'config' | 'log'>,
  input: SubmitQueryInput,
): Promise<QueryView> {
  const now = resources.clock.now();
  const { envelope } = input.body;
  const row = await input.transaction(async (db) => {
    const cluster = await findClusterRow({ db }, input.workspaceId, input.clusterId);
    if (!isLiveClusterState(cluster.state as ClusterState)) {
      throw new ConflictError(
        'cluster_not_live',
        `Cluster ${cluster.id} is ${cluster.state}: start it (or another) before running queries.`,
      );
    }
    // Each named connection must be the workspace's own (404 like a missing one) and S3.
    for (const name of envelope.connections ?? []) {
      const connection = await connectionRow(db, cluster.workspace_id, name);
      if (connection.target.type !== 's3')
        throw new ConflictError(
          'connection_not_s3',
          `Connection "${name}" is a Kinesis stream: queries read S3 connections.`,
        );
    }
    const inserted = await db
      .insertInto('queries')
      .values({
        id: newId('query', now.getTime()),
        workspace_id: cluster.workspace_id,
        org_id: cluster.org_id,
        cluster_id: cluster.id,
        instance_id: null,
        actor_kind: input.actor.kind,
        actor_id: input.actor.id,
        mode: 'proxy',
        kind: envelope.kind,
        labels: JSON.stringify(envelope.labels ?? {}),
        state: 'Queued',
        envelope: JSON.stringify(envelope),
        connections:
          envelope.connections === undefined ? null : JSON.stringify(envelope.connections),
        queued_at: now,
        usd_per_hour: cluster.usd_per_hour,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    // On PostgreSQL the signal goes out with the commit, so the node finds the query.
    await queryBus(resources).notify(`cluster:${cluster.id}`, db);
    return inserted;
  });
  return queryView(row, now);
}
