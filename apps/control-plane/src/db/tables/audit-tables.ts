/** The append-only audit log and the idempotency-key store. */
import type { Timestamp } from '../platform-tables.ts';
import type { Json } from './identity-tables.ts';

/** Who acted. */
export type AuditActorType = 'user' | 'service-account' | 'system' | 'anonymous';
/** How it ended. */
export type AuditOutcome = 'success' | 'denied' | 'failed';

/** One audit record; the database refuses UPDATE and DELETE on this table. */
export interface AuditLogTable {
  id: string;
  occurred_at: Timestamp;
  actor_type: AuditActorType;
  actor_id: string | null;
  token_id: string | null;
  org_id: string | null;
  workspace_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  outcome: AuditOutcome;
  request_id: string | null;
  aws_role_arn: string | null;
  aws_session_name: string | null;
  details: Json<Record<string, unknown>>;
}

/** Responses of creating POSTs, replayed for a repeated `Idempotency-Key`. */
export interface IdempotencyKeysTable {
  principal_key: string;
  key: string;
  request_hash: string;
  /** Null while the first request is still running. */
  status_code: number | null;
  response: Json<unknown> | null;
  created_at: Timestamp;
}
