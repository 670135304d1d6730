/** The audit log as the API exposes it. */
import { z } from 'zod';
import { orgIdSchema, pageQuerySchema, timestampSchema, workspaceIdSchema } from './common.ts';

export const auditOutcomeSchema = z.enum(['success', 'denied', 'failed']);
export const auditActorTypeSchema = z.enum(['user', 'service-account', 'system', 'anonymous']);

export const auditEntrySchema = z.object({
  id: z.string(),
  occurredAt: timestampSchema,
  actorType: auditActorTypeSchema,
  actorId: z.string().nullable(),
  tokenId: z.string().nullable(),
  orgId: orgIdSchema.nullable(),
  workspaceId: workspaceIdSchema.nullable(),
  action: z.string(),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  outcome: auditOutcomeSchema,
  requestId: z.string().nullable(),
  awsRoleArn: z.string().nullable(),
  awsSessionName: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

export const auditQuerySchema = pageQuerySchema.extend({
  actor: z.string().min(1).max(64).optional(),
  action: z
    .string()
    .max(64)
    .regex(/^[a-z][a-z0-9.-]*\*?$/, {
      error: 'must be an action like org.update, or a prefix ending in *',
    })
    .optional(),
  workspaceId: workspaceIdSchema.optional(),
  outcome: auditOutcomeSchema.optional(),
  since: timestampSchema.optional(),
  until: timestampSchema.optional(),
});
