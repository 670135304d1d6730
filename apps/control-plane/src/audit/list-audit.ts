/** Reads an organization's audit log, newest first, with filters. */
import type { AuditEntry } from '@ferry/api';
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../db/database.ts';
import type { AuditLogTable } from '../db/tables/index.ts';
import { decodeCursor, toPage, DEFAULT_PAGE_SIZE } from '../http/cursor.ts';

/** Filters of the audit list. */
export interface AuditFilter {
  readonly actor?: string | undefined;
  readonly action?: string | undefined;
  readonly workspaceId?: string | undefined;
  readonly outcome?: 'success' | 'denied' | 'failed' | undefined;
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  readonly cursor?: string | undefined;
  readonly limit?: number | undefined;
}

function toEntry(row: Selectable<AuditLogTable>): AuditEntry {
  return {
    id: row.id,
    occurredAt: row.occurred_at.toISOString(),
    actorType: row.actor_type,
    actorId: row.actor_id,
    tokenId: row.token_id,
    orgId: row.org_id,
    workspaceId: row.workspace_id,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    outcome: row.outcome,
    requestId: row.request_id,
    awsRoleArn: row.aws_role_arn,
    awsSessionName: row.aws_session_name,
    details: row.details,
  };
}

/** One page of the organization's audit log. */
export async function listAudit(
  db: Kysely<Database>,
  orgId: string,
  filter: AuditFilter,
): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
  const limit = filter.limit ?? DEFAULT_PAGE_SIZE;
  let q = db.selectFrom('audit_log').selectAll().where('org_id', '=', orgId);
  if (filter.actor !== undefined) q = q.where('actor_id', '=', filter.actor);
  if (filter.action !== undefined) {
    q = filter.action.endsWith('*')
      ? q.where('action', 'like', `${filter.action.slice(0, -1)}%`)
      : q.where('action', '=', filter.action);
  }
  if (filter.workspaceId !== undefined) q = q.where('workspace_id', '=', filter.workspaceId);
  if (filter.outcome !== undefined) q = q.where('outcome', '=', filter.outcome);
  if (filter.since !== undefined) q = q.where('occurred_at', '>=', new Date(filter.since));
  if (filter.until !== undefined) q = q.where('occurred_at', '<', new Date(filter.until));
  if (filter.cursor !== undefined) q = q.where('id', '<', decodeCursor(filter.cursor));
  const rows = await q
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  return toPage(rows, limit, (r) => r.id, toEntry);
}
