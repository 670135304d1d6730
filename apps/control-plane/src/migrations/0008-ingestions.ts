/**
 * Kinesis landing: one row per ingestion (the node that holds it and until when, a stop
 * asked by a user), one per shard it reads (the checkpoint: the last sequence number of a
 * committed file, and the announced file not yet committed, which a resumed run rewrites).
 */
import { sql } from 'kysely';
import type { Migration } from './migration.ts';

const statements = [
  `create table ingestions (
    id text primary key,
    workspace_id text not null references workspaces (id),
    org_id text not null,
    cluster_id text not null,
    connection_id text not null,
    connection_name text not null,
    stream_arn text not null,
    region text not null,
    starting_position jsonb not null,
    format jsonb not null,
    flush_records integer not null,
    flush_seconds integer not null,
    mode text not null,
    bucket text not null,
    prefix text not null,
    state text not null,
    state_reason text,
    node_id text,
    lease_until timestamptz,
    stop_requested boolean not null default false,
    created_by text not null,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    finished_at timestamptz
  )`,
  `create index ingestions_workspace on ingestions (workspace_id, created_at)`,
  `create index ingestions_cluster on ingestions (cluster_id, state)`,
  `create table ingestion_shards (
    ingestion_id text not null references ingestions (id),
    shard_id text not null,
    parent_shard_ids jsonb not null,
    last_sequence_number text,
    pending jsonb,
    records integer not null default 0,
    files integer not null default 0,
    finished boolean not null default false,
    updated_at timestamptz not null,
    primary key (ingestion_id, shard_id)
  )`,
];

export const ingestions: Migration = {
  name: '0008-ingestions',
  async up(db) {
    for (const statement of statements) await sql.raw(statement).execute(db);
  },
};
