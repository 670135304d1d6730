/**
 * An ingestion may land into an S3 connection's write prefix instead of the workspace's
 * results bucket: the connection (kept by id, and by name for display) whose role the
 * control plane assumes, narrowed to writing under the ingestion's folder, and its region.
 */
import { sql } from 'kysely';
import type { Migration } from './migration.ts';

export const ingestionDestinations: Migration = {
  name: '0011-ingestion-destinations',
  async up(db) {
    await sql`alter table ingestions
      add column destination_connection_id text,
      add column destination_connection_name text,
      add column destination_region text`.execute(db);
  },
};
