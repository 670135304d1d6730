/** Organizations, workspaces, memberships and invitations. */
import type { OrgRole, WorkspaceRole, WorkspaceState } from '@ferry/core';
import type { Timestamp } from '../platform-tables.ts';
import type { Json } from './identity-tables.ts';

export interface OrgsTable {
  id: string;
  name: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at: Timestamp | null;
}

export interface OrgMembersTable {
  org_id: string;
  user_id: string;
  role: OrgRole;
  created_at: Timestamp;
}

/** Default compute as stored (validated by the API schema before it gets here). */
export interface StoredComputeSpec {
  cpus?: number;
  memoryGb?: number;
  instanceType?: string;
  storageGb?: number;
  clusterSize?: number;
}

export interface WorkspacesTable {
  id: string;
  org_id: string;
  name: string;
  description: string;
  state: WorkspaceState;
  default_compute: Json<StoredComputeSpec | null> | null;
  default_idle_timeout_minutes: number;
  labels: Json<Record<string, string>>;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at: Timestamp | null;
}

export interface WorkspaceMembersTable {
  workspace_id: string;
  user_id: string;
  role: WorkspaceRole;
  created_at: Timestamp;
}

export interface InvitationsTable {
  id: string;
  org_id: string;
  email: string;
  role: OrgRole;
  token_hash: string;
  invited_by: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  accepted_at: Timestamp | null;
  accepted_by: string | null;
  revoked_at: Timestamp | null;
}
