/**
 * Appends to the audit log. There is deliberately no update or delete path in code, and
 * the database rejects both with a trigger. Later work records every AWS call made on a
 * customer's behalf through {@link createAwsCallAuditor}.
 */
import { newId } from '@ferry/core';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { AuditActorType, AuditOutcome } from '../db/tables/index.ts';
import type { Principal } from '../identity/principal.ts';
import type { Resources } from '../resources.ts';

/** One thing that happened. */
export interface AuditEntryInput {
  readonly actorType: AuditActorType;
  readonly actorId?: string | null;
  readonly tokenId?: string | null;
  readonly orgId?: string | null;
  readonly workspaceId?: string | null;
  /** Dotted verb, e.g. `workspace.update`, `aws.ec2.RunInstances`. */
  readonly action: string;
  readonly targetType?: string | null;
  readonly targetId?: string | null;
  readonly outcome: AuditOutcome;
  readonly requestId?: string | null;
  readonly awsRoleArn?: string | null;
  readonly awsSessionName?: string | null;
  /** Extra facts; never secrets. */
  readonly details?: Record<string, unknown>;
}

/** The actor fields for a principal (or an anonymous caller). */
export function actorOf(
  principal: Principal | undefined,
): Pick<AuditEntryInput, 'actorType' | 'actorId' | 'tokenId'> {
  if (principal === undefined) return { actorType: 'anonymous', actorId: null, tokenId: null };
  return principal.kind === 'user'
    ? {
        actorType: 'user',
        actorId: principal.userId,
        tokenId: principal.via === 'personal-token' ? principal.credentialId : null,
      }
    : {
        actorType: 'service-account',
        actorId: principal.serviceAccountId,
        tokenId: principal.credentialId,
      };
}

/** Appends one entry with the given database handle (a transaction, to commit with a change). */
export async function appendAudit(
  db: Kysely<Database>,
  entry: AuditEntryInput,
  now: Date,
): Promise<string> {
  const id = newId('audit', now.getTime());
  await db
    .insertInto('audit_log')
    .values({
      id,
      occurred_at: now,
      actor_type: entry.actorType,
      actor_id: entry.actorId ?? null,
      token_id: entry.tokenId ?? null,
      org_id: entry.orgId ?? null,
      workspace_id: entry.workspaceId ?? null,
      action: entry.action,
      target_type: entry.targetType ?? null,
      target_id: entry.targetId ?? null,
      outcome: entry.outcome,
      request_id: entry.requestId ?? null,
      aws_role_arn: entry.awsRoleArn ?? null,
      aws_session_name: entry.awsSessionName ?? null,
      details: JSON.stringify(entry.details ?? {}),
    })
    .execute();
  return id;
}

/** Appends one entry now. */
export async function recordAudit(
  resources: Pick<Resources, 'db' | 'clock'>,
  entry: AuditEntryInput,
): Promise<string> {
  return appendAudit(resources.db, entry, resources.clock.now());
}
