/**
 * Compute tables: manifests, clusters with every state change, their EC2 nodes, the nodes'
 * log lines and metric samples. At most one live cluster per manifest is a database rule
 * (a partial unique index), so two concurrent starts of one manifest cannot both launch.
 */
import { sql } from 'kysely';
import type { Migration } from './migration.ts';

const statements = [
  `create table compute_manifests (
    workspace_id text not null references workspaces (id),
    name text not null,
    spec jsonb not null,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    primary key (workspace_id, name)
  )`,
  `create table clusters (
    id text primary key,
    workspace_id text not null references workspaces (id),
    org_id text not null,
    manifest text,
    region text not null,
    context jsonb not null,
    state text not null,
    reason text,
    error_code text,
    error_message text,
    instance_type text,
    usd_per_hour double precision,
    selection jsonb,
    launch_attempt integer not null default 0,
    launched_at timestamptz,
    fleet_ids jsonb not null default '[]',
    launch_template_id text,
    bootstrap_token_hash text,
    started_by_kind text not null,
    started_by_id text not null,
    last_activity_at timestamptz not null,
    last_heartbeat_at timestamptz,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    stopped_at timestamptz,
    revision integer not null default 0
  )`,
  `create index clusters_workspace_state on clusters (workspace_id, state)`,
  `create unique index clusters_live_manifest on clusters (workspace_id, manifest)
    where manifest is not null and state in ('Starting', 'Idle', 'Busy')`,
  `create table cluster_events (
    id bigserial primary key,
    cluster_id text not null references clusters (id),
    at timestamptz not null,
    from_state text,
    to_state text not null,
    event text not null,
    message text
  )`,
  `create index cluster_events_cluster on cluster_events (cluster_id, id)`,
  `create table cluster_nodes (
    instance_id text primary key,
    cluster_id text not null references clusters (id),
    workspace_id text not null,
    instance_type text not null,
    availability_zone text,
    private_ip text,
    ec2_state text not null,
    agent_state text,
    vcpus integer not null,
    memory_gib double precision not null,
    storage_gib integer not null,
    usd_per_hour double precision not null,
    node_token_hash text unique,
    launched_at timestamptz not null,
    registered_at timestamptz,
    last_heartbeat_at timestamptz,
    terminated_at timestamptz
  )`,
  `create index cluster_nodes_cluster on cluster_nodes (cluster_id)`,
  `create index cluster_nodes_workspace on cluster_nodes (workspace_id, launched_at)`,
  `create table node_logs (
    id bigserial primary key,
    cluster_id text not null,
    instance_id text not null,
    at timestamptz not null,
    stream text not null,
    line text not null
  )`,
  `create index node_logs_cluster on node_logs (cluster_id, at)`,
  `create table node_samples (
    id bigserial primary key,
    cluster_id text not null,
    instance_id text not null,
    at timestamptz not null,
    cpu_percent double precision not null,
    memory_percent double precision not null,
    disk_percent double precision not null
  )`,
  `create index node_samples_cluster on node_samples (cluster_id, at)`,
];

export const compute: Migration = {
  name: '0004-compute',
  async up(db) {
    for (const statement of statements) await sql.raw(statement).execute(db);
  },
};
