/**
 * The data connections a proxy query named, kept past its delivery: a node asks for their
 * sessions when the query starts (and again to refresh them), and the control plane hands
 * over only the connections the submission named.
 */
import { sql } from 'kysely';
import type { Migration } from './migration.ts';

export const queryConnections: Migration = {
  name: '0010-query-connections',
  async up(db) {
    await sql`alter table queries add column connections jsonb`.execute(db);
  },
};
