/**
 * Reading queries: one, a workspace's list (newest first, filtered, cursor paged), `wait`
 * (a long-poll woken by the query bus and served from the database, so any replica
 * answers), the head of a proxy-mode result and the profile.
 */
import type { QueryProfile, QueryProfileView, QueryView } from '@ferry/api';
import { FINISHED_QUERY_STATES, type CallOutput, type QueryState } from '@ferry/api';
import { ConflictError, NotFoundError } from '@ferry/core';
import { sql } from 'kysely';
import { decodeCursor, DEFAULT_PAGE_SIZE, toPage } from '../http/cursor.ts';
import type { Resources } from '../resources.ts';
import { queryBus } from './query-bus.ts';
import type { QueryRow } from '../db/tables/query-tables.ts';
import { queryView } from './query-view.ts';

/** How often a waiter looks at the database again even without a signal. */
const WAIT_RECHECK_MS = 500;

/** The query of the workspace; 404 naming it otherwise (also for other workspaces'). */
export async function findQueryRow(
  resources: Pick<Resources, 'db'>,
  workspaceId: string,
  queryId: string,
): Promise<QueryRow> {
  const row = await lookUpQueryRow(resources, workspaceId, queryId);
  if (row === undefined) throw new NotFoundError(`Query ${queryId} was not found.`);
  return row;
}

function lookUpQueryRow(
  resources: Pick<Resources, 'db'>,
  workspaceId: string,
  queryId: string,
): Promise<QueryRow | undefined> {
  return resources.db
    .selectFrom('queries')
    .selectAll()
    .where('id', '=', queryId)
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
}

/** True once the query can no longer change. */
export function isFinalQueryState(state: string): boolean {
  return FINISHED_QUERY_STATES.includes(state as QueryState);
}

/** A query of the workspace as the API shows it. */
export async function getQuery(
  resources: Pick<Resources, 'db' | 'clock'>,
  workspaceId: string,
  queryId: string,
): Promise<QueryView> {
  return queryView(await findQueryRow(resources, workspaceId, queryId), resources.clock.now());
}

/** Filters and page of {@link listQueries}. */
export interface ListQueriesQuery {
  readonly cursor?: string | undefined;
  readonly limit?: number | undefined;
  readonly clusterId?: string | undefined;
  readonly state?: string | undefined;
  readonly label?: string | undefined;
  readonly mode?: 'direct' | 'proxy' | undefined;
}

/** A workspace's queries, newest first. */
export async function listQueries(
  resources: Pick<Resources, 'db' | 'clock'>,
  workspaceId: string,
  query: ListQueriesQuery,
): Promise<CallOutput<'queries.list'>> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  let q = resources.db.selectFrom('queries').selectAll().where('workspace_id', '=', workspaceId);
  if (query.cursor !== undefined) q = q.where('id', '<', decodeCursor(query.cursor));
  if (query.clusterId !== undefined) q = q.where('cluster_id', '=', query.clusterId);
  if (query.state !== undefined) q = q.where('state', 'in', query.state.split(','));
  if (query.mode !== undefined) q = q.where('mode', '=', query.mode);
  if (query.label !== undefined) {
    const at = query.label.indexOf('=');
    q = q.where(
      sql<boolean>`labels ->> ${query.label.slice(0, at)} = ${query.label.slice(at + 1)}`,
    );
  }
  const rows = await q
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  const now = resources.clock.now();
  return toPage(
    rows,
    limit,
    (r) => r.id,
    (r) => queryView(r, now),
  );
}

/**
 * The query once it has finished, or as it is after `waitSeconds` (default 0). A query not
 * recorded yet is waited for too: a direct-mode query's client has its answer (and its id)
 * from the worker a moment before the worker's report creates the record; it is 404 only
 * if still unknown at the deadline.
 */
export async function waitForQuery(
  resources: Pick<Resources, 'db' | 'clock' | 'config' | 'log'>,
  workspaceId: string,
  queryId: string,
  waitSeconds: number | undefined,
  signal?: AbortSignal,
): Promise<QueryView> {
  const bus = queryBus(resources);
  const deadline = Date.now() + (waitSeconds ?? 0) * 1000;
  const waiting = () => Date.now() < deadline && signal?.aborted !== true;
  const read = () => lookUpQueryRow(resources, workspaceId, queryId);
  let row = await read();
  while ((row === undefined || !isFinalQueryState(row.state)) && waiting()) {
    await bus.wait(
      `query:${queryId}`,
      Math.min(WAIT_RECHECK_MS, Math.max(0, deadline - Date.now())),
      signal,
    );
    row = await read();
  }
  if (row === undefined) throw new NotFoundError(`Query ${queryId} was not found.`);
  return queryView(row, resources.clock.now());
}

/** How long a head request waits for a finished proxy query's head to arrive. */
const HEAD_ARRIVAL_WAIT_MS = 10_000;

/**
 * The head of a finished proxy-mode query. It is kept only until fetched (or until it
 * expires); a query that just finished may report before its head arrives, so a request
 * waits for it briefly.
 */
export async function queryHead(
  resources: Pick<Resources, 'db' | 'clock' | 'config' | 'log'>,
  workspaceId: string,
  queryId: string,
): Promise<CallOutput<'queries.head'>> {
  let row = await findQueryRow(resources, workspaceId, queryId);
  if (row.mode !== 'proxy') {
    throw new ConflictError(
      'query_head_direct',
      `Query ${queryId} ran in direct mode: its head is served by the worker, not the control plane.`,
    );
  }
  const deadline = Date.now() + HEAD_ARRIVAL_WAIT_MS;
  while (row.state === 'Succeeded' && row.head_expires_at === null && Date.now() < deadline) {
    await queryBus(resources).wait(`query:${queryId}`, 500);
    row = await findQueryRow(resources, workspaceId, queryId);
  }
  const now = resources.clock.now();
  if (row.head === null || (row.head_expires_at !== null && row.head_expires_at < now)) {
    throw new NotFoundError(
      row.head_expires_at !== null
        ? `The head of query ${queryId} is no longer kept (it is kept until fetched, for at most 10 minutes); read the result at its location.`
        : `Query ${queryId} is ${row.state}: it has no head yet.`,
    );
  }
  // Kept only until fetched: the first reader takes it.
  const taken = await resources.db
    .updateTable('queries')
    .set({ head: null, head_urls: null, updated_at: now })
    .where('id', '=', queryId)
    .where('head', 'is not', null)
    .returning('id')
    .executeTakeFirst();
  if (taken === undefined) {
    throw new NotFoundError(`The head of query ${queryId} was already fetched.`);
  }
  return {
    queryId,
    format: 'arrow-ipc',
    data: Buffer.from(row.head).toString('base64'),
    resultUrls: row.head_urls ?? [],
  };
}

/** Phase timings and the node's samples during the query (as its node reported them). */
export async function queryProfile(
  resources: Pick<Resources, 'db' | 'clock'>,
  workspaceId: string,
  queryId: string,
): Promise<QueryProfileView> {
  const row = await findQueryRow(resources, workspaceId, queryId);
  const view = queryView(row, resources.clock.now());
  const reported = (row.profile ?? { phases: {}, samples: [] }) as QueryProfile;
  return {
    ...reported,
    samples: reported.samples ?? [],
    queryId,
    state: view.state,
    totalMs: row.finished_at === null ? null : row.finished_at.getTime() - row.queued_at.getTime(),
    costUsd: view.costUsd,
  };
}
