/** Identity: users, sessions, personal access tokens, the client-credentials exchange. */
import { PERMISSIONS } from '@ferry/core';
import { z } from 'zod';
import {
  emailSchema,
  nameSchema,
  orgIdSchema,
  serviceAccountIdSchema,
  timestampSchema,
  tokenIdSchema,
  userIdSchema,
  workspaceIdSchema,
} from './common.ts';

/** A password: 12–256 characters. */
export const passwordSchema = z.string().min(12).max(256);

export const userSchema = z.object({
  id: userIdSchema,
  email: z.string(),
  name: z.string(),
  instanceAdmin: z.boolean(),
  createdAt: timestampSchema,
});
export type User = z.infer<typeof userSchema>;

export const setupBodySchema = z.strictObject({
  token: z.string().min(1).max(256),
  email: emailSchema.optional(),
  name: nameSchema,
  password: passwordSchema,
});

export const signupBodySchema = z.strictObject({
  invitationToken: z.string().min(1).max(256),
  name: nameSchema,
  password: passwordSchema,
});

export const createUserBodySchema = z.strictObject({
  email: emailSchema,
  name: nameSchema,
  password: passwordSchema,
});

export const loginBodySchema = z.strictObject({
  email: emailSchema,
  password: z.string().min(1).max(256),
});

export const sessionSchema = z.object({
  user: userSchema,
  /** Send back in the `x-csrf-token` header on every mutating request made with the cookie. */
  csrfToken: z.string(),
  expiresAt: timestampSchema,
});

export const principalSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('user'),
    userId: userIdSchema,
    email: z.string(),
    instanceAdmin: z.boolean(),
    via: z.enum(['session', 'personal-token']),
    scopes: z.array(z.enum(PERMISSIONS)).nullable(),
  }),
  z.object({
    kind: z.literal('service-account'),
    serviceAccountId: serviceAccountIdSchema,
    orgId: orgIdSchema,
    workspaceId: workspaceIdSchema,
    scopes: z.array(z.enum(PERMISSIONS)),
  }),
]);
export type Principal = z.infer<typeof principalSchema>;

export const membershipSummarySchema = z.object({
  orgId: orgIdSchema,
  orgName: z.string(),
  role: z.enum(['admin', 'member']),
});

export const meSchema = userSchema.extend({ orgs: z.array(membershipSummarySchema) });

/** Scopes of a token: the permissions it may use, never more than its owner's role grants. */
export const scopesSchema = z
  .array(z.enum(PERMISSIONS))
  .min(1)
  .max(PERMISSIONS.length)
  .refine((s) => new Set(s).size === s.length, { error: 'must not repeat a scope' });

export const createTokenBodySchema = z.strictObject({
  name: nameSchema,
  scopes: scopesSchema,
  expiresInDays: z.number().int().min(1).max(365),
});

export const personalTokenSchema = z.object({
  id: tokenIdSchema,
  name: z.string(),
  scopes: z.array(z.enum(PERMISSIONS)),
  createdAt: timestampSchema,
  expiresAt: timestampSchema,
  lastUsedAt: timestampSchema.nullable(),
  revokedAt: timestampSchema.nullable(),
});
export type PersonalToken = z.infer<typeof personalTokenSchema>;

export const createdTokenSchema = z.object({
  token: personalTokenSchema,
  /** The token itself (`ferry_pat_…`); shown once, stored only as a hash. */
  secret: z.string(),
});

export const tokenIdParamsSchema = z.strictObject({ tokenId: tokenIdSchema });

/** OAuth 2.0 client-credentials grant (RFC 6749 §4.4): a service account's id and secret. */
export const tokenExchangeBodySchema = z.strictObject({
  grant_type: z.literal('client_credentials'),
  client_id: serviceAccountIdSchema,
  client_secret: z.string().min(1).max(256),
});

export const tokenExchangeResponseSchema = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int(),
  scope: z.string(),
});
