/**
 * Records AWS calls made on a customer's behalf: which role and session name, which
 * operation, on which workspace, and how it ended. Wrap each SDK call with `track`.
 */
import type { Resources } from '../resources.ts';
import { recordAudit, type AuditEntryInput } from './record-audit.ts';

/** Who the call is for and which assumed role it runs as. */
export interface AwsCallContext {
  readonly orgId: string;
  readonly workspaceId: string;
  readonly roleArn: string;
  readonly sessionName: string;
  /** The principal that caused the call, or a system actor for background work. */
  readonly actor: Pick<AuditEntryInput, 'actorType' | 'actorId' | 'tokenId'>;
  readonly requestId?: string | null;
}

/** Audits AWS calls. */
export interface AwsCallAuditor {
  /** Runs `call`, recording `aws.<service>.<operation>` with its outcome; rethrows failures. */
  track<T>(
    context: AwsCallContext,
    operation: { service: string; name: string; target?: { type: string; id: string } },
    call: () => Promise<T>,
  ): Promise<T>;
}

/** Creates an auditor writing to the resources' audit log. */
export function createAwsCallAuditor(resources: Pick<Resources, 'db' | 'clock'>): AwsCallAuditor {
  return {
    async track(context, operation, call) {
      const entry = {
        ...context.actor,
        orgId: context.orgId,
        workspaceId: context.workspaceId,
        action: `aws.${operation.service}.${operation.name}`,
        targetType: operation.target?.type ?? null,
        targetId: operation.target?.id ?? null,
        requestId: context.requestId ?? null,
        awsRoleArn: context.roleArn,
        awsSessionName: context.sessionName,
      };
      try {
        const result = await call();
        await recordAudit(resources, { ...entry, outcome: 'success' });
        return result;
      } catch (err) {
        const name = err instanceof Error ? err.name : 'Error';
        const denied = /AccessDenied|UnauthorizedOperation|Forbidden/i.test(name);
        await recordAudit(resources, {
          ...entry,
          outcome: denied ? 'denied' : 'failed',
          details: { error: name },
        });
        throw err;
      }
    },
  };
}
