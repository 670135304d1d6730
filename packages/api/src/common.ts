/** Schemas shared by every part of the API: ids, pagination, timestamps, the error shape. */
import { ID_PREFIXES, idPattern, type IdKind } from '@ferry/core';
import { z } from 'zod';

/** A well-formed id of the kind (existence is the server's business). */
export function idSchema(kind: IdKind) {
  return z.string().regex(idPattern(kind), {
    error: `must be a ${kind} id (${ID_PREFIXES[kind]}_ followed by 26 lower-case characters)`,
  });
}

export const userIdSchema = idSchema('user');
export const orgIdSchema = idSchema('org');
export const workspaceIdSchema = idSchema('workspace');
export const tokenIdSchema = idSchema('token');
export const serviceAccountIdSchema = idSchema('serviceAccount');
export const invitationIdSchema = idSchema('invitation');

/** An ISO 8601 timestamp as the API returns it. */
export const timestampSchema = z.iso.datetime({ offset: true });

/** A display name: 1–64 characters, no control characters, no surrounding spaces. */
export const nameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[^\p{Cc}\s](?:[^\p{Cc}]*[^\p{Cc}\s])?$/u, {
    error: 'must have no control characters and no leading or trailing spaces',
  });

/** An email address, compared case-insensitively by the server. */
export const emailSchema = z.email().max(254);

/** Query parameters of every list endpoint: an opaque cursor and a page size ≤ 100. */
export const pageQuerySchema = z.strictObject({
  cursor: z.string().min(1).max(256).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

/** One page of a list endpoint; pass `nextCursor` back as `cursor` for the next page. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

/** The one error shape every endpoint returns. */
export const errorResponseSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    requestId: z.string(),
  }),
});
/** The error body of every failed request. */
export type ErrorResponse = z.infer<typeof errorResponseSchema>;
