/** Tables of the domain (identity, tenancy, audit, AWS setup, compute, queries, connections). */
import type { AuditLogTable, IdempotencyKeysTable } from './audit-tables.ts';
import type {
  ApiTokensTable,
  DeviceAuthorizationsTable,
  ServiceAccountsTable,
  SessionsTable,
  SetupTokensTable,
  UsersTable,
} from './identity-tables.ts';
import type {
  InvitationsTable,
  OrgMembersTable,
  OrgsTable,
  WorkspaceMembersTable,
  WorkspacesTable,
} from './tenancy-tables.ts';
import type { AwsSetupTables } from './aws-setup-tables.ts';
import type { ComputeTables } from './compute-tables.ts';
import type { QueryTables } from './query-tables.ts';
import type { ConnectionTables } from './connection-tables.ts';

export type * from './audit-tables.ts';
export type * from './identity-tables.ts';
export type * from './tenancy-tables.ts';
export type * from './aws-setup-tables.ts';
export type * from './compute-tables.ts';
export type * from './query-tables.ts';
export type * from './connection-tables.ts';

/** The domain's tables by name. */
export interface DomainTables extends AwsSetupTables, ComputeTables, QueryTables, ConnectionTables {
  users: UsersTable;
  setup_tokens: SetupTokensTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  device_authorizations: DeviceAuthorizationsTable;
  service_accounts: ServiceAccountsTable;
  orgs: OrgsTable;
  org_members: OrgMembersTable;
  workspaces: WorkspacesTable;
  workspace_members: WorkspaceMembersTable;
  invitations: InvitationsTable;
  audit_log: AuditLogTable;
  idempotency_keys: IdempotencyKeysTable;
}
