/** Platform tables: the job queue and periodic schedules. */
import { sql } from 'kysely';
import type { Migration } from './migration.ts';

export const platform: Migration = {
  name: '0001-platform',
  async up(db) {
    await db.schema
      .createTable('jobs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('payload', 'jsonb', (c) => c.notNull())
      .addColumn('status', 'text', (c) =>
        c.notNull().check(sql`status in ('queued', 'running', 'succeeded', 'dead')`),
      )
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('max_attempts', 'integer', (c) => c.notNull())
      .addColumn('dedupe_key', 'text')
      .addColumn('run_at', 'timestamptz', (c) => c.notNull())
      .addColumn('lease_owner', 'text')
      .addColumn('lease_expires_at', 'timestamptz')
      .addColumn('last_error', 'text')
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .addColumn('finished_at', 'timestamptz')
      .execute();
    // Workers scan by due time among claimable rows only.
    await sql`create index jobs_claimable on jobs (run_at) where status in ('queued', 'running')`.execute(
      db,
    );
    // A dedupe key is unique among jobs that have not finished yet.
    await sql`create unique index jobs_dedupe_key on jobs (dedupe_key) where dedupe_key is not null and status in ('queued', 'running')`.execute(
      db,
    );
    await db.schema
      .createTable('job_schedules')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('interval_ms', 'integer', (c) => c.notNull())
      .addColumn('next_run_at', 'timestamptz', (c) => c.notNull())
      .execute();
  },
};
