/** Organizations, their members and invitations. */
import { ORG_ROLES } from '@ferry/core';
import { z } from 'zod';
import {
  emailSchema,
  invitationIdSchema,
  nameSchema,
  orgIdSchema,
  timestampSchema,
  userIdSchema,
} from './common.ts';

export const orgRoleSchema = z.enum(ORG_ROLES);

export const orgSchema = z.object({
  id: orgIdSchema,
  name: z.string(),
  /** The caller's role in the organization. */
  role: orgRoleSchema.nullable(),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});
export type Org = z.infer<typeof orgSchema>;

export const orgParamsSchema = z.strictObject({ orgId: orgIdSchema });
export const createOrgBodySchema = z.strictObject({ name: nameSchema });
export const updateOrgBodySchema = z.strictObject({ name: nameSchema });

export const orgMemberSchema = z.object({
  userId: userIdSchema,
  email: z.string(),
  name: z.string(),
  role: orgRoleSchema,
  joinedAt: timestampSchema,
});
export const orgMemberParamsSchema = z.strictObject({ orgId: orgIdSchema, userId: userIdSchema });
export const updateOrgMemberBodySchema = z.strictObject({ role: orgRoleSchema });

export const invitationSchema = z.object({
  id: invitationIdSchema,
  orgId: orgIdSchema,
  email: z.string(),
  role: orgRoleSchema,
  createdAt: timestampSchema,
  expiresAt: timestampSchema,
  acceptedAt: timestampSchema.nullable(),
  revokedAt: timestampSchema.nullable(),
});
export const createInvitationBodySchema = z.strictObject({
  email: emailSchema,
  role: orgRoleSchema,
  expiresInDays: z.number().int().min(1).max(30).optional(),
});
export const createdInvitationSchema = z.object({
  invitation: invitationSchema,
  /** Single-use token; shown once. */
  token: z.string(),
  /** Link to give the invitee (no mail server needed). */
  url: z.string(),
});
export const invitationParamsSchema = z.strictObject({
  orgId: orgIdSchema,
  invitationId: invitationIdSchema,
});
export const acceptInvitationBodySchema = z.strictObject({ token: z.string().min(1).max(256) });
export const acceptedInvitationSchema = z.object({ orgId: orgIdSchema, role: orgRoleSchema });
