/** Workspaces: settings, members and service accounts. */
import { PERMISSIONS, WORKSPACE_ROLES, WORKSPACE_STATES } from '@ferry/core';
import { z } from 'zod';
import {
  nameSchema,
  orgIdSchema,
  serviceAccountIdSchema,
  timestampSchema,
  userIdSchema,
  workspaceIdSchema,
} from './common.ts';

export const workspaceRoleSchema = z.enum(WORKSPACE_ROLES);
export const workspaceStateSchema = z.enum(WORKSPACE_STATES);

/** EC2 instance type, e.g. `m7i.2xlarge`. */
export const instanceTypeSchema = z
  .string()
  .max(32)
  .regex(/^[a-z][a-z0-9-]*\.[a-z0-9-]+$/, { error: 'must be an EC2 instance type like m7i.large' });

/**
 * Default compute of a workspace: either an instance type, or lower bounds on CPUs and
 * memory (the cheapest fitting instance is chosen), plus storage and cluster size.
 */
export const computeSpecSchema = z
  .strictObject({
    cpus: z.number().int().min(1).max(448).optional(),
    memoryGb: z.number().min(0.5).max(24576).optional(),
    instanceType: instanceTypeSchema.optional(),
    storageGb: z.number().int().min(8).max(16384).optional(),
    clusterSize: z.number().int().min(1).max(64).optional(),
  })
  .superRefine((spec, ctx) => {
    const byResources = spec.cpus !== undefined || spec.memoryGb !== undefined;
    if (spec.instanceType !== undefined && byResources) {
      ctx.addIssue({
        code: 'custom',
        path: ['instanceType'],
        message: 'give either instanceType or cpus/memoryGb, not both',
      });
    } else if (spec.instanceType === undefined && !byResources) {
      ctx.addIssue({
        code: 'custom',
        path: ['cpus'],
        message: 'give cpus/memoryGb or instanceType',
      });
    }
  });
export type ComputeSpec = z.infer<typeof computeSpecSchema>;

// AWS tag limits: key 1–128, value 0–256, letters, digits, spaces and _.:/=+-@; no aws: prefix.
const tagChars = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
export const labelKeySchema = z
  .string()
  .min(1)
  .max(128)
  .regex(tagChars, { error: 'may contain letters, digits, spaces and _ . : / = + - @' })
  .refine((k) => !k.toLowerCase().startsWith('aws:'), { error: 'must not start with aws:' });
export const labelValueSchema = z
  .string()
  .max(256)
  .regex(tagChars, { error: 'may contain letters, digits, spaces and _ . : / = + - @' });
/** Key/value labels with AWS tag limits (at most 50). */
export const labelsSchema = z
  .record(labelKeySchema, labelValueSchema)
  .refine((l) => Object.keys(l).length <= 50, { error: 'at most 50 labels' });

/** Idle timeout in minutes: at least 10, at most a week. */
export const idleTimeoutSchema = z.number().int().min(10).max(10080);

export const workspaceSchema = z.object({
  id: workspaceIdSchema,
  orgId: orgIdSchema,
  name: z.string(),
  description: z.string(),
  state: workspaceStateSchema,
  defaultCompute: computeSpecSchema.nullable(),
  defaultIdleTimeoutMinutes: z.number().int(),
  labels: z.record(z.string(), z.string()),
  /** The caller's effective role (org admins are admins of every workspace). */
  role: workspaceRoleSchema.nullable(),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});
export type Workspace = z.infer<typeof workspaceSchema>;

export const createWorkspaceBodySchema = z.strictObject({
  name: nameSchema,
  description: z.string().max(1000).optional(),
  defaultCompute: computeSpecSchema.optional(),
  defaultIdleTimeoutMinutes: idleTimeoutSchema.optional(),
  labels: labelsSchema.optional(),
});
export const updateWorkspaceBodySchema = z
  .strictObject({
    name: nameSchema.optional(),
    description: z.string().max(1000).optional(),
    defaultCompute: computeSpecSchema.nullable().optional(),
    defaultIdleTimeoutMinutes: idleTimeoutSchema.optional(),
    labels: labelsSchema.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { error: 'give at least one setting to change' });
export const workspaceParamsSchema = z.strictObject({ workspaceId: workspaceIdSchema });

/** `stopClusters=true` terminates the workspace's clusters as part of its deletion. */
export const deleteWorkspaceQuerySchema = z.strictObject({
  stopClusters: z.enum(['true', 'false']).optional(),
});

export const workspaceMemberSchema = z.object({
  userId: userIdSchema,
  email: z.string(),
  name: z.string(),
  role: workspaceRoleSchema,
  /** True when the role comes from being an organization admin. */
  viaOrgAdmin: z.boolean(),
});
export const workspaceMemberParamsSchema = z.strictObject({
  workspaceId: workspaceIdSchema,
  userId: userIdSchema,
});
export const setWorkspaceMemberBodySchema = z.strictObject({ role: workspaceRoleSchema });

export const serviceAccountSchema = z.object({
  id: serviceAccountIdSchema,
  workspaceId: workspaceIdSchema,
  name: z.string(),
  scopes: z.array(z.enum(PERMISSIONS)),
  createdAt: timestampSchema,
  revokedAt: timestampSchema.nullable(),
});
export const createServiceAccountBodySchema = z.strictObject({
  name: nameSchema,
  scopes: z
    .array(z.enum(PERMISSIONS))
    .min(1)
    .max(PERMISSIONS.length)
    .refine((s) => new Set(s).size === s.length, { error: 'must not repeat a scope' })
    .optional(),
});
export const createdServiceAccountSchema = z.object({
  serviceAccount: serviceAccountSchema,
  clientId: serviceAccountIdSchema,
  /** Shown once; stored only as a hash. */
  clientSecret: z.string(),
});
export const serviceAccountParamsSchema = z.strictObject({
  workspaceId: workspaceIdSchema,
  serviceAccountId: serviceAccountIdSchema,
});
