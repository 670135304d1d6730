/**
 * What worker nodes send about queries, authenticated with the node token like heartbeats:
 * reports of a query's record (idempotent; a report only moves a query forward, so a
 * finished query is never reopened), the work long-poll (proxy submissions of the node's
 * cluster, and cancels asked through the control plane) and proxy-mode head uploads.
 */
import type { CallInput, CallOutput, QueryState } from '@ferry/api';
import { ForbiddenError, NotFoundError } from '@ferry/core';
import { sql } from 'kysely';
import { hashNodeToken, NodeTokenError } from '../compute/node-intake.ts';
import type { Resources } from '../resources.ts';
import { queryBus } from './query-bus.ts';

/** How long the control plane keeps a proxy query's head for its client. */
export const HEAD_TTL_MS = 10 * 60_000;

const ORDER: Record<QueryState, number> = {
  Queued: 0,
  Running: 1,
  Succeeded: 2,
  Failed: 2,
  Canceled: 2,
};

interface CallingNode {
  readonly instanceId: string;
  readonly clusterId: string;
  readonly workspaceId: string;
  readonly usdPerHour: number;
}

/** The node a token belongs to (401 otherwise, never saying why). */
export async function nodeOfToken(
  resources: Pick<Resources, 'db'>,
  token: string | undefined,
): Promise<CallingNode> {
  if (token === undefined || token === '') throw new NodeTokenError('node');
  const node = await resources.db
    .selectFrom('cluster_nodes')
    .select(['instance_id', 'cluster_id', 'workspace_id', 'usd_per_hour', 'terminated_at'])
    .where('node_token_hash', '=', hashNodeToken(token))
    .executeTakeFirst();
  if (node === undefined) throw new NodeTokenError('node');
  return {
    instanceId: node.instance_id,
    clusterId: node.cluster_id,
    workspaceId: node.workspace_id,
    usdPerHour: node.usd_per_hour,
  };
}

const actorKindOf = (actorId: string): 'user' | 'service-account' =>
  actorId.startsWith('sa_') ? 'service-account' : 'user';

/** Records a node's report of a query (the `nodes.queries.report` route). */
export async function reportQuery(
  resources: Pick<Resources, 'db' | 'clock' | 'config' | 'log'>,
  token: string | undefined,
  queryId: string,
  body: CallInput<'nodes.queries.report'>['body'],
): Promise<void> {
  const node = await nodeOfToken(resources, token);
  if (body.clusterId !== node.clusterId || body.instanceId !== node.instanceId) {
    throw new ForbiddenError(
      `This node is ${node.instanceId} of cluster ${node.clusterId}: it reports only its own queries.`,
    );
  }
  const now = resources.clock.now();
  const fields = {
    instance_id: node.instanceId,
    state: body.state,
    started_at: body.startedAt === null ? null : new Date(body.startedAt),
    finished_at: body.finishedAt === null ? null : new Date(body.finishedAt),
    optimized_plan: body.optimizedPlan,
    error_code: body.error?.code ?? null,
    error_message: body.error?.message ?? null,
    location: body.location,
    row_count: body.rowCount,
    bytes: body.bytes,
    result_schema: body.schema === null ? null : JSON.stringify(body.schema),
    profile: body.profile === null ? null : JSON.stringify(body.profile),
    usd_per_hour: node.usdPerHour,
    updated_at: now,
  };
  const changed = await resources.db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('queries')
      .select(['cluster_id', 'state', 'revision', 'instance_id'])
      .where('id', '=', queryId)
      .forUpdate()
      .executeTakeFirst();
    if (row === undefined) {
      if (body.mode === 'proxy') {
        // Proxy queries are created by their submission; a report cannot invent one.
        throw new NotFoundError(`Query ${queryId} was not found.`);
      }
      const cluster = await trx
        .selectFrom('clusters')
        .select(['workspace_id', 'org_id'])
        .where('id', '=', node.clusterId)
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('queries')
        .values({
          id: queryId,
          workspace_id: cluster.workspace_id,
          org_id: cluster.org_id,
          cluster_id: node.clusterId,
          actor_kind: actorKindOf(body.actorId),
          actor_id: body.actorId,
          mode: body.mode,
          kind: body.kind,
          labels: JSON.stringify(body.labels),
          queued_at: new Date(body.queuedAt),
          created_at: now,
          ...fields,
        })
        // A concurrent first report of the same query: the next report moves it on.
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      return true;
    }
    if (row.cluster_id !== node.clusterId) {
      throw new NotFoundError(`Query ${queryId} was not found.`);
    }
    const from = ORDER[row.state as QueryState];
    const to = ORDER[body.state];
    if (row.state === 'Succeeded' && body.state === 'Succeeded') {
      // The node answers with the head before the full result is written; the write's end
      // (its size and time, or why it failed) completes the record. Nothing else changes.
      await trx
        .updateTable('queries')
        .set({
          bytes: fields.bytes,
          profile: fields.profile,
          optimized_plan: fields.optimized_plan,
          error_code: fields.error_code,
          error_message: fields.error_message,
          updated_at: now,
          revision: row.revision + 1,
        })
        .where('id', '=', queryId)
        .execute();
      return true;
    }
    // Forward only: a finished query is never reopened, a report never goes back.
    if (from === 2 || to < from) return false;
    await trx
      .updateTable('queries')
      .set({ ...fields, revision: row.revision + 1 })
      .where('id', '=', queryId)
      .execute();
    return true;
  });
  if (changed) await queryBus(resources).notify(`query:${queryId}`);
}

/** Proxy queries of the node's cluster not yet taken, and cancels for this node. */
async function takeWork(
  resources: Pick<Resources, 'db' | 'clock'>,
  node: CallingNode,
): Promise<CallOutput<'nodes.work'>> {
  const now = resources.clock.now();
  return resources.db.transaction().execute(async (trx) => {
    // SKIP LOCKED: two nodes (or replicas) polling at once never take the same query.
    const queued = await trx
      .selectFrom('queries')
      .select(['id', 'envelope', 'actor_id'])
      .where('cluster_id', '=', node.clusterId)
      .where('mode', '=', 'proxy')
      .where('state', '=', 'Queued')
      .where('delivered_at', 'is', null)
      .orderBy('id', 'asc')
      .limit(16)
      .forUpdate()
      .skipLocked()
      .execute();
    if (queued.length > 0) {
      await trx
        .updateTable('queries')
        .set({ delivered_at: now, instance_id: node.instanceId, envelope: null, updated_at: now })
        .where(
          'id',
          'in',
          queued.map((q) => q.id),
        )
        .execute();
    }
    const cancels = await trx
      .updateTable('queries')
      .set({ cancel_delivered_at: now })
      .where('instance_id', '=', node.instanceId)
      .where('cancel_requested_at', 'is not', null)
      .where('cancel_delivered_at', 'is', null)
      .where('state', 'in', ['Queued', 'Running'])
      .returning('id')
      .execute();
    return {
      queries: queued.map((q) => ({
        queryId: q.id,
        envelope: q.envelope as never,
        actorId: q.actor_id,
      })),
      cancel: cancels.map((c) => c.id),
    };
  });
}

/** The work long-poll (the `nodes.work` route): answers as soon as there is work. */
export async function pollWork(
  resources: Pick<Resources, 'db' | 'clock' | 'config' | 'log'>,
  token: string | undefined,
  waitSeconds: number | undefined,
  signal?: AbortSignal,
): Promise<CallOutput<'nodes.work'>> {
  const node = await nodeOfToken(resources, token);
  const bus = queryBus(resources);
  const deadline = Date.now() + (waitSeconds ?? 0) * 1000;
  for (;;) {
    const work = await takeWork(resources, node);
    if (work.queries.length > 0 || work.cancel.length > 0) return work;
    const left = deadline - Date.now();
    if (left <= 0 || signal?.aborted === true) return work;
    // The signal wakes the poll; the timer only bounds a lost one.
    await bus.wait(`cluster:${node.clusterId}`, Math.min(left, 5000), signal);
  }
}

/** Stores a proxy query's head (the `nodes.queries.head` route) until fetched or expired. */
export async function uploadHead(
  resources: Pick<Resources, 'db' | 'clock' | 'config' | 'log'>,
  token: string | undefined,
  queryId: string,
  body: CallInput<'nodes.queries.head'>['body'],
): Promise<void> {
  const node = await nodeOfToken(resources, token);
  const now = resources.clock.now();
  const updated = await resources.db
    .updateTable('queries')
    .set({
      head: Buffer.from(body.arrowIpcBase64, 'base64'),
      head_urls: JSON.stringify(body.resultUrls?.files.map((f) => f.url) ?? []),
      head_expires_at: new Date(now.getTime() + HEAD_TTL_MS),
      updated_at: now,
    })
    .where('id', '=', queryId)
    .where('cluster_id', '=', node.clusterId)
    .where('mode', '=', 'proxy')
    .where(sql<boolean>`head_expires_at is null`)
    .returning('id')
    .executeTakeFirst();
  if (updated === undefined) {
    // Unknown, another cluster's, a direct-mode query, or a head already sent: all look alike.
    throw new NotFoundError(`Query ${queryId} was not found (or its head was already sent).`);
  }
  await queryBus(resources).notify(`query:${queryId}`);
}
