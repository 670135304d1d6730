/**
 * Reading clusters: one, a workspace's list (newest first, by state and label, cursor
 * paged), their events, and `wait` — a long-poll served from the database, so whichever
 * replica answers sees what another replica (or a job) wrote.
 */
import type { Cluster, ClusterEventEntry } from '@ferry/api';
import { NotFoundError, type ClusterState } from '@ferry/core';
import { sql } from 'kysely';
import { decodeCursor, DEFAULT_PAGE_SIZE, toPage } from '../http/cursor.ts';
import type { Resources } from '../resources.ts';
import type { ClusterRow } from './cluster-transitions.ts';
import { clusterViews } from './cluster-view.ts';

/** How often a waiting request looks at the database again. */
const WAIT_POLL_MS = 250;

/** The cluster row of the workspace; 404 naming it otherwise (also for other workspaces'). */
export async function findClusterRow(
  resources: Pick<Resources, 'db'>,
  workspaceId: string,
  clusterId: string,
): Promise<ClusterRow> {
  const row = await resources.db
    .selectFrom('clusters')
    .selectAll()
    .where('id', '=', clusterId)
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  if (row === undefined) throw new NotFoundError(`Cluster ${clusterId} was not found.`);
  return row;
}

/** A cluster of the workspace as the API shows it. */
export async function getCluster(
  resources: Pick<Resources, 'db' | 'clock'>,
  workspaceId: string,
  clusterId: string,
): Promise<Cluster> {
  const row = await findClusterRow(resources, workspaceId, clusterId);
  const [view] = await clusterViews(resources.db, [row], resources.clock.now());
  return view!;
}

/** Filters and page of {@link listClusters}. */
export interface ListClustersQuery {
  readonly cursor?: string | undefined;
  readonly limit?: number | undefined;
  /** Comma-separated states. */
  readonly state?: string | undefined;
  /** `key=value`. */
  readonly label?: string | undefined;
}

/** A workspace's clusters, newest first. */
export async function listClusters(
  resources: Pick<Resources, 'db' | 'clock'>,
  workspaceId: string,
  query: ListClustersQuery,
): Promise<{ items: Cluster[]; nextCursor: string | null }> {
  const db = resources.db;
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  let q = db.selectFrom('clusters').selectAll().where('workspace_id', '=', workspaceId);
  if (query.cursor !== undefined) q = q.where('id', '<', decodeCursor(query.cursor));
  if (query.state !== undefined) q = q.where('state', 'in', query.state.split(','));
  if (query.label !== undefined) {
    const at = query.label.indexOf('=');
    const key = query.label.slice(0, at);
    const value = query.label.slice(at + 1);
    q = q.where(sql<boolean>`context -> 'labels' ->> ${key} = ${value}`);
  }
  const rows = await q
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  const page = toPage(
    rows,
    limit,
    (r) => r.id,
    (r) => r,
  );
  return {
    items: await clusterViews(db, page.items, resources.clock.now()),
    nextCursor: page.nextCursor,
  };
}

/** What {@link waitForCluster} waits for. */
export interface WaitQuery {
  /** Comma-separated states. */
  readonly state: string;
  readonly waitSeconds?: number | undefined;
}

/**
 * The cluster once it is in one of the states, or as it is after `waitSeconds` (default 0:
 * answer at once). A cluster that can never reach them (Stopped, Failed) answers at once too.
 */
export async function waitForCluster(
  resources: Pick<Resources, 'db' | 'clock'>,
  workspaceId: string,
  clusterId: string,
  wait: WaitQuery,
): Promise<Cluster> {
  const wanted = new Set(wait.state.split(','));
  const deadline = resources.clock.now().getTime() + (wait.waitSeconds ?? 0) * 1000;
  let row = await findClusterRow(resources, workspaceId, clusterId);
  while (
    !wanted.has(row.state) &&
    !isFinal(row.state as ClusterState) &&
    resources.clock.now().getTime() < deadline
  ) {
    await resources.clock.sleep(WAIT_POLL_MS);
    row = await findClusterRow(resources, workspaceId, clusterId);
  }
  const [view] = await clusterViews(resources.db, [row], resources.clock.now());
  return view!;
}

function isFinal(state: ClusterState): boolean {
  return state === 'Stopped' || state === 'Failed';
}

/** A cluster's state changes, oldest first. */
export async function listClusterEvents(
  resources: Pick<Resources, 'db'>,
  workspaceId: string,
  clusterId: string,
): Promise<{ items: ClusterEventEntry[] }> {
  await findClusterRow(resources, workspaceId, clusterId);
  const rows = await resources.db
    .selectFrom('cluster_events')
    .selectAll()
    .where('cluster_id', '=', clusterId)
    .orderBy('id', 'asc')
    .execute();
  return {
    items: rows.map((r) => ({
      at: r.at.toISOString(),
      from: r.from_state as ClusterState | null,
      to: r.to_state as ClusterState,
      event: r.event,
      message: r.message,
    })),
  };
}
