/**
 * What authorization needs to know about a route's organization or workspace, read in the
 * same database round trip as the caller's credentials: the lookup is a handful of scalar
 * subqueries added to the authentication query, keyed on the caller's `users.id`. Every
 * authenticated request then costs one round trip before its handler's own work.
 */
import type { OrgRole, WorkspaceRole, WorkspaceState } from '@ferry/core';
import { sql, type AliasedRawBuilder, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { RouteScope } from './route-scope.ts';

/** The organization or workspace a request names. */
export type ScopeTarget =
  | { readonly kind: 'org'; readonly id: string }
  | { readonly kind: 'workspace'; readonly id: string };

/** What the lookup found about the target, for the caller. */
export interface ScopeFacts {
  readonly target: ScopeTarget;
  /** The caller's role in the target organization (or the workspace's), if it is live. */
  readonly orgRole: OrgRole | null;
  /** The workspace, when it and its organization are live (workspace targets only). */
  readonly workspace: { readonly orgId: string; readonly state: WorkspaceState } | null;
  /** The caller's own membership role in the workspace (workspace targets only). */
  readonly workspaceMemberRole: WorkspaceRole | null;
}

type Column = AliasedRawBuilder<unknown, string>;

/** The target a route's scope names in the request's raw path parameters. */
export function scopeTargetOf(scope: RouteScope, params: unknown): ScopeTarget | undefined {
  if (scope.kind !== 'org' && scope.kind !== 'workspace') return undefined;
  const id = (params as Record<string, unknown> | undefined)?.[scope.param];
  return typeof id === 'string' ? { kind: scope.kind, id } : undefined;
}

/** Columns to add to a query that has the caller as `users` (users.id null: no user). */
export function scopeColumns(target: ScopeTarget): Column[] {
  if (target.kind === 'org') {
    return [
      sql`(select m.role from org_members m join orgs o on o.id = m.org_id
            where m.org_id = ${target.id} and m.user_id = users.id and o.deleted_at is null)`.as(
        'scope_org_role',
      ),
    ];
  }
  const liveWorkspace = sql`from workspaces w join orgs o on o.id = w.org_id
    where w.id = ${target.id} and w.deleted_at is null and o.deleted_at is null`;
  return [
    sql`(select w.org_id ${liveWorkspace})`.as('scope_ws_org_id'),
    sql`(select w.state ${liveWorkspace})`.as('scope_ws_state'),
    sql`(select m.role from org_members m join workspaces w on w.org_id = m.org_id
          join orgs o on o.id = m.org_id
          where w.id = ${target.id} and m.user_id = users.id and o.deleted_at is null)`.as(
      'scope_org_role',
    ),
    sql`(select wm.role from workspace_members wm
          where wm.workspace_id = ${target.id} and wm.user_id = users.id)`.as('scope_ws_role'),
  ];
}

/** Reads the facts back from a row the columns were added to. */
export function scopeFactsFrom(target: ScopeTarget, row: Record<string, unknown>): ScopeFacts {
  const orgId = row['scope_ws_org_id'];
  const state = row['scope_ws_state'];
  return {
    target,
    orgRole: (row['scope_org_role'] as OrgRole | null | undefined) ?? null,
    workspace:
      typeof orgId === 'string' && typeof state === 'string'
        ? { orgId, state: state as WorkspaceState }
        : null,
    workspaceMemberRole: (row['scope_ws_role'] as WorkspaceRole | null | undefined) ?? null,
  };
}

/** The lookup alone, for a caller already known (`userId` null for service accounts). */
export async function lookUpScope(
  db: Kysely<Database>,
  target: ScopeTarget,
  userId: string | null,
): Promise<ScopeFacts> {
  const columns = scopeColumns(target);
  const { rows } = await sql<Record<string, unknown>>`select ${sql.join(columns)}
    from (select cast(${userId} as text) as id) as users`.execute(db);
  return scopeFactsFrom(target, rows[0] ?? {});
}
