/**
 * Queries: one record per query in either connection mode (what the worker reports, or
 * what a proxy submission queued), and the server keys table holding the control plane's
 * Ed25519 query-token signing key (encrypted with the secrets key ring, one row shared by
 * every replica); and the query port and certificate fingerprint of each node.
 */
import { sql } from 'kysely';
import type { Migration } from './migration.ts';

const statements = [
  `create table queries (
    id text primary key,
    workspace_id text not null references workspaces (id),
    org_id text not null,
    cluster_id text not null references clusters (id),
    instance_id text,
    actor_kind text not null,
    actor_id text not null,
    mode text not null,
    kind text not null,
    labels jsonb not null default '{}',
    state text not null,
    envelope jsonb,
    delivered_at timestamptz,
    cancel_requested_at timestamptz,
    cancel_delivered_at timestamptz,
    queued_at timestamptz not null,
    started_at timestamptz,
    finished_at timestamptz,
    optimized_plan text,
    error_code text,
    error_message text,
    location text,
    row_count bigint,
    bytes bigint,
    result_schema jsonb,
    profile jsonb,
    usd_per_hour double precision,
    head bytea,
    head_urls jsonb,
    head_expires_at timestamptz,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    revision integer not null default 0
  )`,
  `create index queries_workspace on queries (workspace_id, id)`,
  `create index queries_cluster_state on queries (cluster_id, state)`,
  `create index queries_live on queries (state) where state in ('Queued', 'Running')`,
  // What a node's worker reports at registration for direct-mode clients.
  `alter table cluster_nodes add column query_port integer`,
  `alter table cluster_nodes add column tls_fingerprint text`,
  `create table server_keys (
    name text primary key,
    private_key_ciphertext text not null,
    public_key_pem text not null,
    created_at timestamptz not null
  )`,
];

export const queries: Migration = {
  name: '0005-queries',
  async up(db) {
    for (const statement of statements) await sql.raw(statement).execute(db);
  },
};
