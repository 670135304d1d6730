/** Tables of remote queries and of the control plane's own keys. */
import type { ColumnType, Selectable } from 'kysely';
import type { Timestamp } from '../platform-tables.ts';
import type { Json } from './identity-tables.ts';

/** One query, in either connection mode. */
/** One stored query. */
export type QueryRow = Selectable<QueriesTable>;

export interface QueriesTable {
  id: string;
  workspace_id: string;
  org_id: string;
  cluster_id: string;
  /** The node that runs (or ran) it; null while a proxy query waits for a node. */
  instance_id: string | null;
  actor_kind: 'user' | 'service-account';
  actor_id: string;
  mode: 'direct' | 'proxy';
  kind: 'plan' | 'sql';
  labels: Json<Record<string, string>>;
  /** Queued | Running | Succeeded | Failed | Canceled. */
  state: string;
  /** Proxy mode: the envelope until a node picked it up (then cleared). */
  envelope: Json<Record<string, unknown>> | null;
  /** Proxy mode: the data connections the submission named (null: none). */
  connections: ColumnType<string[] | null, string | null | undefined, string | null>;
  delivered_at: Timestamp | null;
  cancel_requested_at: Timestamp | null;
  cancel_delivered_at: Timestamp | null;
  queued_at: Timestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  optimized_plan: string | null;
  error_code: string | null;
  error_message: string | null;
  location: string | null;
  /** bigint: drivers answer strings. */
  row_count: ColumnType<string | number | null, number | null, number | null>;
  bytes: ColumnType<string | number | null, number | null, number | null>;
  /** The result's columns: `[{ name, dtype }]`. */
  result_schema: Json<{ name: string; dtype: string }[]> | null;
  profile: Json<Record<string, unknown>> | null;
  /** The node's price when the query ran, for its cost. */
  usd_per_hour: number | null;
  /** Proxy mode: the head (Arrow IPC) until fetched or expired. */
  head: Buffer | null;
  head_urls: Json<string[]> | null;
  head_expires_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  revision: ColumnType<number, number | undefined, number>;
}

/** A key of the control plane, its private half encrypted with the secrets key ring. */
export interface ServerKeysTable {
  name: string;
  private_key_ciphertext: string;
  public_key_pem: string;
  created_at: Timestamp;
}

/** The query tables by name. */
export interface QueryTables {
  queries: QueriesTable;
  server_keys: ServerKeysTable;
}
