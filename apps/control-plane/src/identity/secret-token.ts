/**
 * Opaque secrets (session cookies, access tokens, service-account secrets, invitation and
 * setup tokens): 256 random bits with a recognisable prefix, stored only as SHA-256 hashes.
 * A fast hash is enough here because the secrets are high-entropy, unlike passwords.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Prefixes make leaked secrets easy to recognise (and to scan for). Every family of ferry
 * token is listed here, also those minted elsewhere, because the logger scrubs by prefix.
 */
export const SECRET_PREFIXES = {
  session: 'ferry_ses_',
  personalToken: 'ferry_pat_',
  accessToken: 'ferry_at_',
  serviceAccountSecret: 'ferry_sas_',
  invitation: 'ferry_inv_',
  /** The first admin's setup token and a workspace's AWS setup link. */
  setup: 'ferry_setup_',
  /** A cluster's one-time bootstrap token, in its nodes' user data. */
  bootstrap: 'ferry_boot_',
  /** A registered node's heartbeat token. */
  node: 'ferry_node_',
  /** A query's client token. */
  query: 'ferry_qt_',
  /** A one-time dashboard sign-in link. */
  signInLink: 'ferry_signin_',
  /** A device sign-in's device code (RFC 8628), polled by the CLI. */
  deviceCode: 'ferry_dev_',
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
