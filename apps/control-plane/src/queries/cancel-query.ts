/**
 * Cancelling a query through the control plane (either mode). A proxy query no node took
 * yet ends Canceled at once; otherwise the request is recorded and the node running it
 * learns it from its work long-poll, kills the executor and reports Canceled.
 */
import type { QueryView } from '@ferry/api';
import { NotFoundError } from '@ferry/core';
import type { Resources } from '../resources.ts';
import { queryBus } from './query-bus.ts';
import { isFinalQueryState } from './query-reads.ts';
import { queryView } from './query-view.ts';

/** Cancels the query (a finished one is returned as it is). */
export async function cancelQuery(
  resources: Pick<Resources, 'db' | 'clock' | 'config' | 'log'>,
  workspaceId: string,
  queryId: string,
): Promise<QueryView> {
  const now = resources.clock.now();
  const row = await resources.db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom('queries')
      .selectAll()
      .where('id', '=', queryId)
      .where('workspace_id', '=', workspaceId)
      .forUpdate()
      .executeTakeFirst();
    if (current === undefined) throw new NotFoundError(`Query ${queryId} was not found.`);
    if (isFinalQueryState(current.state)) return current;
    const undelivered = current.mode === 'proxy' && current.delivered_at === null;
    return trx
      .updateTable('queries')
      .set({
        cancel_requested_at: current.cancel_requested_at ?? now,
        ...(undelivered
          ? {
              state: 'Canceled',
              finished_at: now,
              envelope: null,
              error_code: 'canceled',
              error_message: 'Canceled before a node took it.',
            }
          : {}),
        updated_at: now,
        revision: current.revision + 1,
      })
      .where('id', '=', queryId)
      .returningAll()
      .executeTakeFirstOrThrow();
  });
  const bus = queryBus(resources);
  await bus.notify(`cluster:${row.cluster_id}`);
  await bus.notify(`query:${row.id}`);
  return queryView(row, now);
}
