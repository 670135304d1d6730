/**
 * Opaque secrets (session cookies, access tokens, service-account secrets, invitation and
 * setup tokens): 256 random bits with a recognisable prefix, stored only as SHA-256 hashes.
 * A fast hash is enough here because the secrets are high-entropy, unlike passwords.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Prefixes make leaked secrets easy to recognise (and to scan for). */
export const SECRET_PREFIXES = {
  session: 'ferry_ses_',
  personalToken: 'ferry_pat_',
  accessToken: 'ferry_at_',
  serviceAccountSecret: 'ferry_sas_',
  invitation: 'ferry_inv_',
  setup: 'ferry_setup_',
  signInLink: 'ferry_signin_',
} as const;

/** A new secret with the given prefix. */
export function newSecret(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** The stored form of a secret. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Constant-time string comparison. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
