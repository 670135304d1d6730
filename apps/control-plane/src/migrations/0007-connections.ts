/**
 * Data connections: one row per connection (unique name per workspace), the external IDs
 * `prepare` reserved (unique for ever, bound to a workspace, then to the connection that
 * used it), and access keys only as AES-256-GCM ciphertext under the secrets key ring.
 */
import { sql } from 'kysely';
import type { Migration } from './migration.ts';

const statements = [
  `create table connection_external_ids (
    external_id text primary key,
    workspace_id text not null references workspaces (id),
    created_by text not null,
    created_at timestamptz not null,
    connection_id text
  )`,
  `create index connection_external_ids_workspace on connection_external_ids (workspace_id)`,
  `create table connections (
    id text primary key,
    workspace_id text not null references workspaces (id),
    org_id text not null,
    name text not null,
    description text not null default '',
    type text not null,
    target jsonb not null,
    auth_kind text not null,
    role_arn text,
    external_id text references connection_external_ids (external_id),
    access_key_hint text,
    secret_ciphertext text,
    state text not null,
    state_reason text,
    last_test jsonb,
    last_test_at timestamptz,
    created_by text not null,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    unique (workspace_id, name)
  )`,
  `create index connections_last_test on connections (last_test_at)`,
];

export const connections: Migration = {
  name: '0007-connections',
  async up(db) {
    for (const statement of statements) await sql.raw(statement).execute(db);
  },
};
