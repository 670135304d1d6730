/** Identity tables: users, setup tokens, sessions, API tokens, service accounts. */
import type { ColumnType } from 'kysely';
import type { Timestamp } from '../platform-tables.ts';

/** A JSON column: read parsed, written as a JSON string. */
export type Json<T> = ColumnType<T, string, string>;

/** A person who signs in. `email` is stored lower-cased. */
export interface UsersTable {
  id: string;
  email: string;
  name: string;
  /** `scrypt$N$r$p$salt$hash` (base64url parts). */
  password_hash: string;
  instance_admin: boolean;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** One-time tokens that create the first (instance admin) user. */
export interface SetupTokensTable {
  id: string;
  token_hash: string;
  /** Fixed by `--bootstrap-admin`; null lets the setup form choose. */
  email: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

/** Dashboard sessions (the cookie holds the token; only its hash is stored). */
export interface SessionsTable {
  id: string;
  user_id: string;
  token_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
}

/** Kinds of bearer token. */
export type ApiTokenKind = 'personal' | 'service-account';

/** Bearer tokens: personal access tokens and service-account access tokens. */
export interface ApiTokensTable {
  id: string;
  kind: ApiTokenKind;
  user_id: string | null;
  service_account_id: string | null;
  workspace_id: string | null;
  name: string;
  token_hash: string;
  scopes: Json<string[]>;
  created_at: Timestamp;
  expires_at: Timestamp;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

/** Per-workspace machine identities (client id = `id`, secret stored hashed). */
export interface ServiceAccountsTable {
  id: string;
  org_id: string;
  workspace_id: string;
  name: string;
  secret_hash: string;
  scopes: Json<string[]>;
  created_by: string | null;
  created_at: Timestamp;
  revoked_at: Timestamp | null;
}

/** States of a device sign-in: waiting, decided by a user, or its token issued. */
export type DeviceAuthorizationStatus = 'pending' | 'approved' | 'denied' | 'spent';

/** Device sign-ins (RFC 8628); the codes are stored only as hashes. */
export interface DeviceAuthorizationsTable {
  id: string;
  device_code_hash: string;
  user_code_hash: string;
  /** The name of the token the device gets. */
  client_name: string;
  token_days: number;
  status: DeviceAuthorizationStatus;
  /** The user who approved or denied it. */
  user_id: string | null;
  interval_seconds: number;
  last_polled_at: Timestamp | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  decided_at: Timestamp | null;
  /** The personal access token issued to the device. */
  token_id: string | null;
}
