/**
 * Node logs and metric samples as the API serves them (oldest first, after a time, of one
 * node or all), and their retention: rows older than `compute.logRetentionHours` are
 * deleted by the purge job.
 */
import type { LogLine, MetricSample } from '@ferry/api';
import type { Selectable } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Resources } from '../resources.ts';
import { findClusterRow } from './cluster-queries.ts';

/** Filters of {@link clusterLogs} and {@link clusterMetrics}. */
export interface TelemetryQuery {
  /** ISO time: only rows after it. */
  readonly since?: string | undefined;
  readonly instanceId?: string | undefined;
  readonly limit?: number | undefined;
}

const DEFAULT_LIMIT = 500;

/** The rows of one telemetry table for a cluster, with the query's filters, oldest first. */
async function telemetryRows<T extends 'node_logs' | 'node_samples'>(
  resources: Pick<Resources, 'db'>,
  table: T,
  workspaceId: string,
  clusterId: string,
  query: TelemetryQuery,
) {
  await findClusterRow(resources, workspaceId, clusterId);
  // Both tables share these columns; typed through one of them.
  let q = resources.db
    .selectFrom(table as 'node_logs')
    .selectAll()
    .where('cluster_id', '=', clusterId);
  if (query.since !== undefined) q = q.where('at', '>', new Date(query.since));
  if (query.instanceId !== undefined) q = q.where('instance_id', '=', query.instanceId);
  const rows = await q
    .orderBy('at', 'asc')
    .orderBy('id', 'asc')
    .limit(query.limit ?? DEFAULT_LIMIT)
    .execute();
  return rows as unknown as Selectable<Database[T]>[];
}

/** A cluster's log lines, oldest first. */
export async function clusterLogs(
  resources: Pick<Resources, 'db'>,
  workspaceId: string,
  clusterId: string,
  query: TelemetryQuery,
): Promise<{ items: LogLine[] }> {
  const rows = await telemetryRows(resources, 'node_logs', workspaceId, clusterId, query);
  return {
    items: rows.map((r) => ({
      at: r.at.toISOString(),
      instanceId: r.instance_id,
      stream: r.stream,
      line: r.line,
    })),
  };
}

/** A cluster's CPU, memory and disk samples, oldest first. */
export async function clusterMetrics(
  resources: Pick<Resources, 'db'>,
  workspaceId: string,
  clusterId: string,
  query: TelemetryQuery,
): Promise<{ items: MetricSample[] }> {
  const rows = await telemetryRows(resources, 'node_samples', workspaceId, clusterId, query);
  return {
    items: rows.map((r) => ({
      at: r.at.toISOString(),
      instanceId: r.instance_id,
      cpuPercent: r.cpu_percent,
      memoryPercent: r.memory_percent,
      diskPercent: r.disk_percent,
    })),
  };
}

/** Deletes log lines and samples older than the retention; returns how many of each. */
export async function purgeTelemetry(
  resources: Pick<Resources, 'db' | 'clock' | 'config'>,
): Promise<{ logs: number; samples: number }> {
  const cutoff = new Date(
    resources.clock.now().getTime() - resources.config.compute.logRetentionHours * 3_600_000,
  );
  const db = resources.db;
  const logs = await db.deleteFrom('node_logs').where('at', '<', cutoff).executeTakeFirst();
  const samples = await db.deleteFrom('node_samples').where('at', '<', cutoff).executeTakeFirst();
  return { logs: Number(logs.numDeletedRows), samples: Number(samples.numDeletedRows) };
}
