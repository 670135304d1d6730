/**
 * Domain tables: identity, organizations, workspaces, invitations, the audit log and
 * idempotency keys. The audit log is append-only at the database level too: a trigger
 * rejects UPDATE, DELETE and TRUNCATE (plpgsql runs on both PGlite and PostgreSQL).
 */
import { sql } from 'kysely';
import type { Migration } from './migration.ts';

const statements = [
  `create table users (
    id text primary key,
    email text not null,
    name text not null,
    password_hash text not null,
    instance_admin boolean not null default false,
    created_at timestamptz not null,
    updated_at timestamptz not null
  )`,
  `create unique index users_email on users (email)`,
  `create table setup_tokens (
    id text primary key,
    token_hash text not null unique,
    email text,
    created_at timestamptz not null,
    expires_at timestamptz not null,
    used_at timestamptz
  )`,
  `create table sessions (
    id text primary key,
    user_id text not null references users (id),
    token_hash text not null unique,
    created_at timestamptz not null,
    expires_at timestamptz not null,
    revoked_at timestamptz
  )`,
  `create index sessions_user on sessions (user_id)`,
  `create table orgs (
    id text primary key,
    name text not null,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    deleted_at timestamptz
  )`,
  `create table org_members (
    org_id text not null references orgs (id),
    user_id text not null references users (id),
    role text not null check (role in ('admin', 'member')),
    created_at timestamptz not null,
    primary key (org_id, user_id)
  )`,
  `create index org_members_user on org_members (user_id)`,
  `create table workspaces (
    id text primary key,
    org_id text not null references orgs (id),
    name text not null,
    description text not null default '',
    state text not null check (state in
      ('Uninitialized', 'Pending', 'Active', 'Degraded', 'Failed', 'Deleted')),
    default_compute jsonb,
    default_idle_timeout_minutes integer not null check (default_idle_timeout_minutes >= 10),
    labels jsonb not null default '{}',
    created_at timestamptz not null,
    updated_at timestamptz not null,
    deleted_at timestamptz
  )`,
  `create index workspaces_org on workspaces (org_id)`,
  `create unique index workspaces_live_name on workspaces (org_id, lower(name)) where deleted_at is null`,
  `create table workspace_members (
    workspace_id text not null references workspaces (id),
    user_id text not null references users (id),
    role text not null check (role in ('admin', 'member')),
    created_at timestamptz not null,
    primary key (workspace_id, user_id)
  )`,
  `create index workspace_members_user on workspace_members (user_id)`,
  `create table service_accounts (
    id text primary key,
    org_id text not null references orgs (id),
    workspace_id text not null references workspaces (id),
    name text not null,
    secret_hash text not null,
    scopes jsonb not null,
    created_by text,
    created_at timestamptz not null,
    revoked_at timestamptz
  )`,
  `create index service_accounts_workspace on service_accounts (workspace_id)`,
  `create table api_tokens (
    id text primary key,
    kind text not null check (kind in ('personal', 'service-account')),
    user_id text references users (id),
    service_account_id text references service_accounts (id),
    workspace_id text references workspaces (id),
    name text not null,
    token_hash text not null unique,
    scopes jsonb not null,
    created_at timestamptz not null,
    expires_at timestamptz not null,
    last_used_at timestamptz,
    revoked_at timestamptz,
    check ((kind = 'personal') = (user_id is not null)),
    check ((kind = 'service-account') = (service_account_id is not null))
  )`,
  `create index api_tokens_user on api_tokens (user_id)`,
  `create index api_tokens_workspace on api_tokens (workspace_id)`,
  `create table invitations (
    id text primary key,
    org_id text not null references orgs (id),
    email text not null,
    role text not null check (role in ('admin', 'member')),
    token_hash text not null unique,
    invited_by text not null references users (id),
    created_at timestamptz not null,
    expires_at timestamptz not null,
    accepted_at timestamptz,
    accepted_by text references users (id),
    revoked_at timestamptz
  )`,
  `create index invitations_org on invitations (org_id)`,
  `create table audit_log (
    id text primary key,
    occurred_at timestamptz not null,
    actor_type text not null check (actor_type in ('user', 'service-account', 'system', 'anonymous')),
    actor_id text,
    token_id text,
    org_id text,
    workspace_id text,
    action text not null,
    target_type text,
    target_id text,
    outcome text not null check (outcome in ('success', 'denied', 'failed')),
    request_id text,
    aws_role_arn text,
    aws_session_name text,
    details jsonb not null default '{}'
  )`,
  `create index audit_log_org on audit_log (org_id, id)`,
  `create function ferry_audit_log_append_only() returns trigger language plpgsql as $$
  begin
    raise exception 'audit_log is append-only';
  end
  $$`,
  `create trigger audit_log_no_update_delete before update or delete on audit_log
    for each row execute function ferry_audit_log_append_only()`,
  `create trigger audit_log_no_truncate before truncate on audit_log
    for each statement execute function ferry_audit_log_append_only()`,
  `create table idempotency_keys (
    principal_key text not null,
    key text not null,
    request_hash text not null,
    status_code integer,
    response jsonb,
    created_at timestamptz not null,
    primary key (principal_key, key)
  )`,
];

export const domain: Migration = {
  name: '0002-domain',
  async up(db) {
    for (const statement of statements) await sql.raw(statement).execute(db);
  },
};
