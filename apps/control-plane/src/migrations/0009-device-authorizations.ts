/**
 * Device sign-ins (RFC 8628): a device code the CLI polls with and a user code a signed-in
 * user approves, both stored only as hashes, short-lived and spent once.
 */
import { sql } from 'kysely';
import type { Migration } from './migration.ts';

export const deviceAuthorizations: Migration = {
  name: '0009-device-authorizations',
  async up(db) {
    await sql`create table device_authorizations (
      id text primary key,
      device_code_hash text not null unique,
      user_code_hash text not null unique,
      client_name text not null,
      token_days integer not null,
      status text not null check (status in ('pending', 'approved', 'denied', 'spent')),
      user_id text references users (id),
      interval_seconds integer not null,
      last_polled_at timestamptz,
      created_at timestamptz not null,
      expires_at timestamptz not null,
      decided_at timestamptz,
      token_id text
    )`.execute(db);
    await sql`create index device_authorizations_expiry on device_authorizations (expires_at)`.execute(
      db,
    );
  },
};
