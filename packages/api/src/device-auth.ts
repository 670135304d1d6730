/**
 * Signing a device in through the dashboard (OAuth 2.0 Device Authorization Grant, RFC
 * 8628): the CLI asks for a device code and shows the user a URL and a short user code; the
 * user signs in to the dashboard and approves the code; the CLI polls the token route until
 * it gets a personal access token. The poll's refusals are 400s whose `error.code` is the
 * RFC's: `authorization_pending`, `slow_down`, `expired_token`, `access_denied` (and
 * `invalid_grant` for a code that is unknown or already used).
 */
import { z } from 'zod';
import { timestampSchema, tokenIdSchema } from './common.ts';
import { defineContract } from './contract.ts';

const V1 = '/api/v1';

/** The grant type of a device-code poll (RFC 8628 §3.4). */
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

/** The one client that signs in this way. */
export const DEVICE_CLIENT_ID = 'ferry-cli';

/** The characters of a user code: consonants only (no vowels, so no words; RFC 8628 §6.1). */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';

/**
 * A user code as people type it: `WDJB-MJHT`, in any case, with or without the dash; the
 * server reads it as its eight letters in upper case.
 */
export const userCodeSchema = z
  .string()
  .regex(new RegExp(`^[${USER_CODE_ALPHABET}]{4}-?[${USER_CODE_ALPHABET}]{4}$`, 'i'), {
    error: 'must be the 8-letter code the device shows, like WDJB-MJHT',
  });

export const deviceCodeBodySchema = z.strictObject({
  client_id: z.literal(DEVICE_CLIENT_ID),
  /** The name of the token the device gets, shown to the user who approves it. */
  name: z.string().trim().min(1).max(64).optional(),
  /** The lifetime of that token (default 90 days). */
  expires_in_days: z.number().int().min(1).max(365).optional(),
});

export const deviceCodeResponseSchema = z.object({
  device_code: z.string(),
  /** Shown to the user: `WDJB-MJHT`. */
  user_code: z.string(),
  verification_uri: z.string(),
  verification_uri_complete: z.string(),
  expires_in: z.number().int(),
  /** Seconds to wait between polls. */
  interval: z.number().int(),
});

export const deviceTokenBodySchema = z.strictObject({
  grant_type: z.literal(DEVICE_CODE_GRANT_TYPE),
  device_code: z
    .string()
    .regex(/^ferry_dev_[A-Za-z0-9_-]{20,100}$/, { error: 'must be a device code from the CLI' }),
  client_id: z.literal(DEVICE_CLIENT_ID),
});

export const deviceTokenResponseSchema = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int(),
  scope: z.string(),
  /** The personal access token's id (revoke it with `tokens.revoke`). */
  token_id: tokenIdSchema,
});

/**
 * The user code travels in a body, never in a URL path: paths reach request logs and
 * proxies, and the code is kept like a secret (hashed at rest, single use).
 */
export const deviceRequestBodySchema = z.strictObject({ userCode: userCodeSchema });

/** A pending device sign-in, as the user who may approve it sees it. */
export const deviceRequestSchema = z.object({
  userCode: z.string(),
  clientName: z.string(),
  status: z.enum(['pending', 'approved', 'denied']),
  createdAt: timestampSchema,
  expiresAt: timestampSchema,
});

export const deviceDecisionBodySchema = z.strictObject({
  userCode: userCodeSchema,
  approve: z.boolean(),
});

/** The contracts of the device sign-in routes. */
export const deviceAuthContracts = {
  'auth.deviceCode': defineContract({
    method: 'POST',
    path: `${V1}/auth/device/code`,
    summary: 'Start a device sign-in: a device code to poll with and a user code to approve',
    tag: 'auth',
    body: deviceCodeBodySchema,
    status: 200,
    response: deviceCodeResponseSchema,
    public: true,
  }),
  'auth.deviceToken': defineContract({
    method: 'POST',
    path: `${V1}/auth/device/token`,
    summary:
      'Poll a device sign-in: a personal access token once approved (400 authorization_pending, slow_down, expired_token, access_denied until then)',
    tag: 'auth',
    body: deviceTokenBodySchema,
    status: 200,
    response: deviceTokenResponseSchema,
    public: true,
  }),
  'auth.deviceRequest': defineContract({
    method: 'POST',
    path: `${V1}/auth/device/request`,
    summary:
      'A pending device sign-in by its user code (in the body), for the signed-in user to approve',
    tag: 'auth',
    body: deviceRequestBodySchema,
    status: 200,
    response: deviceRequestSchema,
    errors: [404],
  }),
  'auth.deviceDecide': defineContract({
    method: 'POST',
    path: `${V1}/auth/device/decision`,
    summary: 'Approve (or deny) a device sign-in as the signed-in user',
    tag: 'auth',
    body: deviceDecisionBodySchema,
    status: 200,
    response: deviceRequestSchema,
    errors: [404],
  }),
} as const;
