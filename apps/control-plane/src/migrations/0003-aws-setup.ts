/** AWS connection tables: the platform's phone-home resources and each workspace's setup. */
import { sql } from 'kysely';
import type { Migration } from './migration.ts';

const statements = [
  `create table aws_platform (
    id text primary key,
    principal_arn text not null,
    account_id text not null,
    region text not null,
    topic_arn text not null,
    queue_url text not null,
    queue_arn text not null,
    subscription_arn text not null,
    template_bucket text not null,
    updated_at timestamptz not null
  )`,
  `create table aws_external_ids (
    external_id text primary key,
    workspace_id text not null,
    created_at timestamptz not null
  )`,
  `create table aws_setups (
    workspace_id text primary key references workspaces (id),
    org_id text not null,
    external_id text not null unique references aws_external_ids (external_id),
    region text not null,
    request jsonb not null,
    status text not null,
    reason text,
    account_id text,
    stages jsonb not null,
    outputs jsonb not null,
    checks jsonb not null,
    setup_link_hash text not null unique,
    setup_link_expires_at timestamptz not null,
    connected_at timestamptz,
    verified_at timestamptz,
    created_at timestamptz not null,
    updated_at timestamptz not null
  )`,
  `create index aws_setups_status on aws_setups (status)`,
];

export const awsSetup: Migration = {
  name: '0003-aws-setup',
  async up(db) {
    for (const statement of statements) await sql.raw(statement).execute(db);
  },
};
