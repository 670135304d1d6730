/**
 * The one write path of a cluster's state: applies an event with the pure state machine of
 * `@ferry/core`, then stores the new state, reason and error together with an event row,
 * under a row lock so concurrent writers (a route, the launcher, the reconciler, the
 * reaper, a node's heartbeat) serialise. An event the machine does not allow changes
 * nothing and is reported, never thrown: callers race by design.
 */
import { transitionCluster, type ClusterEvent, type ClusterState } from '@ferry/core';
import type { Kysely, Selectable, Updateable } from 'kysely';
import type { Database } from '../db/database.ts';
import type { ClustersTable } from '../db/tables/compute-tables.ts';
import type { Resources } from '../resources.ts';

/** A cluster row. */
export type ClusterRow = Selectable<ClustersTable>;

/** The outcome of {@link applyClusterEvent}. */
export type AppliedEvent =
  | { readonly applied: true; readonly cluster: ClusterRow; readonly from: ClusterState }
  | { readonly applied: false; readonly cluster: ClusterRow | undefined };

/** Options of {@link applyClusterEvent}. */
export interface ApplyOptions {
  /** Shown in the cluster's events (e.g. AWS's message, "idle for 60 minutes"). */
  readonly message?: string;
  /** Extra columns to set in the same update (e.g. `stopped_at`, `last_activity_at`). */
  readonly set?: Omit<Updateable<ClustersTable>, 'id' | 'state' | 'reason' | 'revision'>;
  /** Run inside this transaction instead of opening one. */
  readonly trx?: Kysely<Database>;
}

/** Applies `event` to the cluster; returns whether it changed the state. */
export async function applyClusterEvent(
  resources: Pick<Resources, 'db' | 'clock'>,
  clusterId: string,
  event: ClusterEvent,
  options: ApplyOptions = {},
): Promise<AppliedEvent> {
  const run = async (trx: Kysely<Database>): Promise<AppliedEvent> => {
    const row = await trx
      .selectFrom('clusters')
      .selectAll()
      .where('id', '=', clusterId)
      .forUpdate()
      .executeTakeFirst();
    if (row === undefined) return { applied: false, cluster: undefined };
    const from = row.state as ClusterState;
    const result = transitionCluster(
      {
        state: from,
        ...(row.reason ? { reason: row.reason as 'StoppedByUser' } : {}),
        ...(row.error_code
          ? { error: { code: row.error_code, message: row.error_message ?? '' } }
          : {}),
      },
      event,
    );
    if (!result.ok) return { applied: false, cluster: row };
    const now = resources.clock.now();
    const status = result.status;
    const updated = await trx
      .updateTable('clusters')
      .set({
        ...options.set,
        state: status.state,
        reason: status.reason ?? null,
        error_code: status.error?.code ?? null,
        error_message: status.error?.message ?? null,
        ...(status.state === 'Stopped' || status.state === 'Failed' ? { stopped_at: now } : {}),
        updated_at: now,
        revision: row.revision + 1,
      })
      .where('id', '=', clusterId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('cluster_events')
      .values({
        cluster_id: clusterId,
        at: now,
        from_state: from,
        to_state: status.state,
        event: event.type,
        message: options.message ?? (event.type === 'fail' ? event.error.message : null),
      })
      .execute();
    return { applied: true, cluster: updated, from };
  };
  if (options.trx) return run(options.trx);
  return resources.db.transaction().execute(run);
}

/** Records that the cluster changed without a state change (nodes, activity): bumps `revision`. */
export async function touchCluster(
  db: Kysely<Database>,
  clusterId: string,
  now: Date,
  set: ApplyOptions['set'] = {},
): Promise<void> {
  await db
    .updateTable('clusters')
    .set((eb) => ({ ...set, updated_at: now, revision: eb('revision', '+', 1) }))
    .where('id', '=', clusterId)
    .execute();
}
