/** A stored query as the API shows it, with its cost (the node's $/hour × running time). */
import type { QueryState, QueryView } from '@ferry/api';
import type { QueryRow } from '../db/tables/query-tables.ts';

const num = (v: string | number | null): number | null => (v === null ? null : Number(v));

/** The query's cost in USD so far: $/hour × (finished or now − started); null before it ran. */
export function queryCostUsd(row: QueryRow, now: Date): number | null {
  if (row.usd_per_hour === null || row.started_at === null) return null;
  const end = row.finished_at ?? now;
  const hours = Math.max(0, end.getTime() - row.started_at.getTime()) / 3_600_000;
  return Math.round(row.usd_per_hour * hours * 1e8) / 1e8;
}

/** The API view of a row. */
export function queryView(row: QueryRow, now: Date): QueryView {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    clusterId: row.cluster_id,
    instanceId: row.instance_id,
    actor: { kind: row.actor_kind, id: row.actor_id },
    mode: row.mode,
    kind: row.kind,
    labels: row.labels,
    state: row.state as QueryState,
    queuedAt: row.queued_at.toISOString(),
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null,
    optimizedPlan: row.optimized_plan,
    error:
      row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? '' },
    location: row.location,
    rowCount: num(row.row_count),
    bytes: num(row.bytes),
    schema: row.result_schema,
    costUsd: queryCostUsd(row, now),
    revision: row.revision,
  };
}
