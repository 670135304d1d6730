/** Tables of data connections. */
import type { Timestamp } from '../platform-tables.ts';
import type { Json } from './identity-tables.ts';

/** An external ID `prepare` reserved; `connection_id` once a connection uses it. */
export interface ConnectionExternalIdsTable {
  external_id: string;
  workspace_id: string;
  created_by: string;
  created_at: Timestamp;
  connection_id: string | null;
}

/** What a connection reaches, as stored (the stream's ARN resolved at creation). */
export type StoredConnectionTarget =
  | {
      type: 's3';
      bucket: string;
      prefix: string | null;
      writePrefix: string | null;
      region: string;
    }
  | { type: 'kinesis'; stream: string; streamArn: string | null; region: string };

/** One check of a stored test result. */
export interface StoredConnectionCheck {
  name: string;
  outcome: 'pass' | 'fail' | 'skipped';
  action: string | null;
  awsErrorCode: string | null;
  message: string;
  missingStatement: Record<string, unknown> | null;
}

/** A stored test result. */
export interface StoredConnectionTest {
  ok: boolean;
  testedAt: string;
  checks: StoredConnectionCheck[];
}

/** One data connection. */
export interface ConnectionsTable {
  id: string;
  workspace_id: string;
  org_id: string;
  name: string;
  description: string;
  type: 's3' | 'kinesis';
  target: Json<StoredConnectionTarget>;
  auth_kind: 'role' | 'accessKeys';
  role_arn: string | null;
  external_id: string | null;
  /** Last four characters of the access key id. */
  access_key_hint: string | null;
  /** The access key pair, encrypted with the row id as associated data. */
  secret_ciphertext: string | null;
  state: 'Verified' | 'Unverified' | 'Failing';
  state_reason: string | null;
  last_test: Json<StoredConnectionTest> | null;
  last_test_at: Timestamp | null;
  created_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** The connection tables by name. */
export interface ConnectionTables {
  connections: ConnectionsTable;
  connection_external_ids: ConnectionExternalIdsTable;
}
